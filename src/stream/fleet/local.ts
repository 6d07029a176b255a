// The fleet of one: a memory or SQLite store is this process's alone, so the feed, the snapshot and the
// API see this process's runs, as before there was a fleet. Its events still carry the process label and
// a position, and a reconnecting dashboard replays from this process's own log.
import type { FleetConfig } from '../../config.js';
import type { Runner } from '../../runner/index.js';
import type { RunHub } from '../hub.js';
import {
  FEED_PROTOCOL_VERSION,
  type FeedMessage,
  type ProcessInfo,
  type ProcessLabel,
  type Snapshot,
} from '../protocol.js';
import type { CancelOutcome, Fleet } from './fleet.js';
import { capEvent } from './cap.js';
import { processInfo } from './info.js';
import { LocalLog } from './localLog.js';

export class LocalFleet implements Fleet {
  private readonly listeners = new Set<(m: FeedMessage) => void>();
  private readonly log: LocalLog;
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(
    config: FleetConfig,
    private readonly hub: RunHub,
    private readonly runner: Runner,
  ) {
    this.log = new LocalLog(config.streamMax);
    this.unsubscribe = hub.subscribe((e) =>
      this.emit(this.log.append({ ...capEvent(e), v: FEED_PROTOCOL_VERSION, process: this.self })),
    );
    this.heartbeat = setInterval(() => {
      const info = this.info();
      this.emit(
        this.log.append({
          type: 'process.heartbeat',
          at: info.lastHeartbeat,
          info,
          v: FEED_PROTOCOL_VERSION,
          process: this.self,
        }),
      );
    }, config.heartbeatMs);
    this.heartbeat.unref();
  }

  get self(): ProcessLabel {
    return this.hub.self;
  }

  status() {
    return { mode: 'local' as const, ok: true, detail: 'one process (memory or SQLite store)' };
  }

  processes(): Promise<ProcessInfo[]> {
    return Promise.resolve([this.info()]);
  }

  subscribe(listener: (m: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): Promise<Snapshot> {
    return Promise.resolve(localSnapshot(this.hub, this.info(), this.status(), this.log.last()));
  }

  replay(since: string): Promise<FeedMessage[] | null> {
    return Promise.resolve(this.log.after(since));
  }

  findRun(id: string) {
    return Promise.resolve(this.hub.get(id));
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const r = await this.hub.cancel(id);
    if (r.outcome === 'unknown') return r;
    return r.outcome === 'cancelled' ? { outcome: 'cancelled', run: r.run } : { outcome: 'ended', run: r.run };
  }

  sharedTickets(): null {
    return null;
  }

  stop(): Promise<void> {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    return Promise.resolve();
  }

  private info(): ProcessInfo {
    return processInfo(this.self, this.hub, this.runner, this.startedAt);
  }

  private emit(m: FeedMessage): void {
    for (const l of this.listeners) {
      try {
        l(m);
      } catch {
        // one subscriber's failure is its own
      }
    }
  }
}

/** This process's view alone: the local fleet's snapshot, and the redis fleet's while Redis is away. */
export function localSnapshot(hub: RunHub, info: ProcessInfo, fleet: Snapshot['fleet'], seq: string | null): Snapshot {
  return {
    type: 'snapshot',
    version: FEED_PROTOCOL_VERSION,
    at: Date.now(),
    self: hub.self,
    fleet,
    seq,
    processes: [info],
    series: { [info.id]: hub.series() },
    inFlight: hub.inFlight(),
    recent: hub.recentRuns(),
    counters: hub.counts(),
    stats: hub.stats(),
    backend: hub.backendHealth(),
  };
}
