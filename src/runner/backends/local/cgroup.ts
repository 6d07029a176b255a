// Per-step cgroups for the local sandbox: what a driver gives (this file), and which driver a host gets
// (cgroupChoice.ts). The drivers: cgroupV2.ts (the unified hierarchy of current hosts: Debian 12, Ubuntu
// 22.04+, Docker on those, AKS) and cgroupV1.ts (hosts that still mount the v1 controllers).
//
// Why a cgroup and not only rlimits: .NET reserves 256 GiB of address space at start-up, so RLIMIT_AS
// stops it before Main. RLIMIT_DATA does let it start (measured: a 256 MiB DATA limit runs Hello World),
// but it also counts every thread's stack reservation, so it is a loose cap that fails thread creation
// long before memory is really used. The memory cgroup counts what is resident, managed and unmanaged
// (NativeMemory, AllocHGlobal, tmpfs pages, socket buffers), ends the sandbox with an OOM kill the host
// can see, and gives the peak. The pids controller caps the tasks of this one sandbox, where
// RLIMIT_NPROC counts a whole uid. The cpu controller caps the share of the machine (RLIMIT_CPU is per
// process: forked spinners used 8.3 CPU-seconds in a 5-second run), and measures what the sandbox used,
// all processes together.
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './proc.js';

export interface CgroupLimits {
  memoryBytes: number;
  maxTasks: number;
  /** CPU bandwidth in cores (1 = one core's worth of time per period); null: no cap. */
  cpus: number | null;
  /** Socket-buffer memory (v1: memory.kmem.tcp; v2: the `sock` line of memory.stat); null: not capped. */
  tcpBytes: number | null;
  /**
   * Started ahead of need (a pre-started sandbox): the lowest CPU weight until prioritize() or
   * handOver(), so its runtime start-up takes only CPU time that nothing else wants, never the running
   * program's or the compiler's.
   */
  background: boolean;
}

/** CPU weights: the kernel's lowest (v1 cpu.shares 2, v2 cpu.weight 1) and its default (1024, 100). */
export const CPU_WEIGHT = { v1: { background: 2, normal: 1024 }, v2: { background: 1, normal: 100 } } as const;

export interface CgroupStats {
  /** Peak of memory + socket buffers. */
  peakMemoryBytes: number | null;
  oomKills: number;
  /** Times the step's memory reached its cap (v1 memory.failcnt, v2 the `max` event; or 1 when the peak touched the cap). */
  memoryLimitHits: number;
  /** Forks/clones refused at pids.max. */
  taskLimitHits: number;
  /** CPU time of every task of the step since the hand-over, user + system; null where it is not measured (v1 without cpuacct). */
  cpuMs: number | null;
  /** CPU time of the step before the hand-over (the runtime's start-up); 0 where not measured. */
  startupCpuMs: number;
}

export interface StepCgroup {
  readonly procsFiles: readonly string[];
  /** Host pids inside. */
  pids(): Promise<number[]>;
  stats(): Promise<CgroupStats>;
  /** Whether the socket-buffer cap was hit: one small read, cheap enough to poll while a run goes on. */
  tcpLimitHit(): Promise<boolean>;
  /**
   * The program is handed over: hold the step to its CPU share (CgroupLimits.cpus) from now on, and
   * count its CPU time from here (stats().cpuMs). Not at creation: a pre-started sandbox initialises
   * the runtime (many threads, none of them the user's) at full speed, the user's code never runs
   * uncapped, and the user is shown the CPU time of their program, not of our start-up.
   */
  handOver(): Promise<void>;
  /**
   * A run now waits for this step: the default CPU weight from here on (a background step otherwise
   * starts only as fast as idle CPU allows). handOver() does it too. Safe to call again.
   */
  prioritize(): Promise<void>;
  /** Kills whatever is still inside, then removes the cgroup. Safe to call twice. */
  destroy(): Promise<void>;
}

/** A cgroup hierarchy the sandbox can drive: one parent cgroup of ours, one child per sandbox step. */
export interface CgroupDriver {
  /** What the start-up log and health say: the version and the controllers driven. */
  readonly description: string;
  /** Whether the CPU cap (RUN_CPUS) is applied. */
  readonly cpu: boolean;
  /**
   * Removes cgroups left by sharpbox processes that died without cleaning up (names start with the
   * owner's pid), killing anything still inside them.
   */
  sweepStale(): Promise<void>;
  create(name: string, limits: CgroupLimits): Promise<StepCgroup>;
}

export function read(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

/** A peak at the cap, to the page: the kernel charges in pages and the cap is page-aligned. */
export function reached(peakText: string, cap: number): boolean {
  return /^\d+/.test(peakText) && counter(peakText) + 4096 > cap;
}

export function counter(text: string): number {
  return /^\d+/.test(text) ? Number(text.trim()) : 0;
}

export async function readPids(procsFile: string): Promise<number[]> {
  return (await readFile(procsFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

/** Removes the cgroups in `parent` whose owner (the pid their name starts with) is gone. */
export async function sweepStaleIn(parent: string): Promise<void> {
  const names = await readdir(parent, { withFileTypes: true }).catch(() => []);
  for (const entry of names) {
    if (!entry.isDirectory()) continue;
    const owner = Number(/^(\d+)-/.exec(entry.name)?.[1] ?? 0);
    if (owner <= 0 || owner === process.pid || isAlive(owner)) continue;
    await removeCgroup(join(parent, entry.name)).catch(() => undefined);
  }
}

/** A cgroup can only be removed once empty: kill what is inside until it is (bounded: 2 s). */
export async function removeCgroup(dir: string): Promise<void> {
  // v2 (5.14+): one write kills every task inside, forks in flight included. Elsewhere the file is
  // missing and the loop below does it pid by pid.
  await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => undefined);
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
