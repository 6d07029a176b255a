// Per-step cgroups (v1 memory + pids controllers) for the local sandbox.
//
// Why a cgroup and not only rlimits: .NET reserves 256 GiB of address space at start-up, so RLIMIT_AS
// stops it before Main. RLIMIT_DATA does let it start (measured: a 256 MiB DATA limit runs Hello World),
// but it also counts every thread's stack reservation, so it is a loose cap that fails thread creation
// long before memory is really used. The memory cgroup counts what is resident, managed and unmanaged
// (NativeMemory, AllocHGlobal, tmpfs pages), ends the sandbox with an OOM kill we can see in
// memory.oom_control, and gives the peak (memory.max_usage_in_bytes). The pids controller caps the
// tasks of this one sandbox, where RLIMIT_NPROC counts a whole uid.
//
// Only cgroup v1 is driven here: that is what this kind of machine offers (a writable v1 hierarchy, as
// root). Without it the sandbox falls back to rlimits alone (SANDBOX_CGROUP=auto) and says so at start.
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './proc.js';

export interface CgroupLimits {
  memoryBytes: number;
  maxTasks: number;
}

export interface CgroupStats {
  peakMemoryBytes: number | null;
  oomKills: number;
  /** Forks/clones refused at pids.max. */
  taskLimitHits: number;
}

export interface StepCgroup {
  readonly procsFiles: readonly string[];
  /** Host pids inside (from the memory controller). */
  pids(): Promise<number[]>;
  stats(): Promise<CgroupStats>;
  /** Kills whatever is still inside, then removes the cgroup. Safe to call twice. */
  destroy(): Promise<void>;
}

export class CgroupV1 {
  private constructor(
    private readonly memoryDir: string,
    private readonly pidsDir: string,
  ) {}

  /** Returns a driver when both controllers are mounted and writable, otherwise null. */
  static async detect(root = '/sys/fs/cgroup', parent = 'sharpbox'): Promise<CgroupV1 | null> {
    const memory = join(root, 'memory');
    const pids = join(root, 'pids');
    try {
      await access(join(memory, 'cgroup.procs'), constants.W_OK);
      await access(join(pids, 'cgroup.procs'), constants.W_OK);
      await mkdir(join(memory, parent), { recursive: true });
      await mkdir(join(pids, parent), { recursive: true });
      await access(join(memory, parent, 'memory.limit_in_bytes'), constants.W_OK);
      await access(join(pids, parent, 'pids.max'), constants.W_OK);
    } catch {
      return null;
    }
    return new CgroupV1(join(memory, parent), join(pids, parent));
  }

  /**
   * Removes cgroups left by sharpbox processes that died without cleaning up (names start with the
   * owner's pid), killing anything still inside them.
   */
  async sweepStale(): Promise<void> {
    for (const dir of [this.memoryDir, this.pidsDir]) {
      const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of names) {
        if (!entry.isDirectory()) continue;
        const owner = Number(/^(\d+)-/.exec(entry.name)?.[1] ?? 0);
        if (owner <= 0 || owner === process.pid || isAlive(owner)) continue;
        await removeCgroup(join(dir, entry.name)).catch(() => undefined);
      }
    }
  }

  async create(name: string, limits: CgroupLimits): Promise<StepCgroup> {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad cgroup name ${name}`);
    const mem = join(this.memoryDir, name);
    const pids = join(this.pidsDir, name);
    const created: string[] = [];
    const group = new V1StepCgroup(mem, pids, created);
    try {
      await mkdir(mem);
      created.push(mem);
      await mkdir(pids);
      created.push(pids);
      await writeFile(join(mem, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // No swap either: memsw is memory + swap, so setting it to the same value forbids swapping.
      await writeFile(join(mem, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
      await writeFile(join(pids, 'pids.max'), String(limits.maxTasks));
    } catch (err) {
      await group.destroy();
      throw err;
    }
    return group;
  }
}

class V1StepCgroup implements StepCgroup {
  readonly procsFiles: readonly string[];
  private destroyed = false;

  constructor(
    private readonly memDir: string,
    private readonly pidsDir: string,
    private readonly created: string[],
  ) {
    this.procsFiles = [join(memDir, 'cgroup.procs'), join(pidsDir, 'cgroup.procs')];
  }

  async pids(): Promise<number[]> {
    return readPids(join(this.memDir, 'cgroup.procs'));
  }

  async stats(): Promise<CgroupStats> {
    const [peak, oom, events] = await Promise.all([
      readFile(join(this.memDir, 'memory.max_usage_in_bytes'), 'utf8').catch(() => ''),
      readFile(join(this.memDir, 'memory.oom_control'), 'utf8').catch(() => ''),
      readFile(join(this.pidsDir, 'pids.events'), 'utf8').catch(() => ''),
    ]);
    return {
      peakMemoryBytes: /^\d+/.test(peak) ? Number(peak.trim()) : null,
      oomKills: Number(/^oom_kill (\d+)/m.exec(oom)?.[1] ?? 0),
      taskLimitHits: Number(/^max (\d+)/m.exec(events)?.[1] ?? 0),
    };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const dir of [...this.created].reverse()) await removeCgroup(dir);
  }
}

async function readPids(procsFile: string): Promise<number[]> {
  return (await readFile(procsFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

/** A cgroup can only be removed once empty: kill what is inside until it is (bounded: 2 s). */
async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (attempt === 100) throw new Error(`cgroup ${dir} still has processes after 2 s of SIGKILL`);
    for (const pid of await readPids(join(dir, 'cgroup.procs'))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
