// The fleet's figures from its processes': counts and rates add up; a latency percentile does not, so
// the fleet's is the slowest process's (an operator looks for the worst one anyway). One module for the
// server's snapshot (fleet/redis.ts) and the dashboard's live gauges (state.ts, series.ts): it lives with
// the dashboard because the browser can load only what is served from admin/. Pure, no imports at run time.
import type { Counters, ProcessInfo, Stats } from '../protocol.js';

export function aggregate(processes: readonly Pick<ProcessInfo, 'counters' | 'stats'>[]): {
  counters: Counters;
  stats: Stats;
} {
  const counters = emptyCounters();
  const stats = emptyStats();
  for (const p of processes) {
    counters.submitted += p.counters.submitted;
    counters.finished += p.counters.finished;
    counters.refused += p.counters.refused;
    for (const [status, n] of Object.entries(p.counters.byStatus) as [keyof Counters['byStatus'], number][])
      counters.byStatus[status] = (counters.byStatus[status] ?? 0) + n;
    stats.running += p.stats.running;
    stats.queued += p.stats.queued;
    stats.capacity += p.stats.capacity;
    stats.gated ||= p.stats.gated;
    stats.throughputPerSecond += p.stats.throughputPerSecond;
    stats.latencyP50Ms = slowest(stats.latencyP50Ms, p.stats.latencyP50Ms);
    stats.latencyP95Ms = slowest(stats.latencyP95Ms, p.stats.latencyP95Ms);
  }
  return { counters, stats };
}

export function slowest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

export function emptyCounters(): Counters {
  return { submitted: 0, finished: 0, refused: 0, byStatus: {} };
}

export function emptyStats(): Stats {
  return {
    running: 0,
    queued: 0,
    capacity: 0,
    gated: false,
    throughputPerSecond: 0,
    latencyP50Ms: null,
    latencyP95Ms: null,
  };
}
