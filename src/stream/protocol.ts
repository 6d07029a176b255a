// The admin feed's wire protocol: one discriminated union, shared by the server (hub.ts, server.ts), the
// fleet (fleet/*.ts: the same messages travel between processes through Redis Streams), the dashboard's
// script (admin/app.ts) and the tests. JSON text frames, server → client only.
//
// Version 2 (the fleet): every message says which process it comes from (`process`) and, once it is in
// the fleet's event log, its place there (`seq`), which a client sends back as `?since=` to replay what
// it missed. A process ignores (and logs) events of a newer version than its own.
import type { Refusal, RunResult, RunStatus } from '../runner/index.js';

export const FEED_PROTOCOL_VERSION = 2;

/** A service process, as every event and run names it. */
export interface ProcessLabel {
  /** Unique per process start: host, pid and a random part. */
  id: string;
  host: string;
  /** Its gateway shards ("0,1/4"), 'auto' (all in one process), or null without the bot. */
  shards: string | null;
}

/** A process as the process list shows it; refreshed by its heartbeat. */
export interface ProcessInfo extends ProcessLabel {
  backend: string;
  /** sharpbox's version (package.json). */
  version: string;
  startedAt: number;
  lastHeartbeat: number;
  /** False once its heartbeat is older than the fleet's TTL: it has stopped or lost Redis. */
  alive: boolean;
  health: BackendHealth;
  counters: Counters;
  stats: Stats;
}

/**
 * One point of a process's time series: what happened in the SAMPLE_INTERVAL_MS before `at` (aligned to
 * the interval, so processes' points line up and the fleet's curve is their sum per point).
 */
export interface Sample {
  at: number;
  /** Runs finished and refused in the interval. */
  finished: number;
  refused: number;
  /** Finished in the interval, by status. */
  byStatus: Partial<Record<RunStatus, number>>;
  /** Submit → done of the runs finished in the interval; null when none finished. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** At the end of the interval. */
  queued: number;
  running: number;
}

export const SAMPLE_INTERVAL_MS = 10_000;
/** An hour of points. */
export const SAMPLES_KEPT = 360;

/**
 * Whether this process's view of the fleet is whole: `redis` with ok false means Redis is unreachable and
 * the feed and API carry only this process's runs until it returns (the dashboard shows a banner).
 */
export interface FleetStatus {
  mode: 'local' | 'redis';
  ok: boolean;
  detail: string;
}

export interface RunSummary {
  id: string;
  /** Where it came from: user, guild, channel, session, api token name… (the labels the front-end set). */
  labels: Record<string, string>;
  backend: string;
  code: string;
  /** `interrupted`: its process stopped heartbeating while it was in flight. */
  state: 'queued' | 'compiling' | 'running' | 'done' | 'interrupted';
  status: RunStatus | null;
  reason: string | null;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  compileMs: number | null;
  runMs: number | null;
  peakMemoryBytes: number | null;
  /** The process that holds it. */
  process: ProcessLabel;
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

/** Every message after the snapshot carries these; the server adds them. */
export interface Envelope {
  /** The protocol version of the process that sent it. */
  v: number;
  process: ProcessLabel;
  /** Its place in the event log (a Redis stream id, or a local counter); send it back as `?since=`. */
  seq?: string;
  /** True while the server replays what a reconnecting client missed. */
  replay?: boolean;
}

export type FeedEvent =
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
  | { type: 'counters'; at: number; counters: Counters; stats: Stats }
  /** Every heartbeat (2 s): the process is alive, with its figures (the process list). */
  | { type: 'process.heartbeat'; at: number; info: ProcessInfo }
  /** Every SAMPLE_INTERVAL_MS: the process's newest time-series point. */
  | { type: 'process.sample'; at: number; sample: Sample }
  /** It stopped heartbeating (or stopped cleanly): these of its runs were in flight and are now interrupted. */
  | { type: 'process.gone'; at: number; id: string; interrupted: string[]; clean: boolean };

/**
 * The first message of a connection (unless the client asked to replay from a `since` still in the log):
 * the whole fleet as this process sees it. `seq` is the log position it reflects; live events follow.
 */
export interface Snapshot {
  type: 'snapshot';
  version: number;
  at: number;
  /** The process that serves this connection. */
  self: ProcessLabel;
  fleet: FleetStatus;
  seq: string | null;
  processes: ProcessInfo[];
  /** Each process's time series (by process id), oldest first, up to an hour. */
  series: Record<string, Sample[]>;
  inFlight: RunSummary[];
  recent: RunSummary[];
  /** Summed over the live processes (latency: the slowest process's). */
  counters: Counters;
  stats: Stats;
  /** This process's backend. */
  backend: BackendHealth;
}

/** This process's own link to the fleet changed (Redis lost or back): shown as the degraded banner. */
export interface FleetStatusMessage {
  type: 'fleet.status';
  at: number;
  fleet: FleetStatus;
}

export type FeedMessage = Snapshot | FleetStatusMessage | (FeedEvent & Envelope);

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
  /** The fleet's link changed (Redis lost or back): reconnect for a fresh snapshot. */
  resync: 4011,
} as const;
