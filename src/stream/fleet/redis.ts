// The fleet over Redis: every process on one Redis store publishes its events to one stream (XADD with
// a MAXLEN cap) and reads everyone's back (XREAD BLOCK), so each process's /feed serves the whole fleet,
// in one order, with positions a reconnecting dashboard can replay from. Beside the stream each process
// keeps its entry in the process list (a key that expires unless its heartbeat renews it), its runs in
// flight (a hash renewed with it), its time series, and a record per run (GET from any process); cancels
// reach the owning process over pub/sub. When a process stops heartbeating, the first process to notice
// announces it gone and marks its runs interrupted.
//
// Redis away: this process keeps serving its own runs (feed and API), says so (/healthz, the feed's
// fleet.status, the dashboard's banner), keeps what it published meanwhile, and writes it when Redis
// returns, so the fleet catches up.
import type { FleetConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Runner } from '../../runner/index.js';
import type { SharedTickets } from '../auth.js';
import type { RunHub, RunView } from '../hub.js';
import {
  FEED_PROTOCOL_VERSION,
  SAMPLES_KEPT,
  SAMPLE_INTERVAL_MS,
  type Envelope,
  type FeedEvent,
  type FeedMessage,
  type FleetStatus,
  type ProcessInfo,
  type ProcessLabel,
  type RunSummary,
  type Sample,
  type Snapshot,
} from '../protocol.js';
import { capEvent, capResult, capSummary, capText, FIELD_CHARS, OutputBudget } from './cap.js';
import { CANCEL_WAIT_MS, type CancelOutcome, type Fleet } from './fleet.js';
import { processInfo } from './info.js';
import { fleetKeys as K, RECENT_KEPT } from './keys.js';
import { localSnapshot } from './local.js';
import { openLink, type Link, type Reply } from './redisLink.js';
import { compareSeq, isSeq } from './seq.js';
import { aggregate } from '../admin/fleetFigures.js';

type Published = FeedEvent & Envelope;

/** Events kept while Redis is away, written when it returns (the oldest go first past this). */
const OUTBOX_MAX = 10_000;
/** Events one XREAD takes at most, and how long it blocks for more. */
const READ_COUNT = 500;
const READ_BLOCK_MS = 1000;
/** How long a death announcement is claimed (SET NX), so two processes do not both announce it. */
const GONE_CLAIM_MS = 60_000;

interface RunRecord {
  summary: RunSummary;
  output: string;
  result: RunView['result'];
}

export class RedisFleet implements Fleet {
  private readonly listeners = new Set<(m: FeedMessage) => void>();
  private ok = true;
  private detail = 'connected';
  private outbox: Published[] = [];
  private outboxDropped = 0;
  private lastId = '0-0';
  private reading = true;
  private recovering = false;
  private sweeping = false;
  private readonly newerVersionsLogged = new Set<number>();
  private readonly startedAt = Date.now();
  private readonly outputBudget = new OutputBudget();
  private unsubscribe: () => void = () => undefined;
  private heartbeat: NodeJS.Timeout | null = null;
  private readLoopDone: Promise<void> = Promise.resolve();

  private constructor(
    private readonly config: FleetConfig,
    private readonly link: Link,
    private readonly hub: RunHub,
    private readonly runner: Runner,
    private readonly log: Logger,
  ) {}

  static async open(
    config: FleetConfig,
    url: string,
    deps: { hub: RunHub; runner: Runner; log: Logger },
  ): Promise<RedisFleet> {
    const link = await openLink(url, 5000);
    const fleet = new RedisFleet(config, link, deps.hub, deps.runner, deps.log);
    try {
      await fleet.start();
    } catch (err) {
      await link.close();
      throw err;
    }
    return fleet;
  }

  get self(): ProcessLabel {
    return this.hub.self;
  }

  status(): FleetStatus {
    return {
      mode: 'redis',
      ok: this.ok,
      detail: this.ok
        ? 'every process on this Redis'
        : `Redis unreachable (${this.detail}): this process's runs only until it returns`,
    };
  }

