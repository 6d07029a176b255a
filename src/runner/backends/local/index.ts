// The `local` backend. Every program runs in a fresh bubblewrap sandbox of its own, under its slot's
// unprivileged uid, with rlimits, a cgroup (when the host offers one), seccomp, a host-side wall clock
// and a host-side output cap. Two things make it fast without weakening that:
// - warm compilers (compileService.ts): a small pool of long-lived, sandboxed Roslyn servers that all
//   runs share;
// - pre-started exec sandboxes: each slot keeps SANDBOX_POOL_DEPTH sandboxes (2) started, their runtime
//   initialised, each waiting for exactly one program under a uid of its own. One runs its program and
//   dies, and while it is torn down and a fresh one started for its uid, the slot's other sandbox takes
//   the next run: back to back, no run waits for the last one's teardown. A uid never holds a running
//   program and a waiting sandbox at once, so no program can reach the sandbox of the run after it.
// See README "The sandbox" for the whole picture.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { arch } from 'node:os';
import type { Config } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { BackendRun, SandboxBackend } from '../../backend.js';
import { resultFromExec } from '../../hostNotes.js';
import { compileErrorsResult, compileFailedResult } from '../../results.js';
import { emptyResult, type RunResult, type ViewKind } from '../../types.js';
import { buildBwrapArgs, buildLaunchArgv, LAUNCHER_FAILED, type SandboxLayout } from './bwrapArgs.js';
import type { CgroupDriver, StepCgroup } from './cgroup.js';
import { selectCgroups } from './cgroupChoice.js';
import { CompileService, type CompileServer } from './compileService.js';
import { ExecSandbox } from './execSandbox.js';
import { encodeProgramFrames } from './hostProtocol.js';
import { BWRAP_STATUS_FD, LAST_SANDBOX_FD, launchSandbox, SECCOMP_FD } from './launcher.js';
import { multiarchFor, SANDBOX_DOTNET_ROOT, SANDBOX_HOST_DIR, sandboxLayout } from './layout.js';
import { seccompFilter, seccompWarning } from './seccomp.js';
import { stageImage, type Staged } from './stage.js';
import { resolveTools, type Tools } from './tools.js';
import { claimUids, type UidClaim } from './uidSlots.js';

const MiB = 1024 * 1024;
/** The compile server's stdout is our own JSON (diagnostics + base64 assembly), not user output. */
const COMPILE_RESPONSE_CAP = 48 * MiB;
/** Roslyn's parallel compile and the runtime's threads; it never runs user code. */
const COMPILE_MAX_TASKS = 128;
/** The outer bwrap and tini sit in the sandbox's cgroup and uid beside the program. */
const LAUNCHER_TASKS = 2;
/** Address space a thread's stack reserves (glibc's default, 8 MiB), counted by RLIMIT_DATA. */
const STACK_RESERVATION = 8 * MiB;
/** RLIMIT_NPROC above pids.max, where a cgroup holds the sandbox (see launchArgv). */
const NPROC_HEADROOM = 8;
const COMPILE_RECYCLE_AFTER = 2000;

interface Prepared {
  sandbox: ExecSandbox;
  cgroup: StepCgroup | null;
}

/** One pre-started sandbox's place: its uid and the sandbox waiting there (a slot has poolDepth of them). */
interface Slot {
  uid: number;
  /** The sandbox started ahead of time for this uid. */
  next: Promise<Prepared> | null;
}

/** What the local backend reads of the configuration. */
export type LocalBackendConfig = Pick<Config, 'slots' | 'compileWarmup' | 'compileServers' | 'limits' | 'sandbox'>;

export class LocalBackend implements SandboxBackend {
  readonly name = 'local';
  readonly capacity: number;
  readonly views: readonly ViewKind[] = ['il', 'asm', 'lowered'];
  private tools: Tools | null = null;
  private layout: SandboxLayout | null = null;
  private cgroups: CgroupDriver | null = null;
  private claim: UidClaim | null = null;
  private seccomp: Buffer | null = null;
  private staged: Staged | null = null;
  private compiler: CompileService | null = null;
  private slots: Slot[] = [];
  private readonly freeSlots: Slot[] = [];
  private readonly slotWaiters: ((slot: Slot) => void)[] = [];
  private readonly recycling = new Set<Promise<void>>();
  private sequence = 0;
  private stopping = false;

