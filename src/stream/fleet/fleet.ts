// The fleet: what every process's feed and API see of all processes. One interface, two kinds: local
// (memory or SQLite store: this process alone, today's behaviour) and redis (every process on one Redis
// shares its events through a stream, its runs in flight, its records and its cancels).
import type { FeedMessage, FleetStatus, ProcessInfo, ProcessLabel, RunSummary, Snapshot } from '../protocol.js';
import type { SharedTickets } from '../auth.js';
import type { RunView } from '../hub.js';

export type CancelOutcome =
  /** Cancelled; the run's final state. */
  | { outcome: 'cancelled'; run: RunView }
  /** It had already ended (done or interrupted). */
  | { outcome: 'ended'; run: RunView }
  /** Sent to its process, which did not confirm within the deadline. */
  | { outcome: 'sent'; summary: RunSummary }
  | { outcome: 'unknown' };

export interface Fleet {
  readonly self: ProcessLabel;
  status(): FleetStatus;
  /** The processes as this process sees them (itself first). */
  processes(): Promise<ProcessInfo[]>;
  /** Every process's events, labelled and in log order, live; and this process's fleet.status changes. */
  subscribe(listener: (m: FeedMessage) => void): () => void;
  snapshot(): Promise<Snapshot>;
  /** The events after `since`, or null when `since` is not (or no longer) in the log. */
  replay(since: string): Promise<FeedMessage[] | null>;
  /** A run anywhere in the fleet, or null. */
  findRun(id: string): Promise<RunView | null>;
  /** Cancels a run wherever it runs, and waits (bounded) for its final state. */
  cancel(id: string): Promise<CancelOutcome>;
  /** Feed tickets any process of the fleet redeems, or null when this process is the fleet. */
  sharedTickets(): SharedTickets | null;
  /** Says goodbye (its process leaves the list at once) and releases its connections. */
  stop(): Promise<void>;
}

/** How long a cancel waits for the owning process's final state before answering "sent". */
export const CANCEL_WAIT_MS = 10_000;