  subscribe(listener: (m: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async start(): Promise<void> {
    await this.link.subscribe(K.cancel(this.self.id), (id) => {
      // Only ids of this process's runs do anything; anything else is not found and ignored.
      void this.hub.cancel(id).catch(() => undefined);
    });
    this.lastId = (await this.lastEntryId()) ?? '0-0';
    await this.beat();
    this.unsubscribe = this.hub.subscribe((e) => this.fromHub(e));
    this.heartbeat = setInterval(() => {
      if (!this.ok) return void this.recover();
      void this.beat().catch((err: unknown) => this.degrade(err));
      void this.sweep();
      void this.trimBySize();
    }, this.config.heartbeatMs);
    this.heartbeat.unref();
    this.link.onState((ready, detail) => (ready ? void this.recover() : this.degrade(detail)));
    this.readLoopDone = this.readLoop();
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.unsubscribe();
    this.reading = false;
    if (this.ok) {
      try {
        const interrupted = this.hub.inFlight().map((s) => s.id);
        await Promise.all([
          this.link.cmd(['SET', K.gone(this.self.id), '1', 'PX', String(GONE_CLAIM_MS)]),
          this.link.cmd(['DEL', K.process(this.self.id), K.inFlight(this.self.id)]),
          this.link.cmd(['ZREM', K.processes, this.self.id]),
          this.publish(
            this.envelope({ type: 'process.gone', at: Date.now(), id: this.self.id, interrupted, clean: true }),
          ),
        ]);
      } catch {
        // Redis went away as we left: our entry expires by itself after its TTL.
      }
    }
    await this.link.close();
    await this.readLoopDone;
  }

  // ---- publishing ----------------------------------------------------------------------------------

  /** This process's event, within its run's share of the stream. */
  private fromHub(e: FeedEvent): void {
    if (e.type === 'run.done') this.outputBudget.end(e.run.id);
    if (e.type === 'run.output') {
      const text = this.outputBudget.take(e.id, e.text);
      if (text === null) return;
      e = { ...e, text };
    }
    void this.publish(this.envelope(e));
  }

  private envelope(e: FeedEvent): Published {
    return { ...capEvent(e), v: FEED_PROTOCOL_VERSION, process: this.self } as Published;
  }

  /** Writes the state an event changes, then the event itself; while Redis is away, keeps it for later. */
  private async publish(m: Published): Promise<void> {
    if (!this.ok) return this.hold(m);
    try {
      await Promise.all([
        ...this.stateWrites(m).map((args) => this.link.cmd(args)),
        this.link.cmd([
          'XADD',
          K.events,
          'MAXLEN',
          '~',
          String(this.config.streamMax),
          '*',
          'v',
          String(FEED_PROTOCOL_VERSION),
          'm',
          JSON.stringify(m),
        ]),
      ]);
    } catch (err) {
      this.degrade(err);
      this.hold(m);
    }
  }

  /** While Redis is away: this process's own clients still see it at once; the fleet will later. */
  private hold(m: Published): void {
    this.emit(m);
    this.outbox.push(m);
    if (this.outbox.length > OUTBOX_MAX) {
      this.outbox.shift();
      this.outboxDropped += 1;
    }
  }

  private stateWrites(m: Published): string[][] {
    const self = this.self.id;
    const ttl = String(3 * this.config.ttlMs);
    const runTtl = String(this.config.runTtlMs);
    switch (m.type) {
      case 'run.queued':
        return [
          ['HSET', K.inFlight(self), m.run.id, JSON.stringify(m.run)],
          ['PEXPIRE', K.inFlight(self), ttl],
          ['SET', K.run(m.run.id), JSON.stringify(record(m.run, '', null)), 'PX', runTtl],
        ];
      case 'run.output':
        // Its output so far, for GET from another process mid-run (bounded by the run's output budget).
        return [
          ['APPEND', K.output(m.id), m.text],
          ['PEXPIRE', K.output(m.id), runTtl],
        ];
      case 'run.compiling':
      case 'run.started': {
        const view = this.hub.get(m.id);
        if (!view) return [];
        const summary = capSummary(view.summary);
        return [
          ['HSET', K.inFlight(self), m.id, JSON.stringify(summary)],
          ['SET', K.run(m.id), JSON.stringify(record(summary, view.output, null)), 'PX', runTtl],
        ];
      }
      case 'run.done': {
        const output = this.hub.get(m.run.id)?.output ?? '';
        return [
          ['HDEL', K.inFlight(self), m.run.id],
          ['DEL', K.output(m.run.id)],
          ['SET', K.run(m.run.id), JSON.stringify(record(m.run, output, m.result)), 'PX', runTtl],
          ['LPUSH', K.recent, JSON.stringify(m.run)],
          ['LTRIM', K.recent, '0', String(RECENT_KEPT - 1)],
        ];
      }
      case 'process.sample':
        return [
          ['RPUSH', K.series(self), JSON.stringify(m.sample)],
          ['LTRIM', K.series(self), String(-SAMPLES_KEPT), '-1'],
          ['PEXPIRE', K.series(self), String(SAMPLES_KEPT * SAMPLE_INTERVAL_MS)],
        ];
      case 'process.heartbeat':
        return [
          ['SET', K.process(self), JSON.stringify(m.info), 'PX', String(this.config.ttlMs)],
          ['ZADD', K.processes, String(m.info.lastHeartbeat), self],
          ['PEXPIRE', K.inFlight(self), ttl],
        ];
      default:
        return [];
    }
  }

  private async beat(): Promise<void> {
    const info = this.info();
    await this.publish(this.envelope({ type: 'process.heartbeat', at: info.lastHeartbeat, info }));
  }

  // ---- reading -------------------------------------------------------------------------------------

  private async readLoop(): Promise<void> {
    while (this.reading) {
      try {
        const reply = await this.link.blocking([
          'XREAD',
          'COUNT',
          String(READ_COUNT),
          'BLOCK',
          String(READ_BLOCK_MS),
          'STREAMS',
          K.events,
          this.lastId,
        ]);
        for (const [id, m] of entries(firstStream(reply))) {
          this.lastId = id;
          const message = this.decode(id, m);
          if (message) this.emit(message);
        }
      } catch {
        // Redis away or the connection closed: the command connection's state says which; try again soon.
        if (this.reading) await sleep(250);
      }
    }
  }

  /** A stream entry as a message, or null (a newer protocol's event, or one that is not ours: logged). */
  private decode(id: string, fields: Map<string, string>): FeedMessage | null {
    const v = Number(fields.get('v'));
    if (!Number.isInteger(v) || v > FEED_PROTOCOL_VERSION) {
      // A newer process in a rolling upgrade: its events may mean things this one cannot show.
      if (!this.newerVersionsLogged.has(v)) {
        this.newerVersionsLogged.add(v);
        this.log.warn('fleet event of another protocol version ignored', {
          version: fields.get('v') ?? null,
          ours: FEED_PROTOCOL_VERSION,
          id,
        });
      }
      return null;
    }
    try {
      const m = JSON.parse(fields.get('m') ?? '') as Published;
      if (typeof m !== 'object' || m === null || typeof m.type !== 'string') throw new Error('not an event');
      return { ...m, seq: id };
    } catch (err) {
      this.log.warn('unreadable fleet event ignored', { id, err: String(err) });
      return null;
    }
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

  private async lastEntryId(): Promise<string | null> {
    const reply = await this.link.cmd(['XREVRANGE', K.events, '+', '-', 'COUNT', '1']);
    return entries(reply)[0]?.[0] ?? null;
  }

  // ---- Redis lost and found ------------------------------------------------------------------------

  private degrade(why: unknown): void {
    if (!this.ok) return;
    this.ok = false;
    this.detail = why instanceof Error ? why.message : String(why);
    this.log.warn("fleet degraded: Redis unreachable; serving this process's runs only", { detail: this.detail });
    this.emit({ type: 'fleet.status', at: Date.now(), fleet: this.status() });
  }

  /** Redis is back: what this process published meanwhile is written (the fleet catches up), then ok. */
  private async recover(): Promise<void> {
    if (this.ok || this.recovering) return;
    this.recovering = true;
    try {
      // Read on from here: what is written next is ours, and our clients already saw it.
      this.lastId = (await this.lastEntryId()) ?? '0-0';
      const held = this.outbox;
      this.outbox = [];
      this.ok = true;
      for (const m of held) await this.publish(m);
      // In-flight runs whose queued event was dropped from a full outbox are written from the hub.
      await Promise.all(
        this.hub
          .inFlight()
          .map((s) => this.link.cmd(['HSET', K.inFlight(this.self.id), s.id, JSON.stringify(capSummary(s))])),
      );
      await this.beat();
      if (!this.ok) return; // lost again while catching up: degrade() said so
      this.log.info('fleet recovered: Redis reachable again', {
        caughtUp: held.length,
        dropped: this.outboxDropped,
      });
      this.outboxDropped = 0;
      this.emit({ type: 'fleet.status', at: Date.now(), fleet: this.status() });
    } catch (err) {
      this.degrade(err);
    } finally {
      this.recovering = false;
    }
  }

  /**
   * MAXLEN bounds the stream's events, not its bytes: when big events (code, output) make it larger
   * than FLEET_STREAM_MAX_MB, it is trimmed to the share of events that fits (with room to grow).
   */
  private async trimBySize(): Promise<void> {
    try {
      const used = Number(await this.link.cmd(['MEMORY', 'USAGE', K.events, 'SAMPLES', '50']));
      if (!(used > this.config.streamMaxBytes)) return;
      const length = Number(await this.link.cmd(['XLEN', K.events]));
      const keep = Math.max(10, Math.floor(((length * this.config.streamMaxBytes) / used) * 0.8));
      // Exact, not `~`: big entries each fill a node of their own, and `~` removes only a few per call.
      await this.link.cmd(['XTRIM', K.events, 'MAXLEN', String(keep)]);
      this.log.info('fleet stream trimmed by size', { bytes: used, events: length, kept: keep });
    } catch {
      // Redis away: degrade() hears of it from the heartbeat; trimming waits for its return.
    }
  }

  // ---- processes that stopped ----------------------------------------------------------------------

  /** Announces processes whose entry expired (once, by whichever process claims it) and interrupts their runs. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const ids = strings(await this.link.cmd(['ZRANGE', K.processes, '0', '-1']));
      for (const id of ids) {
        if (id === this.self.id) continue;
        if (Number(await this.link.cmd(['EXISTS', K.process(id)])) === 1) continue;
        const claimed = await this.link.cmd(['SET', K.gone(id), this.self.id, 'NX', 'PX', String(GONE_CLAIM_MS)]);
        if (claimed !== 'OK') continue;
        const runs = parseAll<RunSummary>(hashValues(await this.link.cmd(['HGETALL', K.inFlight(id)])));
        const runTtl = String(this.config.runTtlMs);
        for (const s of runs) {
          const old = parseOne<RunRecord>(await this.link.cmd(['GET', K.run(s.id)]));
          const summary: RunSummary = { ...s, state: 'interrupted', finishedAt: Date.now() };
          await this.link.cmd([
            'SET',
            K.run(s.id),
            JSON.stringify(record(summary, old?.output ?? '', null)),
            'PX',
            runTtl,
          ]);
          await this.link.cmd(['LPUSH', K.recent, JSON.stringify(summary)]);
        }
        await this.link.cmd(['LTRIM', K.recent, '0', String(RECENT_KEPT - 1)]);
        await this.link.cmd(['DEL', K.inFlight(id)]);
        await this.link.cmd(['ZREM', K.processes, id]);
        this.log.warn('fleet: a process stopped heartbeating; its runs in flight are interrupted', {
          process: id,
          interrupted: runs.length,
        });
        await this.publish(
          this.envelope({ type: 'process.gone', at: Date.now(), id, interrupted: runs.map((r) => r.id), clean: false }),
        );
      }
    } catch (err) {
      this.degrade(err);
    } finally {
      this.sweeping = false;
    }
  }

  // ---- reading the fleet ---------------------------------------------------------------------------

  async processes(): Promise<ProcessInfo[]> {
    if (!this.ok) return [this.info()];
    try {
      return await this.liveProcesses();
    } catch (err) {
      this.degrade(err);
      return [this.info()];
    }
  }

  /** Every process whose entry has not expired, this one first (its figures as of now). */
  private async liveProcesses(): Promise<ProcessInfo[]> {
    const ids = strings(await this.link.cmd(['ZRANGE', K.processes, '0', '-1'])).filter((id) => id !== this.self.id);
    const infos = ids.length === 0 ? [] : parseAll<ProcessInfo>(await this.link.cmd(['MGET', ...ids.map(K.process)]));
    return [this.info(), ...infos.map((i) => ({ ...i, alive: true }))];
  }

  async snapshot(): Promise<Snapshot> {
    if (this.ok) {
      try {
        // The position first: events after it follow the snapshot; one both in it and after it is harmless.
        const seq = await this.lastEntryId();
        const processes = await this.liveProcesses();
        const [inFlight, series, recent] = await Promise.all([
          Promise.all(
            processes.map(async (p) =>
              p.id === this.self.id
                ? this.hub.inFlight()
                : parseAll<RunSummary>(hashValues(await this.link.cmd(['HGETALL', K.inFlight(p.id)]))),
            ),
          ),
          Promise.all(
            processes.map(async (p) =>
              p.id === this.self.id
                ? this.hub.series()
                : parseAll<Sample>(await this.link.cmd(['LRANGE', K.series(p.id), '0', '-1'])),
            ),
          ),
          this.link.cmd(['LRANGE', K.recent, '0', String(RECENT_KEPT - 1)]),
        ]);
        const { counters, stats } = aggregate(processes);
        return {
          type: 'snapshot',
          version: FEED_PROTOCOL_VERSION,
          at: Date.now(),
          self: this.self,
          fleet: this.status(),
          seq,
          processes,
          series: Object.fromEntries(processes.map((p, i) => [p.id, series[i] ?? []])),
          inFlight: inFlight.flat(),
          recent: parseAll<RunSummary>(recent),
          counters,
          stats,
          backend: this.hub.backendHealth(),
        };
      } catch (err) {
        this.degrade(err);
      }
    }
    return localSnapshot(this.hub, this.info(), this.status(), null);
  }

  async replay(since: string): Promise<FeedMessage[] | null> {
    if (!this.ok || !isSeq(since) || !since.includes('-')) return null;
    try {
      const first = entries(await this.link.cmd(['XRANGE', K.events, '-', '+', 'COUNT', '1']))[0]?.[0];
      const last = await this.lastEntryId();
      // Older than what the stream keeps (trimmed, or Redis restarted empty), or never given: a snapshot.
      if (!first || !last || compareSeq(since, first) < 0 || compareSeq(since, last) > 0) return null;
      const reply = await this.link.cmd(['XRANGE', K.events, `(${since}`, '+', 'COUNT', String(this.config.streamMax)]);
      const out: FeedMessage[] = [];
      for (const [id, m] of entries(reply)) {
        const message = this.decode(id, m);
        if (message) out.push(message);
      }
      return out;
    } catch (err) {
      this.degrade(err);
      return null;
    }
  }

  async findRun(id: string): Promise<RunView | null> {
    const local = this.hub.get(id);
    if (local) return local;
    if (!this.ok) return null;
    try {
      const r = parseOne<RunRecord>(await this.link.cmd(['GET', K.run(id)]));
      if (!r) return null;
      if (r.summary.state !== 'done' && r.summary.state !== 'interrupted') {
        // Its process is gone and nobody has announced it yet: it will never finish.
        const alive = Number(await this.link.cmd(['EXISTS', K.process(r.summary.process.id)])) === 1;
        if (!alive) r.summary = { ...r.summary, state: 'interrupted' };
        const sofar = await this.link.cmd(['GET', K.output(id)]);
        if (typeof sofar === 'string') r.output = sofar;
      }
      return { summary: r.summary, output: r.output, result: r.result };
    } catch (err) {
      this.degrade(err);
      return null;
    }
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const local = await this.hub.cancel(id);
    if (local.outcome === 'cancelled') return { outcome: 'cancelled', run: local.run };
    if (local.outcome === 'done') return { outcome: 'ended', run: local.run };
    const run = await this.findRun(id);
    if (!run) return { outcome: 'unknown' };
    if (run.summary.state === 'done' || run.summary.state === 'interrupted') return { outcome: 'ended', run };
    // Wait for its end as the fleet sees it: the owner's run.done (or its death) in the stream.
    const ended = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), CANCEL_WAIT_MS);
      const off = this.subscribe((m) => {
        if ((m.type === 'run.done' && m.run.id === id) || (m.type === 'process.gone' && m.interrupted.includes(id)))
          finish(true);
      });
      function finish(done: boolean): void {
        clearTimeout(timer);
        off();
        resolve(done);
      }
    });
    const receivers = Number(await this.link.cmd(['PUBLISH', K.cancel(run.summary.process.id), id]));
    if (receivers === 0) {
      // Nobody listens on that process's channel: gone (the sweep will say so), or alive but its
      // subscription is reconnecting (it may not have heard; GET tells the end).
      const alive = Number(await this.link.cmd(['EXISTS', K.process(run.summary.process.id)])) === 1;
      if (alive) return { outcome: 'sent', summary: run.summary };
      return { outcome: 'ended', run: { ...run, summary: { ...run.summary, state: 'interrupted' } } };
    }
    if (!(await ended)) return { outcome: 'sent', summary: run.summary };
    const final = await this.findRun(id);
    return final ? { outcome: 'cancelled', run: final } : { outcome: 'sent', summary: run.summary };
  }

  sharedTickets(): SharedTickets {
    return {
      put: async (key, ttlMs) => {
        await this.link.cmd(['SET', K.ticket(key), '1', 'PX', String(ttlMs)]);
      },
      // GETDEL: taken by exactly one redemption, whichever process it reaches.
      take: async (key) => (await this.link.cmd(['GETDEL', K.ticket(key)])) === '1',
    };
  }

  private info(): ProcessInfo {
    return processInfo(this.self, this.hub, this.runner, this.startedAt);
  }
}

