// Per-step cgroups (v1 memory, pids, cpu and cpuacct controllers) for the local sandbox.
//
// Socket buffers: on v1, TCP memory is charged to a cgroup only once memory.kmem.tcp.limit_in_bytes is
// set, and then to a counter of its own, apart from memory.usage_in_bytes. Without it a run parked 1 GiB
// in loopback TCP queues while its cgroup showed 8 MiB: memory taken from the host-wide TCP pool that the
// bot's gateway, Redis and the API share. So every step gets a TCP cap, and reaching it ends the run as
// memory_limit. The host sees that in memory.kmem.tcp.max_usage_in_bytes, which the program cannot
// forge (not in its failcnt: newer kernels track failcnt for the memory counters only, and socket
// charges past the cap are forced through with the socket put under pressure, so the peak touches it).
//
// memory.oom_control counts OOM kills, memory.max_usage_in_bytes gives the peak, pids.events the forks
// refused, cpuacct.usage the CPU time.
import { constants } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
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

/** The CFS period; the quota is cpus × this. 100 ms is the kernel's default. */
const CFS_PERIOD_US = 100_000;

type Controller = 'memory' | 'pids' | 'cpu' | 'cpuacct';

export class CgroupV1 implements CgroupDriver {
  private constructor(
    /** Our parent directory in each controller we drive. */
    private readonly dirs: Readonly<Partial<Record<Controller, string>>>,
  ) {}

  /** Whether the cpu and cpuacct controllers are driven too (the CPU cap and CPU time). */
  get cpu(): boolean {
    return this.dirs.cpu !== undefined && this.dirs.cpuacct !== undefined;
  }

  get description(): string {
    return this.cpu ? 'v1 (memory, pids, cpu)' : 'v1 (memory, pids; no cpu cap: cpu/cpuacct not writable)';
  }

  /**
   * Returns a driver when the memory and pids controllers are mounted and writable, otherwise null.
   * cpu and cpuacct are used when they are writable too (cpu.cfs_quota_us needs CONFIG_CFS_BANDWIDTH).
   */
  static async detect(root = '/sys/fs/cgroup', parent = 'sharpbox'): Promise<CgroupChoice> {
    const required: [Controller, string][] = [
      ['memory', 'memory.limit_in_bytes'],
      ['pids', 'pids.max'],
    ];
    const optional: [Controller, string][] = [
      ['cpu', 'cpu.cfs_quota_us'],
      ['cpuacct', 'cpuacct.usage'],
    ];
    const dirs: Partial<Record<Controller, string>> = {};
    const usable = async ([controller, file]: [Controller, string]): Promise<boolean> => {
      const base = join(root, controller);
      try {
        await access(join(base, 'cgroup.procs'), constants.W_OK);
        await mkdir(join(base, parent), { recursive: true });
        await access(join(base, parent, file), constants.W_OK);
      } catch {
        return false;
      }
      dirs[controller] = join(base, parent);
      return true;
    };
    for (const c of required) {
      if (!(await usable(c)))
        return {
          driver: null,
          problem: `the cgroup v1 ${c[0]} controller is not mounted writable at ${join(root, c[0])}`,
        };
    }
    const cpu = await Promise.all(optional.map(usable));
    if (!cpu.every(Boolean)) {
      delete dirs.cpu;
      delete dirs.cpuacct;
    }
    // CFS weighs a group as one entity against its siblings: with the default weight, every sandbox
    // together would count as one task against each task of the host's root group (the service, its
    // test runners, Redis), and starve under load. As much weight as one busy task per core instead.
    if (dirs.cpu)
      await writeFile(join(dirs.cpu, 'cpu.shares'), String(1024 * availableParallelism())).catch(() => undefined);
    return { driver: new CgroupV1(dirs), problem: null };
  }

  async sweepStale(): Promise<void> {
    for (const dir of Object.values(this.dirs)) await sweepStaleIn(dir);
  }

