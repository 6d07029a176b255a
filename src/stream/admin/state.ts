// What the dashboard knows of the fleet, kept from the feed's messages: runs, their output and place in the
// queue, the processes and their time series, and whether the view is whole. No DOM here: apply() takes a
// message and says what it changed, and the page redraws only that.
import type {
  Counters,
  FEED_PROTOCOL_VERSION,
  FeedMessage,
  FleetStatus,
  ProcessInfo,
  RunSummary,
  Sample,
  SAMPLES_KEPT,
  Stats,
} from '../protocol.js';
import { aggregate, emptyCounters, emptyStats } from './fleetFigures.js';

// The page imports protocol.ts for types only (the browser is never served it); the type pins the value.
const KEPT: typeof SAMPLES_KEPT = 360;
const VERSION: typeof FEED_PROTOCOL_VERSION = 2;

/** What a message changed, so the page redraws only that. */
export interface Changed {
  runs: boolean;
  processes: boolean;
  series: boolean;
  fleet: boolean;
  gauges: boolean;
  /** A run whose output grew (the detail pane shows it live). */
  output: string | null;
}

export class FeedState {
  readonly runs = new Map<string, RunSummary>();
  readonly outputs = new Map<string, string>();
  /** Where each queued run waits: its place, and when it should start (page time, ms) if the runner said. */
  readonly waiting = new Map<string, { position: number; startsAt: number | null }>();
  readonly processes = new Map<string, ProcessInfo>();
  /** How each process that left went: cleanly (stopped) or not (lost). */
  readonly goneHow = new Map<string, 'stopped' | 'lost'>();
  readonly series = new Map<string, Sample[]>();
  fleet: FleetStatus = { mode: 'local', ok: true, detail: '' };
  backend = '';
  /** The process that serves this page's connection. */
  self: string | null = null;
  /** The fleet's figures as the snapshot gave them; replaced by the processes' own once they report. */
  private snapshotFigures: { counters: Counters; stats: Stats } | null = null;
  /** The newest log position seen: sent back as ?since= on reconnect. */
  lastSeq: string | null = null;
  /**
   * Set when a message came in a newer protocol version than this page's (a fleet mid-upgrade): such
   * messages are skipped, since their shape may differ, and the page asks to be reloaded.
   */
  newerVersion: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  apply(m: FeedMessage): Changed {
    const c: Changed = { runs: false, processes: false, series: false, fleet: false, gauges: false, output: null };
    const version = m.type === 'snapshot' ? m.version : m.type === 'fleet.status' ? VERSION : m.v;
    if (version > VERSION) {
      this.newerVersion = version;
      c.fleet = true;
      return c;
    }
    if (m.type === 'snapshot') {
      this.runs.clear();
      this.waiting.clear();
      this.processes.clear();
      this.goneHow.clear();
      this.series.clear();
      for (const r of [...m.recent].reverse()) this.runs.set(r.id, r);
      for (const r of m.inFlight) this.runs.set(r.id, r);
      for (const p of m.processes) this.processes.set(p.id, p);
      for (const [id, points] of Object.entries(m.series)) this.series.set(id, points.slice(-KEPT));
      this.fleet = m.fleet;
      this.self = m.self.id;
      this.backend = `${m.backend.name}: ${m.backend.detail}`;
      this.snapshotFigures = { counters: m.counters, stats: m.stats };
      this.lastSeq = m.seq;
      return { runs: true, processes: true, series: true, fleet: true, gauges: true, output: null };
    }
    if (m.type === 'fleet.status') {
      this.fleet = m.fleet;
      c.fleet = true;
      return c;
    }
    if (m.seq !== undefined) this.lastSeq = m.seq;
    switch (m.type) {
      case 'run.queued':
        this.runs.set(m.run.id, m.run);
        this.wait(m.run.id, m.position, m.etaMs);
        c.runs = true;
        break;
      case 'run.waiting':
        this.wait(m.id, m.position, m.etaMs);
        c.runs = true;
        break;
      case 'run.compiling':
      case 'run.started': {
        this.waiting.delete(m.id);
        const r = this.runs.get(m.id);
        if (r && r.state !== 'done' && r.state !== 'interrupted') {
          r.state = m.type === 'run.started' ? 'running' : 'compiling';
          if (m.type === 'run.started') r.startedAt = m.at;
        }
        c.runs = true;
        break;
      }
      case 'run.output':
        this.outputs.set(m.id, (this.outputs.get(m.id) ?? '') + m.text);
        c.output = m.id;
        break;
      case 'run.done':
        this.waiting.delete(m.run.id);
        this.runs.set(m.run.id, m.run);
        this.outputs.set(m.run.id, m.result.stdout + m.result.stderr);
        c.runs = true;
        c.output = m.run.id;
        break;
      case 'counters': {
        const p = this.processes.get(m.process.id);
        if (p) {
          p.counters = m.counters;
          p.stats = m.stats;
          this.snapshotFigures = null;
          c.processes = c.gauges = true;
        }
        break;
      }
      case 'backend.health': {
        const p = this.processes.get(m.process.id);
        if (p) p.health = m.backend;
        this.backend = `${m.backend.name}: ${m.backend.detail}`;
        c.processes = c.gauges = true;
        break;
      }
      case 'process.heartbeat':
        this.processes.set(m.info.id, m.info);
        if (m.info.alive) this.goneHow.delete(m.info.id);
        this.snapshotFigures = null;
        c.processes = c.gauges = true;
        break;
      case 'process.sample':
        this.addSample(m.process.id, m.sample);
        c.series = true;
        break;
      case 'process.gone': {
        const p = this.processes.get(m.id);
        if (p) p.alive = false;
        this.goneHow.set(m.id, m.clean ? 'stopped' : 'lost');
        for (const id of m.interrupted) {
          const r = this.runs.get(id);
          if (r && r.state !== 'done') r.state = 'interrupted';
          this.waiting.delete(id);
        }
        this.snapshotFigures = null;
        c.processes = c.runs = c.gauges = true;
        break;
      }
      case 'refusal':
        break;
    }
    return c;
  }

  /** The fleet's figures: the live processes' summed (latency: the slowest one's), as the snapshot sums. */
  figures(): { counters: Counters; stats: Stats } {
    if (this.snapshotFigures || this.processes.size === 0)
      return this.snapshotFigures ?? { counters: emptyCounters(), stats: emptyStats() };
    return aggregate([...this.processes.values()].filter((p) => p.alive));
  }

  private wait(id: string, position: number, etaMs: number | undefined): void {
    this.waiting.set(id, { position, startsAt: etaMs === undefined ? null : this.now() + etaMs });
  }

  /** Appended in time order; a point replayed for an interval already held replaces it, an older one is dropped. */
  private addSample(processId: string, s: Sample): void {
    const points = this.series.get(processId) ?? [];
    const last = points[points.length - 1];
    if (last && s.at < last.at) return;
    if (last && s.at === last.at) points[points.length - 1] = s;
    else points.push(s);
    if (points.length > KEPT) points.splice(0, points.length - KEPT);
    this.series.set(processId, points);
  }
}