function record(summary: RunSummary, output: string, result: RunView['result']): RunRecord {
  return { summary: capSummary(summary), output: capText(output, FIELD_CHARS), result: result && capResult(result) };
}

// ---- RESP2 replies -----------------------------------------------------------------------------------

function strings(reply: Reply): string[] {
  return Array.isArray(reply) ? reply.filter((x): x is string => typeof x === 'string') : [];
}

/** HGETALL's [field, value, field, value…] → the values. */
function hashValues(reply: Reply): string[] {
  return strings(reply).filter((_, i) => i % 2 === 1);
}

function parseOne<T>(reply: Reply): T | null {
  if (typeof reply !== 'string') return null;
  try {
    return JSON.parse(reply) as T;
  } catch {
    return null;
  }
}

function parseAll<T>(reply: Reply | string[]): T[] {
  return (Array.isArray(reply) ? reply : []).map((x) => parseOne<T>(x)).filter((x): x is T => x !== null);
}

/** XREAD's reply for one stream: its entries. */
function firstStream(reply: Reply): Reply {
  return Array.isArray(reply) && Array.isArray(reply[0]) ? (reply[0][1] ?? null) : null;
}

/** XRANGE-style entries [[id, [field, value…]]…] as [id, fields]. */
function entries(reply: Reply): [string, Map<string, string>][] {
  if (!Array.isArray(reply)) return [];
  const out: [string, Map<string, string>][] = [];
  for (const e of reply) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) continue;
    const fields = new Map<string, string>();
    const f = strings(e[1]);
    for (let i = 0; i + 1 < f.length; i += 2) fields.set(f[i] as string, f[i + 1] as string);
    out.push([e[0], fields]);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
