// Per-step cgroups on the unified hierarchy (cgroup v2): what Debian 12, Ubuntu 22.04+, Docker on those
// and AKS give. One parent of ours (`sharpbox`) under the service's own cgroup, one child per step with
// memory.max, memory.swap.max = 0, memory.oom.group = 1 (an OOM kill takes the whole sandbox, never a
// lone thread's host process while the rest runs on) and pids.max; cpu.max once the program is handed
// over. The host reads the verdict's facts from files the program cannot write: memory.events
// (`oom_kill`, `max`), memory.peak, pids.events (`max`), cpu.stat (`usage_usec`).
//
// Socket buffers are charged to memory.current on v2 (no separate kmem.tcp counter as on v1), so a
// socket park is held by memory.max already; the step still gets the v1 budget (CgroupLimits.tcpBytes)
// as a watch on the `sock` line of memory.stat, so both hosts end such a run early and the same way.
//
// Delegation. v2 forbids a cgroup that holds processes from handing controllers to children (the "no
// internal processes" rule; only the hierarchy's real root is exempt). A service usually starts in
// such a cgroup: a container's root (Docker, --cgroupns=private), a systemd unit's own cgroup. So the
// service moves every process of its cgroup into a leaf child (`service`), enables the controllers in
// its cgroup's cgroup.subtree_control, and creates `sharpbox` beside the leaf. Where that is impossible
// (controllers not delegated, a read-only /sys/fs/cgroup) detect() says what to change.
import { constants } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../../../log.js';
import {
  counter,
  CPU_WEIGHT,
  read,
  reached,
  readPids,
  removeCgroup,
  sweepStaleIn,
  type CgroupDriver,
  type CgroupLimits,
  type CgroupStats,
  type StepCgroup,
} from './cgroup.js';
import type { CgroupChoice } from './cgroupChoice.js';

/** The leaf the service's own processes move to. */
export const SERVICE_LEAF = 'service';
/** The parent of every sandbox step. */
export const STEPS_PARENT = 'sharpbox';
/** The CPU period; the quota is cpus × this. 100 ms is the kernel's default. */
const CPU_PERIOD_US = 100_000;
/** Rounds of moving processes out of the service's cgroup (a process may fork while we move). */
const MOVE_ROUNDS = 20;

const HOW_TO_DELEGATE =
  'Under systemd, set Delegate=yes in the unit (deploy/sharpbox.service does); in Docker, run with a private cgroup namespace and a writable /sys/fs/cgroup (--privileged, which on a v2 host implies --cgroupns=private); or set SANDBOX_CGROUP=off to run on rlimits alone';

export class CgroupV2 implements CgroupDriver {
  private constructor(
    /** Our parent of the steps. */
    private readonly parent: string,
    readonly cpu: boolean,
  ) {}

  get description(): string {
    return `v2 (memory, pids${this.cpu ? ', cpu' : '; no cpu cap: the cpu controller is not delegated'}) at ${this.parent}`;
  }

