// The `local` backend: every run is compiled in one fresh bubblewrap sandbox and executed in another,
// each under the slot's unprivileged uid, with rlimits, a per-step cgroup (when the host offers one), a
// host-side wall clock and a host-side output cap. See README "Sandbox" for the whole picture.
import { spawn } from 'node:child_process';
import { arch } from 'node:os';
import type { Config } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { BackendRun, SandboxBackend } from '../../backend.js';
import { classifyExec, formatBytes, formatSeconds } from '../../classify.js';
import { emptyResult, type Diagnostic, type RunResult } from '../../types.js';
import { buildBwrapArgs, buildLaunchArgv, type SandboxLayout } from './bwrapArgs.js';
import { CgroupV1, type CgroupStats, type StepCgroup } from './cgroup.js';
import { encodeProgramFrames, parseCompileResponse } from './hostProtocol.js';
import { multiarchFor, SANDBOX_DOTNET_ROOT, SANDBOX_HOST_DIR, sandboxLayout } from './layout.js';
import { BWRAP_STATUS_FD, runSandboxProcess, SECCOMP_FD, type ProcessOutcome } from './sandboxProcess.js';
import { seccompFilter } from './seccomp.js';
import { resolveTools, type Tools } from './tools.js';
import { claimUids, type UidClaim } from './uidSlots.js';

const MiB = 1024 * 1024;
/** The compile step's stdout is our own JSON (diagnostics + base64 assembly), not user output. */
const COMPILE_RESPONSE_CAP = 48 * MiB;
/** Roslyn's parallel compile and the runtime's threads; it never runs user code. */
const COMPILE_MAX_TASKS = 128;
/** The outer bwrap and tini sit in the sandbox's cgroup and uid beside the program. */
const LAUNCHER_TASKS = 2;

type Step = 'compile' | 'run';

