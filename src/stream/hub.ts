// Everything this process knows about its runs: the runs in flight (with their live output), the
// recent ones, counters, throughput and latency, an hour of time-series points, and the events to
// subscribers (the fleet, which labels them and shares them with the other processes). It observes the
// runner, so runs from the bot, the API and anything else all appear.
import type { Refusal, Runner, RunHandle, RunRequest, RunResult } from '../runner/index.js';
import {
  SAMPLE_INTERVAL_MS,
  SAMPLES_KEPT,
  type BackendHealth,
  type Counters,
  type FeedEvent,
  type ProcessLabel,
  type RunSummary,
  type Sample,
  type Stats,
} from './protocol.js';
import { refusalMessage } from '../refusalText.js';
import { refusalFacts } from './refusals.js';

const RECENT = 200;
/**
 * What the recent runs may hold in all (their code, output and diagnostics, in UTF-16 units): the oldest
 * go first past it. 200 runs at the 1 MiB output cap would otherwise keep 200 MiB alive in the service.
 */
const RECENT_CHARS = 16 * 1024 * 1024;
/** Live output kept per run in flight, for a dashboard that opens it mid-run. */
const LIVE_OUTPUT_CAP = 64 * 1024;
const LATENCY_WINDOW_MS = 5 * 60_000;
const THROUGHPUT_WINDOW_MS = 60_000;

interface Tracked {
  summary: RunSummary;
  handle: RunHandle;
  output: string;
  result: RunResult | null;
  /** Characters it keeps alive once done. */
  chars: number;
}

/** What the interval being sampled has seen so far. */
interface Interval {
  finished: number;
  refused: number;
  byStatus: Partial<Record<RunResult['status'], number>>;
  latencies: number[];
}

export interface RunView {
  summary: RunSummary;
  output: string;
  result: RunResult | null;
}

export class RunHub {
  private readonly runs = new Map<string, Tracked>();
  private readonly recent: string[] = [];
  private recentChars = 0;
  private readonly listeners = new Set<(m: FeedEvent) => void>();
  private readonly finishes: { at: number; latencyMs: number }[] = [];
  private readonly counters: Counters = { submitted: 0, finished: 0, refused: 0, byStatus: {} };
  private readonly samples: Sample[] = [];
  private interval: Interval = emptyInterval();
  private health: BackendHealth;
  private ticker: NodeJS.Timeout;
  private sampler: NodeJS.Timeout | null = null;

  constructor(
    private readonly runner: Runner,
    /** The process its runs belong to (named in every RunSummary). */
    readonly self: ProcessLabel,
  ) {
    this.health = this.readHealth();
    runner.observe({
      submitted: (handle, request) => this.track(handle, request),
      refused: (refusal, request) => this.refused(refusal, request),
    });
    // Counters and stats for the dashboard's gauges every 2 s, and the backend's health when it changes.
    this.ticker = setInterval(() => {
      this.broadcast({ type: 'counters', at: Date.now(), counters: this.counters, stats: this.stats() });
      const health = this.readHealth();
      if (health.ok !== this.health.ok || health.detail !== this.health.detail) this.setHealth(health);
    }, 2000);
    this.ticker.unref();
    this.scheduleSample();
  }

  stop(): void {
    clearInterval(this.ticker);
    if (this.sampler) clearTimeout(this.sampler);
  }