  static async detect(log: Logger, root = '/sys/fs/cgroup'): Promise<CgroupChoice> {
    const own = /^0::(\/.*)$/m.exec(await read('/proc/self/cgroup'))?.[1];
    if (own === undefined)
      return { driver: null, problem: 'this process is in no cgroup v2 (no "0::" line in /proc/self/cgroup)' };
    let base = join(root, own);
    // Started again by a process that already moved itself into our leaf (tests start several backends).
    if (basename(base) === SERVICE_LEAF && (await exists(join(dirname(base), STEPS_PARENT)))) base = dirname(base);

    const available = (await read(join(base, 'cgroup.controllers'))).split(/\s+/);
    const missing = ['memory', 'pids'].filter((c) => !available.includes(c));
    if (missing.length > 0) {
      return {
        driver: null,
        problem: `the cgroup v2 ${missing.join(' and ')} controller${missing.length > 1 ? 's are' : ' is'} not delegated to ${base} (its cgroup.controllers: "${available.join(' ').trim()}"). ${HOW_TO_DELEGATE}`,
      };
    }
    for (const file of ['cgroup.procs', 'cgroup.subtree_control']) {
      const denied = await access(join(base, file), constants.W_OK).then(
        () => null,
        (err: NodeJS.ErrnoException) => err.code ?? 'error',
      );
      if (denied)
        return { driver: null, problem: `${join(base, file)} is not writable (${denied}). ${HOW_TO_DELEGATE}` };
    }

    // The hierarchy's real root has no cgroup.type and may hold processes; anywhere else they must go.
    if (await exists(join(base, 'cgroup.type'))) {
      const moved = await moveIntoLeaf(base);
      if (typeof moved === 'string') return { driver: null, problem: `${moved}. ${HOW_TO_DELEGATE}` };
      if (moved.length > 0)
        log.info('moved the processes of the service cgroup into a leaf, so it can hand controllers to the sandboxes', {
          from: base,
          to: join(base, SERVICE_LEAF),
          pids: moved,
        });
    }
    const enabled = await enable(base, available.includes('cpu'));
    if (typeof enabled === 'string') return { driver: null, problem: `${enabled}. ${HOW_TO_DELEGATE}` };
    const parent = join(base, STEPS_PARENT);
    try {
      await mkdir(parent, { recursive: true });
    } catch (err) {
      return { driver: null, problem: `cannot create ${parent}: ${(err as Error).message}` };
    }
    const inParent = await enable(parent, enabled.cpu);
    if (typeof inParent === 'string') return { driver: null, problem: inParent };
    // The kernel weighs the whole parent as one entity against its siblings (the service's leaf, the
    // host's other services): with the default weight every sandbox together would count as one busy
    // task. As much weight as one busy task per core, as on v1 (cpu.weight 100 is the default, 10000 the max).
    if (inParent.cpu)
      await writeFile(join(parent, 'cpu.weight'), String(Math.min(10_000, 100 * availableParallelism()))).catch(
        () => undefined,
      );
    return { driver: new CgroupV2(parent, inParent.cpu), problem: null };
  }

  async sweepStale(): Promise<void> {
    await sweepStaleIn(this.parent);
  }

