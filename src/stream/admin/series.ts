// The charts' data, from the processes' time series: the fleet's curve is the processes' points summed per
// aligned `at` (they sample on the same 10 s boundaries), except latency, where a sum means nothing: the
// fleet's is the slowest process's, and the charts say so. Pure: no DOM, no uPlot.
import type { RunStatus } from '../../runner/index.js';
import type { Sample } from '../protocol.js';
import { slowest } from './fleetFigures.js';

export const STATUSES: readonly RunStatus[] = [
  'ok',
  'compile_error',
  'runtime_error',
  'timeout',
  'memory_limit',
  'output_limit',
  'cancelled',
  'internal_error',
];

/** The interval a Sample covers, in seconds (protocol.ts SAMPLE_INTERVAL_MS). */
const INTERVAL_S = 10;

/** The fleet's series: one point per `at` any process has, summed over the processes that have it. */
export function fleetSamples(series: Iterable<Sample[]>): Sample[] {
  const byAt = new Map<number, Sample>();
  for (const points of series) {
    for (const s of points) {
      const f = byAt.get(s.at);
      if (!f) {
        byAt.set(s.at, { ...s, byStatus: { ...s.byStatus } });
        continue;
      }
      f.finished += s.finished;
      f.refused += s.refused;
      f.queued += s.queued;
      f.running += s.running;
      for (const status of STATUSES) {
        const n = s.byStatus[status];
        if (n !== undefined) f.byStatus[status] = (f.byStatus[status] ?? 0) + n;
      }
      f.latencyP50Ms = slowest(f.latencyP50Ms, s.latencyP50Ms);
      f.latencyP95Ms = slowest(f.latencyP95Ms, s.latencyP95Ms);
    }
  }
  return [...byAt.values()].sort((a, b) => a.at - b.at);
}

/** Columns for the charts: x in seconds (uPlot's time scale), one array per curve. */
export interface Columns {
  x: number[];
  throughput: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  queued: number[];
  running: number[];
  refused: number[];
  byStatus: Record<RunStatus, number[]>;
}

export function columns(samples: readonly Sample[]): Columns {
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, samples.map((p) => p.byStatus[s] ?? 0)])) as Record<
    RunStatus,
    number[]
  >;
  return {
    x: samples.map((s) => s.at / 1000),
    throughput: samples.map((s) => s.finished / INTERVAL_S),
    p50: samples.map((s) => s.latencyP50Ms),
    p95: samples.map((s) => s.latencyP95Ms),
    queued: samples.map((s) => s.queued),
    running: samples.map((s) => s.running),
    refused: samples.map((s) => s.refused),
    byStatus,
  };
}