  subscribe(listener: (m: FeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  inFlight(): RunSummary[] {
    return [...this.runs.values()].filter((t) => t.summary.state !== 'done').map((t) => t.summary);
  }

  recentRuns(): RunSummary[] {
    return this.recent.map((id) => this.runs.get(id)?.summary).filter((s): s is RunSummary => Boolean(s));
  }

  counts(): Counters {
    return this.counters;
  }

  backendHealth(): BackendHealth {
    return this.health;
  }

  /** Up to an hour of this process's points, oldest first. */
  series(): Sample[] {
    return [...this.samples];
  }

  get(id: string): RunView | null {
    const t = this.runs.get(id);
    return t ? { summary: t.summary, output: t.output, result: t.result } : null;
  }

  /**
   * Cancels a run of this process and waits for its end: its view once done, 'unknown' when this process
   * does not hold it, 'done' (with the view) when it had already ended.
   */
  async cancel(id: string): Promise<{ outcome: 'cancelled' | 'done'; run: RunView } | { outcome: 'unknown' }> {
    const t = this.runs.get(id);
    if (!t) return { outcome: 'unknown' };
    if (t.summary.state === 'done') return { outcome: 'done', run: this.view(t) };
    t.handle.cancel();
    // The runner ends a cancelled run promptly (the sandbox is killed); the hub's own 'done' handler has
    // run by the time the result settles, because it subscribed first.
    await t.handle.result;
    return { outcome: 'cancelled', run: this.view(t) };
  }

  private view(t: Tracked): RunView {
    return { summary: t.summary, output: t.output, result: t.result };
  }

  private readHealth(): BackendHealth {
    return this.runner.health();
  }

  setHealth(health: BackendHealth): void {
    this.health = health;
    this.broadcast({ type: 'backend.health', at: Date.now(), backend: health });
  }

  stats(): Stats {
    const now = Date.now();
    while (this.finishes.length > 0 && (this.finishes[0]?.at ?? now) < now - LATENCY_WINDOW_MS) this.finishes.shift();
    const latencies = this.finishes.map((f) => f.latencyMs).sort((a, b) => a - b);
    const pick = (p: number): number | null => percentile(latencies, p);
    const lastMinute = this.finishes.filter((f) => f.at >= now - THROUGHPUT_WINDOW_MS).length;
    return {
      ...this.runner.stats(),
      throughputPerSecond: lastMinute / (THROUGHPUT_WINDOW_MS / 1000),
      latencyP50Ms: pick(50),
      latencyP95Ms: pick(95),
    };
  }

  /** Closes the current interval at the next aligned boundary, so every process's points share `at`. */
  private scheduleSample(): void {
    const now = Date.now();
    const next = (Math.floor(now / SAMPLE_INTERVAL_MS) + 1) * SAMPLE_INTERVAL_MS;
    this.sampler = setTimeout(() => {
      this.closeInterval(next);
      this.scheduleSample();
    }, next - now);
    this.sampler.unref();
  }

  private closeInterval(at: number): void {
    const i = this.interval;
    this.interval = emptyInterval();
    const sorted = i.latencies.sort((a, b) => a - b);
    const { queued, running } = this.runner.stats();
    const sample: Sample = {
      at,
      finished: i.finished,
      refused: i.refused,
      byStatus: i.byStatus,
      latencyP50Ms: percentile(sorted, 50),
      latencyP95Ms: percentile(sorted, 95),
      queued,
      running,
    };
    this.samples.push(sample);
    if (this.samples.length > SAMPLES_KEPT) this.samples.shift();
    this.broadcast({ type: 'process.sample', at, sample });
  }

  private broadcast(m: FeedEvent): void {
    for (const l of this.listeners) {
      try {
        l(m);
      } catch {
        // one subscriber's failure is its own
      }
    }
  }

  private track(handle: RunHandle, request: RunRequest): void {
    const summary: RunSummary = {
      id: handle.id,
      labels: withView(request),
      backend: this.runner.backendName,
      code: request.source,
      state: 'queued',
      status: null,
      reason: null,
      submittedAt: Date.now(),
      startedAt: null,
      finishedAt: null,
      compileMs: null,
      runMs: null,
      peakMemoryBytes: null,
      process: this.self,
    };
    const tracked: Tracked = { summary, handle, output: '', result: null, chars: 0 };
    this.runs.set(handle.id, tracked);
    this.counters.submitted += 1;
    const etaMs = handle.queueEtaMs();
    this.broadcast({
      type: 'run.queued',
      at: Date.now(),
      run: summary,
      position: handle.queuePosition() ?? 1,
      ...(etaMs === null ? {} : { etaMs }),
    });
    handle.on((event) => {
      const at = Date.now();
      switch (event.type) {
        case 'queued':
          return this.broadcast({
            type: 'run.waiting',
            at,
            id: summary.id,
            position: event.position,
            ...(event.etaMs === undefined ? {} : { etaMs: event.etaMs }),
          });
        case 'compiling':
          summary.state = 'compiling';
          return this.broadcast({ type: 'run.compiling', at, id: summary.id });
        case 'running':
          summary.state = 'running';
          summary.startedAt = at;
          return this.broadcast({ type: 'run.started', at, id: summary.id });
        case 'output':
          if (tracked.output.length < LIVE_OUTPUT_CAP)
            tracked.output += event.text.slice(0, LIVE_OUTPUT_CAP - tracked.output.length);
          return this.broadcast({ type: 'run.output', at, id: summary.id, stream: event.stream, text: event.text });
        case 'done': {
          const r = event.result;
          Object.assign(summary, {
            state: 'done',
            status: r.status,
            reason: r.reason,
            finishedAt: at,
            compileMs: r.compileMs,
            runMs: r.runMs,
            peakMemoryBytes: r.peakMemoryBytes,
          });
          tracked.result = r;
          tracked.chars =
            summary.code.length +
            tracked.output.length +
            r.stdout.length +
            r.stderr.length +
            r.diagnostics.reduce((n, d) => n + d.message.length, 0);
          this.counters.finished += 1;
          this.counters.byStatus[r.status] = (this.counters.byStatus[r.status] ?? 0) + 1;
          this.finishes.push({ at, latencyMs: at - summary.submittedAt });
          this.interval.finished += 1;
          this.interval.byStatus[r.status] = (this.interval.byStatus[r.status] ?? 0) + 1;
          this.interval.latencies.push(at - summary.submittedAt);
          this.remember(summary.id);
          return this.broadcast({ type: 'run.done', at, run: summary, result: r });
        }
      }
    });
  }

  private remember(id: string): void {
    this.recent.unshift(id);
    this.recentChars += this.runs.get(id)?.chars ?? 0;
    while (this.recent.length > RECENT || (this.recent.length > 1 && this.recentChars > RECENT_CHARS)) {
      const old = this.recent.pop();
      if (old === undefined) break;
      this.recentChars -= this.runs.get(old)?.chars ?? 0;
      this.runs.delete(old);
    }
  }

  private refused(refusal: Refusal, request: RunRequest): void {
    this.counters.refused += 1;
    this.interval.refused += 1;
    this.broadcast({
      type: 'refusal',
      at: Date.now(),
      ...refusalFacts(refusal),
      message: refusalMessage(refusal),
      labels: withView(request),
    });
  }
}

/** The front end's labels, and `view` when the request asked for one (il, asm, lowered), so the feed tells listings from runs. */
function withView(request: RunRequest): Record<string, string> {
  const view = request.view;
  return typeof view === 'string' && view !== 'run' ? { ...request.labels, view } : { ...request.labels };
}

function emptyInterval(): Interval {
  return { finished: 0, refused: 0, byStatus: {}, latencies: [] };
}

/** The nearest-rank percentile of sorted values, or null when there are none. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}
