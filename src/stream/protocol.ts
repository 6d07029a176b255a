// The admin feed's wire protocol: one discriminated union, shared by the server (hub.ts, server.ts), the
// dashboard's script (admin/app.ts) and the tests. JSON text frames, server → client only.
import type { Refusal, RunResult, RunStatus } from '../runner/index.js';

export const FEED_PROTOCOL_VERSION = 1;

export interface RunSummary {
  id: string;
  /** Where it came from: user, guild, channel, session, api token name… (the labels the front-end set). */
  labels: Record<string, string>;
  backend: string;
  code: string;
  state: 'queued' | 'compiling' | 'running' | 'done';
  status: RunStatus | null;
  reason: string | null;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  compileMs: number | null;
  runMs: number | null;
  peakMemoryBytes: number | null;
}

export interface Counters {
  submitted: number;
  finished: number;
  refused: number;
  byStatus: Partial<Record<RunStatus, number>>;
}

export interface Stats {
  running: number;
  queued: number;
  capacity: number;
  /** Runs wait because the backend cannot start more yet (Azure's create budget), not for capacity. */
  gated: boolean;
  /** Finished runs per second over the last minute. */
  throughputPerSecond: number;
  /** Submit → done, over the last five minutes. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export type FeedMessage =
  | {
      type: 'snapshot';
      version: number;
      at: number;
      inFlight: RunSummary[];
      recent: RunSummary[];
      counters: Counters;
      stats: Stats;
      backend: BackendHealth;
    }
  /** etaMs: about how long until it starts, when the backend said when runs may start. */
  | { type: 'run.queued'; at: number; run: RunSummary; position: number; etaMs?: number }
  /** A queued run moved up, or its estimated start moved by seconds. */
  | { type: 'run.waiting'; at: number; id: string; position: number; etaMs?: number }
  | { type: 'run.compiling'; at: number; id: string }
  | { type: 'run.started'; at: number; id: string }
  | { type: 'run.output'; at: number; id: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'run.done'; at: number; run: RunSummary; result: RunResult }
  | ({ type: 'refusal'; at: number; message: string; labels: Record<string, string> } & RefusalFacts)
  | { type: 'backend.health'; at: number; backend: BackendHealth }
  | { type: 'counters'; at: number; counters: Counters; stats: Stats };

/** A refusal's code and facts (limit, sizes, which field…), as the runner gave them; `message` words them. */
export type RefusalFacts = WithoutOk<Refusal>;
type WithoutOk<R> = R extends unknown ? Omit<R, 'ok'> : never;

export interface BackendHealth {
  name: string;
  ok: boolean;
  detail: string;
}

/** Close codes of /feed (4000–4999 are ours). */
export const FEED_CLOSE = {
  /** The client read too slowly: its buffer passed the cap; reconnect and take a fresh snapshot. */
  slowConsumer: 4008,
  /** It stopped answering pings. */
  heartbeatTimeout: 4009,
  /** The server is shutting down. */
  shuttingDown: 4010,
} as const;