  constructor(
    private readonly config: LocalBackendConfig,
    private readonly log: Logger,
  ) {
    this.capacity = config.slots;
  }

  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (err) {
      // Whatever was set up before the failure (cgroups, pre-started sandboxes, claimed uids, staged
      // files) goes with it: the caller never gets a backend to stop.
      await this.stop().catch((stopErr: unknown) =>
        this.log.error('could not undo a failed start', { err: String(stopErr) }),
      );
      throw err;
    }
  }

  private async startParts(): Promise<void> {
    if (process.getuid?.() !== 0) {
      throw new Error(
        'the local sandbox runs each slot as its own unprivileged uid, which needs root (or CAP_SETUID/CAP_SETGID): run the service as root, or in the Docker image as README shows',
      );
    }
    this.tools = await resolveTools();
    const { sandbox } = this.config;
    // Checked in place first, for a clear error when the host is not built.
    sandboxLayout({
      dotnetRoot: sandbox.dotnetRoot,
      hostDir: sandbox.hostDir,
      etcDir: sandbox.etcDir,
      init: this.tools['tini-static'],
      multiarch: multiarchFor(arch()),
    });
    this.staged = await stageImage(sandbox.stateDir, sandbox.hostDir, sandbox.etcDir);
    this.layout = sandboxLayout({
      dotnetRoot: sandbox.dotnetRoot,
      hostDir: this.staged.hostDir,
      etcDir: this.staged.etcDir,
      init: this.tools['tini-static'],
      multiarch: multiarchFor(arch()),
    });
    if (sandbox.cgroup !== 'off') {
      this.cgroups = await selectCgroups(sandbox.cgroup, this.log);
      if (this.cgroups && !this.cgroups.cpu)
        this.log.warn(`cgroup ${this.cgroups.description}: a run is not held to RUN_CPUS`);
      await this.cgroups?.sweepStale();
    }
    this.seccomp = seccompFilter(arch(), sandbox.seccomp);
    const seccompNote = seccompWarning(arch(), sandbox.seccomp);
    if (seccompNote) this.log.warn(seccompNote);
    // One uid per compile server, and poolDepth per slot: the QueueRunner never runs more than
    // `capacity` programs at once, so the spare places always hold sandboxes waiting for the next runs.
    const servers = this.config.compileServers;
    this.claim = await claimUids(sandbox.stateDir, sandbox.uidBase, servers + this.capacity * sandbox.poolDepth);
    const compilerUids = this.claim.uids.slice(0, servers);
    this.slots = this.claim.uids.slice(servers).map((uid) => ({ uid, next: null }));
    for (const slot of this.slots) slot.next = this.prepare(slot);
    this.freeSlots.push(...this.slots);
    this.compiler = new CompileService({
      launch: (index) => {
        const uid = compilerUids[index];
        if (uid === undefined) throw new Error(`no uid for compile server ${index}`);
        return this.launchCompileServer(uid);
      },
      servers,
      log: this.log,
      startTimeoutMs: sandbox.startTimeoutMs,
      recycleAfter: COMPILE_RECYCLE_AFTER,
      responseCapBytes: COMPILE_RESPONSE_CAP,
      compileMemoryBytes: this.config.limits.compileMemoryBytes,
    });
    await this.compiler.start();
    this.log.info('local sandbox ready', {
      slots: this.capacity,
      poolDepth: sandbox.poolDepth,
      compileServers: servers,
      uids: this.claim.uids,
      cgroups: this.cgroups?.description ?? 'none',
      seccomp: Boolean(this.seccomp),
    });
  }

  /** The uids this backend's sandboxes run as (claimed at start): the compile servers', then the slots'. */
  get slotUids(): readonly number[] {
    return this.claim?.uids ?? [];
  }

  /** The uids of the exec slots alone. */
  get execUids(): readonly number[] {
    return this.slots.map((s) => s.uid);
  }

  health(): { ok: boolean; detail: string } {
    const compiler = this.compiler;
    const up = compiler?.running ?? false;
    return {
      ok: up,
      detail: `${this.capacity} slots, ${this.freeSlots.length}/${this.slots.length} sandboxes waiting, ${compiler?.available ?? 0}/${this.config.compileServers} compile servers free (started ${compiler?.restarts ?? 0}×), cgroups ${this.cgroups?.description ?? 'none'}`,
    };
  }

  /** Resolves when every used sandbox has been torn down, each slot's next one is waiting, warm, and no compile server is still starting. */
  async idle(): Promise<void> {
    await this.compiler?.settled();
    while (this.recycling.size > 0) await Promise.allSettled([...this.recycling]);
    await Promise.allSettled(this.slots.map(async (slot) => (await slot.next)?.sandbox.ready));
  }

  /** Host pid of the warm compiler the next compile would use, for memory figures. */
  compilerPid(): Promise<number | null> {
    return this.compiler?.serverPid() ?? Promise.resolve(null);
  }

  /** Host pids of every warm compiler. */
  compilerPids(): Promise<number[]> {
    return this.compiler?.serverPids() ?? Promise.resolve([]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.compiler?.stop();
    await Promise.allSettled([...this.recycling]);
    await Promise.allSettled(
      this.slots.map(async (slot) => {
        const prepared = await slot.next?.catch(() => null);
        slot.next = null;
        if (prepared) await this.teardown(slot, prepared);
      }),
    );
    await this.claim?.release();
    this.claim = null;
    await this.staged?.remove();
    this.staged = null;
  }

  async execute(run: BackendRun): Promise<RunResult> {
    const compiler = this.compiler;
    if (!compiler) throw new Error('the local backend was not started');
    const slot = await this.acquireSlot();
    let used: Prepared | null = null;
    try {
      run.onPhase('compiling');
      const compiled = await compiler.compile(run.id, run.source, this.config.limits.compileTimeoutMs, run.signal, {
        ...(run.optimize === undefined ? {} : { optimize: run.optimize }),
        ...(run.langVersion === undefined ? {} : { langVersion: run.langVersion }),
      });
      if (compiled.kind === 'cancelled') return emptyResult('cancelled', 'cancelled');
      if (compiled.kind === 'failed') return compileFailedResult(compiled.diagnostic, compiled.ms);
      const { response } = compiled;
      if (response.error) throw new Error(`the compile server refused the request: ${response.error}`);
      if (!response.ok || !response.assembly) return compileErrorsResult(response.diagnostics, compiled.ms);
      if (run.signal.aborted) return { ...emptyResult('cancelled', 'cancelled'), compileMs: compiled.ms };

      run.onPhase('running');
      const ready =
        run.view === 'asm'
          ? await this.asmSandbox(slot, run.jitPattern, run.signal)
          : await this.readySandbox(slot, run.signal);
      if (ready === 'cancelled') return { ...emptyResult('cancelled', 'cancelled'), compileMs: compiled.ms };
      used = ready;
      // Before the program goes in: from here on the sandbox runs user code, held to its CPU share.
      await used.cgroup?.handOver();
      const program = encodeProgramFrames(
        Buffer.from(response.assembly, 'base64'),
        response.pdb ? Buffer.from(response.pdb, 'base64') : null,
        run.view,
      );
      const limits = this.config.limits;
      const o = await used.sandbox.run({
        program,
        stdin: Buffer.from(run.stdin, 'utf8'),
        timeoutMs: run.timeoutMs,
        outputCapBytes: limits.outputBytes,
        signal: run.signal,
        onOutput: run.onOutput,
        memoryWatch: used.cgroup ? () => used?.cgroup?.tcpLimitHit() ?? Promise.resolve(false) : undefined,
      });
      const stats = used.cgroup ? await used.cgroup.stats() : null;
      // The watch polls every 100 ms: a program that reaches the socket-buffer cap and dies of it between
      // two polls (ENFILE from socket() when the kernel refuses its buffers) is caught by one last read of
      // the cgroup's own counter, a fact the program cannot forge. Its verdict must not depend on timing.
      const socketMemoryExceeded = o.socketMemoryExceeded || ((await used.cgroup?.tcpLimitHit()) ?? false);
      const stderr = o.stderr.toString('utf8');
      // The RLIMIT_CPU the sandbox was started with (from the configured limit, not this run's lower one).
      const cpuSeconds = execCpuSeconds(limits.timeoutMs, limits.cpus);
      const result = resultFromExec(
        {
          observed: {
            exitCode: o.exitCode,
            setupFailed: o.exitCode === LAUNCHER_FAILED,
            killedBy: o.killedBy,
            timedOut: o.timedOut,
            cancelled: o.cancelled,
            outputExceeded: o.outputExceeded,
            socketMemoryExceeded,
            oomKills: stats?.oomKills ?? 0,
            memoryLimitHits: stats?.memoryLimitHits ?? 0,
            taskLimitHits: stats?.taskLimitHits ?? 0,
            // RLIMIT_CPU counts from the process's start, so the step's CPU time from its start too.
            cpuLimitHit:
              stats?.cpuMs !== null &&
              stats?.cpuMs !== undefined &&
              stats.cpuMs + stats.startupCpuMs >= cpuSeconds * 1000,
          },
          notes: o.notes,
          stdout: o.stdout.toString('utf8'),
          stderr,
          diagnostics: response.diagnostics,
          compileMs: compiled.ms,
          runMs: o.wallMs,
          peakMemoryBytes: stats?.peakMemoryBytes ?? null,
          cpuMs: stats?.cpuMs ?? null,
        },
        {
          timeoutMs: run.timeoutMs,
          memoryBytes: limits.memoryBytes,
          socketBytes: tcpCapBytes(limits.memoryBytes),
          maxProcesses: limits.maxProcesses,
          outputBytes: limits.outputBytes,
        },
      );
      if (result.status === 'internal_error') {
        this.log.error('exec sandbox failed', { runId: run.id, reason: result.reason, exitCode: o.exitCode });
        // The program's stderr is the user's content, not our diagnosis: never at error level, cut short
        // and labelled as user content, so it cannot pass for a line of ours.
        this.log.debug('user stderr of the failed run', { runId: run.id, userContent: stderr.slice(0, 200) });
      }
      return result;
    } finally {
      // The result goes back now; the used sandbox is torn down and the slot's next one started in
      // the background, and only then is the slot free again. An unused sandbox stays for the next run.
      if (used) this.recycle(slot, used);
      else this.releaseSlot(slot);
    }
  }

  private acquireSlot(): Promise<Slot> {
    const slot = this.freeSlots.shift();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseSlot(slot: Slot): void {
    const waiter = this.slotWaiters.shift();
    if (waiter) waiter(slot);
    else this.freeSlots.push(slot);
  }

  /**
   * The slot's pre-started sandbox, or a fresh one if that one died while waiting or did not come up
   * within SANDBOX_START_TIMEOUT_MS; 'cancelled' when the run is cancelled meanwhile (the sandbox still
   * starting stays the slot's, for the next run).
   */
  private async readySandbox(slot: Slot, signal: AbortSignal): Promise<Prepared | 'cancelled'> {
    const deadlineMs = this.config.sandbox.startTimeoutMs;
    const pending = slot.next ?? this.prepare(slot);
    slot.next = null;
    // It was starting in the background (the lowest CPU weight); now a run waits for it.
    void pending.then((p) => p.cgroup?.prioritize()).catch(() => undefined);
    const first = await within(
      pending.then(async (p) => ((await p.sandbox.usable()) ? p : fail(p))),
      deadlineMs,
      signal,
    );
    if (first.kind === 'cancelled') {
      slot.next = pending;
      return 'cancelled';
    }
    if (first.kind === 'ok') return first.value;
    // Dead, or not up in time: it is torn down first (the teardown sweeps the uid the fresh one takes),
    // and a fresh one gets the same deadline.
    await this.discardWithin(slot, pending, deadlineMs);
    this.log.warn(
      first.kind === 'timeout'
        ? `a pre-started sandbox was not ready within ${deadlineMs} ms; starting a fresh one`
        : 'a pre-started sandbox was not ready; starting a fresh one',
      { uid: slot.uid },
    );
    const fresh = this.prepare(slot, { background: false });
    const second = await within(
      fresh.then(async (p) => ((await p.sandbox.usable()) ? p : fail(p))),
      deadlineMs,
      signal,
    );
    if (second.kind === 'ok') return second.value;
    if (second.kind === 'cancelled') {
      slot.next = fresh;
      return 'cancelled';
    }
    await this.discardWithin(slot, fresh, deadlineMs);
    throw new Error(
      second.kind === 'timeout'
        ? `the exec sandbox did not start within ${deadlineMs} ms`
        : `the exec sandbox did not start (${second.error})`,
    );
  }

  /**
   * A sandbox for the asm view, launched now: the JIT reads DOTNET_JitDisasm once, at start-up, so the
   * slot's pre-started sandbox cannot serve. That one is torn down first, since a uid never holds a
   * waiting sandbox beside one that runs user code (the asm job can: static constructors, see
   * container/host/JitListing.cs). Used or not, the asm sandbox is never left as the slot's next one.
   */
  private async asmSandbox(slot: Slot, pattern: string, signal: AbortSignal): Promise<Prepared | 'cancelled'> {
    const deadlineMs = this.config.sandbox.startTimeoutMs;
    const waiting = slot.next;
    slot.next = null;
    if (waiting) await this.discardWithin(slot, waiting, deadlineMs);
    const pending = this.prepare(slot, { background: false, extraEnv: asmEnv(pattern) });
    const up = await within(
      pending.then(async (p) => ((await p.sandbox.usable()) ? p : fail(p))),
      deadlineMs,
      signal,
    );
    if (up.kind === 'ok') return up.value;
    await this.discardWithin(slot, pending, deadlineMs);
    if (!this.stopping) slot.next = this.prepare(slot);
    if (up.kind === 'cancelled') return 'cancelled';
    throw new Error(
      up.kind === 'timeout'
        ? `the asm sandbox did not start within ${deadlineMs} ms`
        : `the asm sandbox did not start (${up.error})`,
    );
  }

  /** Tears down a sandbox that failed to come up, within a deadline; past it, the slot's uid is not safe to reuse. */
  private async discardWithin(slot: Slot, sandbox: Promise<Prepared>, deadlineMs: number): Promise<void> {
    const gone = await within(
      sandbox.then(
        (p) => this.teardown(slot, p),
        () => undefined,
      ),
      deadlineMs,
      new AbortController().signal,
    );
    if (gone.kind !== 'ok') throw new Error(`a sandbox that did not start was not torn down within ${deadlineMs} ms`);
  }

  private recycle(slot: Slot, used: Prepared): void {
    const done = (async () => {
      try {
        await this.teardown(slot, used);
        if (!this.stopping) slot.next = this.prepare(slot);
      } catch (err) {
        this.log.error('could not recycle a sandbox slot', { uid: slot.uid, err: String(err) });
      } finally {
        this.releaseSlot(slot);
      }
    })();
    this.recycling.add(done);
    void done.finally(() => this.recycling.delete(done));
  }

  /**
   * Starts an exec sandbox for the slot: it initialises the runtime and waits for its program. In the
   * background (the lowest CPU weight) unless a run already waits for it; `extraEnv` for the asm view.
   */
  private async prepare(
    slot: Slot,
    options: { background?: boolean; extraEnv?: Readonly<Record<string, string>> } = {},
  ): Promise<Prepared> {
    const { background = true, extraEnv = {} } = options;
    const limits = this.config.limits;
    const cgroup = this.cgroups
      ? await this.cgroups.create(`${process.pid}-${slot.uid}-${++this.sequence}`, {
          memoryBytes: limits.memoryBytes,
          maxTasks: limits.maxProcesses + LAUNCHER_TASKS,
          cpus: limits.cpus,
          tcpBytes: tcpCapBytes(limits.memoryBytes),
          background,
        })
      : null;
    try {
      const argv = this.launchArgv(slot.uid, cgroup, {
        memoryBytes: limits.memoryBytes,
        // The whole sandbox: memory the program really uses then meets the cgroup (see sandboxEnv).
        gcHeapShare: 1,
        maxTasks: limits.maxProcesses,
        cpuSeconds: execCpuSeconds(limits.timeoutMs, limits.cpus),
        hostArgs: ['exec'],
        extraEnv,
      });
      return { sandbox: new ExecSandbox(launchSandbox(argv, this.seccomp)), cgroup };
    } catch (err) {
      await cgroup?.destroy();
      throw err;
    }
  }

  private async teardown(slot: Slot, prepared: Prepared): Promise<void> {
    await prepared.sandbox.discard();
    await prepared.cgroup
      ?.destroy()
      .catch((err: unknown) => this.log.error('could not remove a sandbox cgroup', { err: String(err) }));
    await this.sweepUid(slot.uid);
  }

  private async launchCompileServer(uid: number): Promise<CompileServer> {
    const limits = this.config.limits;
    // Roslyn never runs user code and its compiles have deadlines: no CPU cap beyond the machine's.
    const cgroup = this.cgroups
      ? await this.cgroups.create(`${process.pid}-compiler-${++this.sequence}`, {
          memoryBytes: limits.compileMemoryBytes,
          maxTasks: COMPILE_MAX_TASKS + LAUNCHER_TASKS,
          cpus: null,
          tcpBytes: tcpCapBytes(limits.compileMemoryBytes),
          background: false,
        })
      : null;
    const argv = this.launchArgv(uid, cgroup, {
      memoryBytes: limits.compileMemoryBytes,
      // Roslyn is our code and runs none of the user's: its own OutOfMemoryException (at 75%, well before
      // the cgroup's reclaim) is a quick, honest signal that a source exhausts the compiler.
      gcHeapShare: 0.75,
      maxTasks: COMPILE_MAX_TASKS,
      // Long-lived: each compile has its own deadline, enforced from here, instead of a lifetime CPU cap.
      cpuSeconds: null,
      hostArgs: this.config.compileWarmup ? ['compile-server'] : ['compile-server', '--no-warmup'],
    });
    const sandbox = launchSandbox(argv, this.seccomp);
    return {
      sandbox,
      oomKilled: async () => ((await cgroup?.stats())?.oomKills ?? 0) > 0,
      dispose: async () => {
        await cgroup
          ?.destroy()
          .catch((err: unknown) => this.log.error('could not remove the compiler cgroup', { err: String(err) }));
        await this.sweepUid(uid);
      },
      pid: async () => {
        for (const pid of (await cgroup?.pids()) ?? []) {
          const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
          if (comm.trim() === 'dotnet') return pid;
        }
        return null;
      },
    };
  }

  private launchArgv(
    uid: number,
    cgroup: StepCgroup | null,
    s: {
      memoryBytes: number;
      gcHeapShare: number;
      maxTasks: number;
      cpuSeconds: number | null;
      hostArgs: string[];
      extraEnv?: Readonly<Record<string, string>>;
    },
  ): string[] {
    const tools = this.tools;
    const layout = this.layout;
    if (!tools || !layout) throw new Error('the local backend was not started');
    const bwrapArgs = buildBwrapArgs({
      layout,
      tmpfsBytes: this.config.limits.tmpfsBytes,
      env: { ...sandboxEnv(s.memoryBytes, s.gcHeapShare), ...s.extraEnv },
      seccompFd: this.seccomp ? SECCOMP_FD : undefined,
      jsonStatusFd: BWRAP_STATUS_FD,
      argv: [`${SANDBOX_DOTNET_ROOT}/dotnet`, `${SANDBOX_HOST_DIR}/sharpbox-host.dll`, ...s.hostArgs],
    });
    return buildLaunchArgv({
      lastFd: LAST_SANDBOX_FD,
      cgroupProcsFiles: cgroup?.procsFiles ?? [],
      rlimits: {
        // With a cgroup, its pids.max holds the sandbox, and RLIMIT_NPROC (the same tasks, counted per
        // uid) sits a little above it as a backstop: the limit reached is then the one the host sees in
        // pids.events, which turns a failed thread start into the task-limit reason.
        nproc: s.maxTasks + LAUNCHER_TASKS + (cgroup ? NPROC_HEADROOM : 0),
        nofile: 1024,
        // Just above the tmpfs cap, so a full tmpfs is a catchable ENOSPC rather than a SIGXFSZ kill.
        fsizeBytes: this.config.limits.tmpfsBytes + MiB,
        cpuSeconds: s.cpuSeconds,
        // DATA also counts thread-stack reservations (see cgroup.ts), so it is a loose cap. Alone it is
        // the memory cap; behind a cgroup only a backstop, with room for every task's stack, so that a
        // thread bomb meets pids.max (a fact the host sees) and not DATA (measured: 58 threads failed
        // to start, as "out of memory", with memory + 256 MiB).
        dataBytes: s.memoryBytes + (cgroup ? s.maxTasks * STACK_RESERVATION : 256 * MiB),
        core: 0,
      },
      uid,
      gid: uid,
      bwrapArgs,
      tools,
    });
  }

  /**
   * Belt and braces after every sandbox: kill every process of the uid. The pid namespace already
   * took everything down with the sandbox's pid 1, so this normally finds nothing; it exists so that no
   * process of one run can ever meet the next run in the same slot.
   */
  private async sweepUid(uid: number): Promise<void> {
    const tools = this.tools;
    if (!tools) return;
    await new Promise<void>((resolve) => {
      const p = spawn(
        tools.setpriv,
        [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', tools.kill, '-KILL', '-1'],
        { stdio: 'ignore', env: {} },
      );
      p.on('error', () => resolve());
      p.on('close', () => resolve());
    });
  }
}

/**
 * RLIMIT_CPU of an exec sandbox: a per-process backstop behind the wall clock and the cpu cgroup, which
 * keeps the whole sandbox to `cpus` cores. A process can use at most cpus × wall time, so this only fires
 * when the cgroup is missing.
 */
export function execCpuSeconds(timeoutMs: number, cpus: number): number {
  return Math.ceil((timeoutMs / 1000) * cpus) + 1;
}

/**
 * Socket buffers of one sandbox (v1 memory.kmem.tcp, v2 the `sock` of memory.stat): a quarter of its memory, at least 16 MiB,
 * far above what a loopback client and server in a snippet queue, far below what starves the host's pool.
 */
export function tcpCapBytes(memoryBytes: number): number {
  return Math.max(16 * MiB, Math.floor(memoryBytes / 4));
}

/** The only environment a sandbox gets (bwrap --clearenv first): nothing of the service's own. */
export function sandboxEnv(memoryBytes: number, gcHeapShare: number): Record<string, string> {
  return {
    HOME: '/tmp',
    TMPDIR: '/tmp',
    PATH: SANDBOX_DOTNET_ROOT,
    LANG: 'C.UTF-8',
    DOTNET_ROOT: SANDBOX_DOTNET_ROOT,
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    // No diagnostics IPC socket, no debugger or profiler attach, no createdump on crash.
    DOTNET_EnableDiagnostics: '0',
    DOTNET_DbgEnableMiniDump: '0',
    DOTNET_gcServer: '0',
    // The sandbox has no /sys, so the GC cannot see the cgroup and would size itself for the whole
    // host: it is told the sandbox's size instead, and so collects as the limit nears. For user code,
    // the whole size rather than a share of it, so that memory the program really uses meets the
    // cgroup's cap (an OOM kill or memory.failcnt: facts the host sees and the program cannot forge)
    // before the GC's own OutOfMemoryException, which only the program's word would report.
    DOTNET_GCHeapHardLimit: `0x${Math.floor(memoryBytes * gcHeapShare).toString(16)}`,
    // W^X double-maps JIT code through memfd_create, which the seccomp filter refuses. A sandbox that
    // runs arbitrary native code by design gains nothing from W^X, and starts faster without it.
    DOTNET_EnableWriteXorExecute: '0',
    // Faster start for short programs; the JIT still tiers up hot loops.
    DOTNET_TieredPGO: '0',
  };
}

/** Where the asm sandbox's JIT writes its listings: its own /tmp, read back by the host (JitListing.cs). */
export const JIT_LISTING_FILE = '/tmp/.sharpbox-jit.asm';

/**
 * What the asm view's sandbox adds to sandboxEnv: the runtime's own disassembler for the methods named by
 * `pattern` (views.ts jitPattern), into a file, and no tiering, so every method is compiled once with full
 * optimisation (what a hot method ends up as; a Debug build stays unoptimised through its
 * DebuggableAttribute, whatever this says).
 */
export function asmEnv(pattern: string): Record<string, string> {
  return {
    DOTNET_JitDisasm: pattern,
    DOTNET_JitStdOutFile: JIT_LISTING_FILE,
    DOTNET_TieredCompilation: '0',
  };
}

/** A sandbox that came up dead: the reason, after its exit. */
async function fail(p: Prepared): Promise<never> {
  const exit = await p.sandbox.closed;
  throw new Error(`exit ${exit.exitCode}`);
}

type Within<T> =
  { kind: 'ok'; value: T } | { kind: 'failed'; error: string } | { kind: 'timeout' } | { kind: 'cancelled' };

/** A wait with a deadline and a cancel: what the promise gives, or why it was not waited for. */
function within<T>(promise: Promise<T>, ms: number, signal: AbortSignal): Promise<Within<T>> {
  if (signal.aborted) return Promise.resolve({ kind: 'cancelled' });
  return new Promise((resolve) => {
    const settle = (w: Within<T>) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      resolve(w);
    };
    const abort = () => settle({ kind: 'cancelled' });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), ms);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => settle({ kind: 'ok', value }),
      (err: unknown) => settle({ kind: 'failed', error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