  async create(name: string, limits: CgroupLimits): Promise<StepCgroup> {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad cgroup name ${name}`);
    const at = (c: Controller): string | null => (this.dirs[c] ? join(this.dirs[c], name) : null);
    const paths = { memory: at('memory'), pids: at('pids'), cpu: at('cpu'), cpuacct: at('cpuacct') };
    if (!paths.memory || !paths.pids) throw new Error('the memory and pids controllers are required');
    const created: string[] = [];
    const group = new V1StepCgroup(
      { memory: paths.memory, pids: paths.pids, cpu: paths.cpu, cpuacct: paths.cpuacct },
      limits,
      created,
    );
    try {
      for (const dir of Object.values(paths)) {
        if (!dir) continue;
        await mkdir(dir);
        created.push(dir);
      }
      const mem = paths.memory;
      await writeFile(join(mem, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // No swap either: memsw is memory + swap, so setting it to the same value forbids swapping.
      await writeFile(join(mem, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
      // Must be set before any task joins: it is what turns TCP accounting on for this cgroup.
      if (limits.tcpBytes !== null)
        await writeFile(join(mem, 'memory.kmem.tcp.limit_in_bytes'), String(limits.tcpBytes));
      await writeFile(join(paths.pids, 'pids.max'), String(limits.maxTasks));
      if (paths.cpu && limits.cpus !== null)
        await writeFile(join(paths.cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      if (paths.cpu && limits.background)
        await writeFile(join(paths.cpu, 'cpu.shares'), String(CPU_WEIGHT.v1.background));
    } catch (err) {
      await group.destroy();
      throw err;
    }
    return group;
  }
}

interface StepDirs {
  memory: string;
  pids: string;
  cpu: string | null;
  cpuacct: string | null;
}

class V1StepCgroup implements StepCgroup {
  readonly procsFiles: readonly string[];
  private destroyed = false;
  /** cpuacct.usage (ns) at the hand-over. */
  private cpuBase = 0;
  private prioritized = false;

  constructor(
    private readonly dirs: StepDirs,
    private readonly limits: CgroupLimits,
    private readonly created: string[],
  ) {
    this.procsFiles = [dirs.memory, dirs.pids, dirs.cpu, dirs.cpuacct]
      .filter((d): d is string => d !== null)
      .map((d) => join(d, 'cgroup.procs'));
  }

  async pids(): Promise<number[]> {
    return readPids(join(this.dirs.memory, 'cgroup.procs'));
  }

  async prioritize(): Promise<void> {
    if (!this.dirs.cpu || !this.limits.background || this.prioritized) return;
    this.prioritized = true;
    await writeFile(join(this.dirs.cpu, 'cpu.shares'), String(CPU_WEIGHT.v1.normal));
  }

  async handOver(): Promise<void> {
    await this.prioritize();
    if (this.dirs.cpuacct) this.cpuBase = counter(await read(join(this.dirs.cpuacct, 'cpuacct.usage')));
    if (!this.dirs.cpu || this.limits.cpus === null) return;
    await writeFile(
      join(this.dirs.cpu, 'cpu.cfs_quota_us'),
      String(Math.max(1000, Math.round(this.limits.cpus * CFS_PERIOD_US))),
    );
  }

  async tcpLimitHit(): Promise<boolean> {
    if (this.limits.tcpBytes === null) return false;
    return reached(await read(join(this.dirs.memory, 'memory.kmem.tcp.max_usage_in_bytes')), this.limits.tcpBytes);
  }

  async stats(): Promise<CgroupStats> {
    const mem = this.dirs.memory;
    const [peak, tcpPeak, oom, failcnt, events, usage] = await Promise.all([
      read(join(mem, 'memory.max_usage_in_bytes')),
      read(join(mem, 'memory.kmem.tcp.max_usage_in_bytes')),
      read(join(mem, 'memory.oom_control')),
      read(join(mem, 'memory.failcnt')),
      read(join(this.dirs.pids, 'pids.events')),
      this.dirs.cpuacct ? read(join(this.dirs.cpuacct, 'cpuacct.usage')) : Promise.resolve(''),
    ]);
    return {
      peakMemoryBytes: /^\d+/.test(peak) ? counter(peak) + counter(tcpPeak) : null,
      oomKills: Number(/^oom_kill (\d+)/m.exec(oom)?.[1] ?? 0),
      memoryLimitHits: counter(failcnt) > 0 ? counter(failcnt) : reached(peak, this.limits.memoryBytes) ? 1 : 0,
      taskLimitHits: Number(/^max (\d+)/m.exec(events)?.[1] ?? 0),
      cpuMs: /^\d+/.test(usage) ? Math.round(Math.max(0, counter(usage) - this.cpuBase) / 1e6) : null,
      startupCpuMs: Math.round(this.cpuBase / 1e6),
    };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const dir of [...this.created].reverse()) await removeCgroup(dir);
  }
}