export class LocalBackend implements SandboxBackend {
  readonly name = 'local';
  readonly capacity: number;
  private tools: Tools | null = null;
  private layout: SandboxLayout | null = null;
  private cgroups: CgroupV1 | null = null;
  private claim: UidClaim | null = null;
  private freeUids: number[] = [];
  private seccomp: Buffer | null = null;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.capacity = config.slots;
  }

  async start(): Promise<void> {
    if (process.getuid?.() !== 0) {
      throw new Error('the local sandbox runs each slot as its own unprivileged uid, which needs root (or CAP_SETUID/CAP_SETGID): run the service as root, or in the Docker image as README shows');
    }
    this.tools = await resolveTools();
    const { sandbox } = this.config;
    this.layout = sandboxLayout({ dotnetRoot: sandbox.dotnetRoot, hostDir: sandbox.hostDir, etcDir: sandbox.etcDir, init: this.tools['tini-static'], multiarch: multiarchFor(arch()) });
    if (sandbox.cgroup !== 'off') {
      this.cgroups = await CgroupV1.detect();
      if (!this.cgroups && sandbox.cgroup === 'v1') {
        throw new Error('SANDBOX_CGROUP=v1 but the cgroup v1 memory and pids controllers are not writable at /sys/fs/cgroup');
      }
      if (!this.cgroups) this.log.warn('no writable cgroup v1 memory+pids controllers: memory is capped by RLIMIT_DATA only and peak memory is not measured');
    }
    this.seccomp = seccompFilter(arch());
    if (!this.seccomp) this.log.warn(`no seccomp filter for ${arch()}: the sandbox relies on namespaces, rlimits and cgroups alone`);
    this.claim = await claimUids(sandbox.stateDir, sandbox.uidBase, this.capacity);
    this.freeUids = [...this.claim.uids];
    this.log.info('local sandbox ready', { slots: this.capacity, uids: this.claim.uids, cgroups: this.cgroups ? 'v1' : 'none' });
  }

  /** The uids this backend's sandboxes run as (claimed at start). */
  get slotUids(): readonly number[] {
    return this.claim?.uids ?? [];
  }

  async stop(): Promise<void> {
    await this.claim?.release();
    this.claim = null;
  }

  async execute(run: BackendRun): Promise<RunResult> {
    const uid = this.freeUids.shift();
    if (uid === undefined) throw new Error('no free sandbox slot: the runner admitted more runs than capacity');
    try {
      return await this.compileAndRun(run, uid);
    } finally {
      await this.sweepUid(uid);
      this.freeUids.push(uid);
    }
  }

  private async compileAndRun(run: BackendRun, uid: number): Promise<RunResult> {
    const limits = this.config.limits;
    run.onPhase('compiling');
    const compileStarted = performance.now();
    const compiled = await this.step(run, uid, 'compile', {
      memoryBytes: limits.compileMemoryBytes,
      maxTasks: COMPILE_MAX_TASKS,
      timeoutMs: limits.compileTimeoutMs,
      outputCapBytes: COMPILE_RESPONSE_CAP,
      stdin: Buffer.from(JSON.stringify({ id: run.id, source: run.source }), 'utf8'),
      argv: ['compile'],
    });
    const compileMs = Math.round(performance.now() - compileStarted);
    const { outcome } = compiled;
    if (outcome.cancelled) return { ...emptyResult('cancelled', 'cancelled'), compileMs };

    const failure = compileFailure(compiled, limits.compileTimeoutMs, limits.compileMemoryBytes);
    if (failure) return { ...emptyResult('compile_error', failure.message), diagnostics: [failure], compileMs };
    const response = parseCompileResponse(outcome.stdout.toString('utf8'));
    if (!response || response.error) {
      throw new Error(`compile step failed (exit ${outcome.exitCode}): ${response?.error ?? outcome.stderr.toString('utf8').slice(0, 2000)}`);
    }
    if (!response.ok || !response.assembly) {
      const errors = response.diagnostics.filter((d) => d.severity === 'error').length;
      return { ...emptyResult('compile_error', `${errors} compile error${errors === 1 ? '' : 's'}`), diagnostics: response.diagnostics, compileMs };
    }

    run.onPhase('running');
    const program = encodeProgramFrames(Buffer.from(response.assembly, 'base64'), response.pdb ? Buffer.from(response.pdb, 'base64') : null);
    const executed = await this.step(run, uid, 'run', {
      memoryBytes: limits.memoryBytes,
      maxTasks: limits.maxProcesses,
      timeoutMs: run.timeoutMs,
      outputCapBytes: limits.outputBytes,
      stdin: Buffer.from(run.stdin, 'utf8'),
      control: program,
      argv: ['exec'],
      onOutput: run.onOutput,
    });
    const o = executed.outcome;
    const notes = o.notes;
    const exitNote = notes.filter((n) => n.e === 'exit').at(-1);
    const unhandled = notes.filter((n) => n.e === 'unhandled').at(-1);
    const stderr = o.stderr.toString('utf8');
    const verdict = classifyExec(
      {
        exitCode: o.exitCode,
        killedBy: o.killedBy,
        timedOut: o.timedOut,
        cancelled: o.cancelled,
        outputExceeded: o.outputExceeded,
        sawReady: notes.some((n) => n.e === 'ready'),
        sawStart: notes.some((n) => n.e === 'start'),
        noteExitCode: exitNote?.e === 'exit' ? exitNote.code : null,
        unhandledType: unhandled?.e === 'unhandled' ? unhandled.type : null,
        stderrHead: stderr.slice(0, 4096),
        oomKills: executed.stats?.oomKills ?? 0,
        taskLimitHits: executed.stats?.taskLimitHits ?? 0,
      },
      { timeoutMs: run.timeoutMs, memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses, outputBytes: limits.outputBytes },
    );
    if (verdict.status === 'internal_error') {
      this.log.error('exec sandbox failed', { runId: run.id, exitCode: o.exitCode, stderr: stderr.slice(0, 2000) });
    }
    return {
      ...verdict,
      stdout: o.stdout.toString('utf8'),
      stderr: verdict.status === 'internal_error' ? '' : stderr,
      truncated: o.outputExceeded,
      diagnostics: response.diagnostics,
      compileMs,
      runMs: Math.round(o.wallMs),
      peakMemoryBytes: executed.stats?.peakMemoryBytes ?? null,
    };
  }

  /** One sandboxed step, with its cgroup created before and destroyed after, on every path. */
  private async step(
    run: BackendRun,
    uid: number,
    step: Step,
    s: {
      memoryBytes: number;
      maxTasks: number;
      timeoutMs: number;
      outputCapBytes: number;
      stdin: Buffer;
      control?: Buffer;
      argv: string[];
      onOutput?: BackendRun['onOutput'];
    },
  ): Promise<{ outcome: ProcessOutcome; stats: CgroupStats | null }> {
    const tools = this.tools;
    const layout = this.layout;
    if (!tools || !layout) throw new Error('the local backend was not started');
    let cgroup: StepCgroup | null = null;
    try {
      if (this.cgroups) cgroup = await this.cgroups.create(`${run.id}-${step}`, { memoryBytes: s.memoryBytes, maxTasks: s.maxTasks + LAUNCHER_TASKS });
      const bwrapArgs = buildBwrapArgs({
        layout,
        tmpfsBytes: this.config.limits.tmpfsBytes,
        env: sandboxEnv(s.memoryBytes),
        seccompFd: this.seccomp ? SECCOMP_FD : undefined,
        jsonStatusFd: BWRAP_STATUS_FD,
        argv: [`${SANDBOX_DOTNET_ROOT}/dotnet`, `${SANDBOX_HOST_DIR}/sharpbox-host.dll`, ...s.argv],
      });
      const argv = buildLaunchArgv({
        cgroupProcsFiles: cgroup?.procsFiles ?? [],
        rlimits: {
          nproc: s.maxTasks + LAUNCHER_TASKS,
          nofile: 1024,
          // Just above the tmpfs cap, so a full tmpfs is a catchable ENOSPC rather than a SIGXFSZ kill.
          fsizeBytes: this.config.limits.tmpfsBytes + MiB,
          cpuSeconds: Math.ceil(s.timeoutMs / 1000) + 1,
          // Backstop only, and loose: DATA also counts thread-stack reservations (see cgroup.ts).
          dataBytes: s.memoryBytes + 256 * MiB,
          core: 0,
        },
        uid,
        gid: uid,
        bwrapArgs,
        tools,
      });
      const outcome = await runSandboxProcess({
        argv,
        stdin: s.stdin,
        control: s.control,
        seccomp: this.seccomp,
        timeoutMs: s.timeoutMs,
        outputCapBytes: s.outputCapBytes,
        signal: run.signal,
        onOutput: s.onOutput,
      });
      const stats = cgroup ? await cgroup.stats() : null;
      return { outcome, stats };
    } finally {
      await cgroup?.destroy().catch((err: unknown) => this.log.error('could not remove a sandbox cgroup', { runId: run.id, err: String(err) }));
    }
  }

  /**
   * Belt and braces after every run: kill every process of the slot's uid. The pid namespace already
   * took everything down with bwrap, so this normally finds nothing; it exists so that no process of
   * one run can ever meet the next run in the same slot.
   */
  private async sweepUid(uid: number): Promise<void> {
    const tools = this.tools;
    if (!tools) return;
    await new Promise<void>((resolve) => {
      const p = spawn(tools.setpriv, [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', tools.kill, '-KILL', '-1'], { stdio: 'ignore', env: {} });
      p.on('error', () => resolve());
      p.on('close', () => resolve());
    });
  }
}

/** The only environment a sandbox gets (bwrap --clearenv first): nothing of the service's own. */
export function sandboxEnv(memoryBytes: number): Record<string, string> {
  // Managed heap at 75% of the sandbox (.NET's own default inside a container), so that a managed
  // allocation spree ends in OutOfMemoryException before the cgroup's OOM kill, which stays the
  // backstop for unmanaged memory.
  const heap = Math.floor((memoryBytes * 3) / 4);
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
    DOTNET_GCHeapHardLimit: `0x${heap.toString(16)}`,
    // Faster start for short programs; the JIT still tiers up hot loops.
    DOTNET_TieredPGO: '0',
  };
}

function compileFailure(
  step: { outcome: ProcessOutcome; stats: CgroupStats | null },
  timeoutMs: number,
  memoryBytes: number,
): Diagnostic | null {
  const { outcome, stats } = step;
  const at = { severity: 'error' as const, line: 0, column: 0, endLine: 0, endColumn: 0 };
  if (outcome.timedOut) return { ...at, id: 'SB0001', message: `compilation took longer than ${formatSeconds(timeoutMs)}` };
  const stderr = outcome.stderr.toString('utf8', 0, Math.min(outcome.stderr.length, 4096));
  if ((stats?.oomKills ?? 0) > 0 || stderr.includes('OutOfMemoryException')) {
    return { ...at, id: 'SB0002', message: `compilation ran out of memory (${formatBytes(memoryBytes)})` };
  }
  if (outcome.outputExceeded) return { ...at, id: 'SB0003', message: `the compiled program is larger than ${formatBytes(COMPILE_RESPONSE_CAP / 2)}` };
  return null;
}