  async create(name: string, limits: CgroupLimits): Promise<StepCgroup> {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad cgroup name ${name}`);
    const dir = join(this.parent, name);
    await mkdir(dir);
    try {
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
      // Absent where the kernel accounts no swap (swapaccount=0, or no swap at all): nothing to forbid.
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(ignoreMissing);
      await writeFile(join(dir, 'memory.oom.group'), '1');
      await writeFile(join(dir, 'pids.max'), String(limits.maxTasks));
      if (this.cpu && limits.background) await writeFile(join(dir, 'cpu.weight'), String(CPU_WEIGHT.v2.background));
      const hasPeak = await exists(join(dir, 'memory.peak'));
      return new V2StepCgroup(dir, limits, this.cpu, hasPeak);
    } catch (err) {
      await removeCgroup(dir).catch(() => undefined);
      throw err;
    }
  }
}

class V2StepCgroup implements StepCgroup {
  readonly procsFiles: readonly string[];
  private destroyed = false;
  /** Highest memory.current seen, where the kernel has no memory.peak (before 5.19: Ubuntu 22.04's 5.15). */
  private sampledPeak = 0;
  /** cpu.stat usage_usec at the hand-over. */
  private cpuBase = 0;
  private prioritized = false;

  constructor(
    private readonly dir: string,
    private readonly limits: CgroupLimits,
    private readonly cpu: boolean,
    private readonly hasPeak: boolean,
  ) {
    this.procsFiles = [join(dir, 'cgroup.procs')];
  }

  pids(): Promise<number[]> {
    return readPids(join(this.dir, 'cgroup.procs'));
  }

  async prioritize(): Promise<void> {
    if (!this.cpu || !this.limits.background || this.prioritized) return;
    this.prioritized = true;
    await writeFile(join(this.dir, 'cpu.weight'), String(CPU_WEIGHT.v2.normal));
  }

  async handOver(): Promise<void> {
    await this.prioritize();
    this.cpuBase = cpuUsageUs(await read(join(this.dir, 'cpu.stat'))) ?? 0;
    if (!this.cpu || this.limits.cpus === null) return;
    const quota = Math.max(1000, Math.round(this.limits.cpus * CPU_PERIOD_US));
    await writeFile(join(this.dir, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
  }

  async tcpLimitHit(): Promise<boolean> {
    if (!this.hasPeak) await this.sample();
    if (this.limits.tcpBytes === null) return false;
    const sock = /^sock (\d+)$/m.exec(await read(join(this.dir, 'memory.stat')))?.[1];
    return sock !== undefined && reached(sock, this.limits.tcpBytes);
  }

  async stats(): Promise<CgroupStats> {
    if (!this.hasPeak) await this.sample();
    const [peak, memoryEvents, pidsEvents, cpuStat] = await Promise.all([
      this.hasPeak
        ? read(join(this.dir, 'memory.peak'))
        : Promise.resolve(this.sampledPeak > 0 ? String(this.sampledPeak) : ''),
      read(join(this.dir, 'memory.events')),
      read(join(this.dir, 'pids.events')),
      read(join(this.dir, 'cpu.stat')),
    ]);
    const event = (text: string, key: string): number =>
      Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const usage = cpuUsageUs(cpuStat);
    const maxEvents = event(memoryEvents, 'max');
    return {
      peakMemoryBytes: /^\d+/.test(peak) ? counter(peak) : null,
      oomKills: event(memoryEvents, 'oom_kill'),
      memoryLimitHits: maxEvents > 0 ? maxEvents : reached(peak, this.limits.memoryBytes) ? 1 : 0,
      taskLimitHits: event(pidsEvents, 'max'),
      // cpu.stat's usage is kept by the core, with or without the cpu controller.
      cpuMs: usage !== null ? Math.round(Math.max(0, usage - this.cpuBase) / 1000) : null,
      startupCpuMs: Math.round(this.cpuBase / 1000),
    };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await removeCgroup(this.dir);
  }

  private async sample(): Promise<void> {
    this.sampledPeak = Math.max(this.sampledPeak, counter(await read(join(this.dir, 'memory.current'))));
  }
}

/** Moves every process of `base` into its leaf; returns the pids moved, or why it could not. */
async function moveIntoLeaf(base: string): Promise<number[] | string> {
  const leaf = join(base, SERVICE_LEAF);
  const moved: number[] = [];
  for (let round = 0; round < MOVE_ROUNDS; round++) {
    const pids = await readPids(join(base, 'cgroup.procs'));
    if (pids.length === 0) return moved;
    try {
      await mkdir(leaf, { recursive: true });
    } catch (err) {
      return `cannot create ${leaf}: ${(err as Error).message}`;
    }
    for (const pid of pids) {
      try {
        await writeFile(join(leaf, 'cgroup.procs'), String(pid));
        moved.push(pid);
      } catch (err) {
        // Gone since the read: nothing to move.
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') continue;
        return `cannot move process ${pid} from ${base} into ${leaf}: ${(err as Error).message}`;
      }
    }
  }
  return `${base} still holds processes after ${MOVE_ROUNDS} rounds of moving them into ${leaf}`;
}

/** Enables memory and pids (and cpu when `cpu`) for the children of `dir`; returns whether cpu is on, or why not. */
async function enable(dir: string, cpu: boolean): Promise<{ cpu: boolean } | string> {
  const file = join(dir, 'cgroup.subtree_control');
  try {
    await writeFile(file, '+memory +pids');
  } catch (err) {
    return `cannot enable the memory and pids controllers in ${file}: ${(err as Error).message}`;
  }
  if (!cpu) return { cpu: false };
  // Optional: refused (EINVAL) where a real-time task sits in the subtree and the kernel has
  // RT_GROUP_SCHED; the sandbox then runs without its CPU cap and says so.
  const on = await writeFile(file, '+cpu').then(
    () => true,
    () => false,
  );
  return { cpu: on };
}

/** usage_usec of a cpu.stat. */
function cpuUsageUs(cpuStat: string): number | null {
  const usage = /^usage_usec (\d+)$/m.exec(cpuStat)?.[1];
  return usage === undefined ? null : Number(usage);
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
