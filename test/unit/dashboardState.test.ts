// The dashboard's pure parts, in Node: the fleet's curve from the processes' series, the feed state's
// bookkeeping (samples, lost processes, fleet figures), the run filters, the reconnect backoff and URL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, feedUrl } from '../../src/stream/admin/connection.js';
import { runFilter } from '../../src/stream/admin/filters.js';
import { columns, fleetSamples } from '../../src/stream/admin/series.js';
import { FeedState } from '../../src/stream/admin/state.js';
import type {
  FeedMessage,
  ProcessInfo,
  ProcessLabel,
  RunSummary,
  Sample,
  Snapshot,
} from '../../src/stream/protocol.js';

const A: ProcessLabel = { id: 'a', host: 'h1', shards: null };
const B: ProcessLabel = { id: 'b', host: 'h2', shards: null };

function sample(at: number, finished: number, p50: number | null, extra: Partial<Sample> = {}): Sample {
  return {
    at,
    finished,
    refused: 0,
    byStatus: {},
    latencyP50Ms: p50,
    latencyP95Ms: p50,
    queued: 0,
    running: 0,
    ...extra,
  };
}

function run(
  id: string,
  on: ProcessLabel,
  state: RunSummary['state'],
  labels: Record<string, string> = {},
): RunSummary {
  return {
    id,
    labels,
    backend: 'local',
    code: '',
    state,
    status: state === 'done' ? 'ok' : null,
    reason: null,
    submittedAt: 0,
    startedAt: null,
    finishedAt: null,
    compileMs: null,
    runMs: null,
    peakMemoryBytes: null,
    process: on,
  };
}

function info(p: ProcessLabel, alive: boolean, running: number, p95: number | null): ProcessInfo {
  return {
    ...p,
    backend: 'local',
    version: '0.1.0',
    startedAt: 0,
    lastHeartbeat: 0,
    alive,
    health: { name: 'local', ok: true, detail: '' },
    counters: { submitted: 3, finished: 2, refused: 1, byStatus: { ok: 2 } },
    stats: {
      running,
      queued: 1,
      capacity: 4,
      gated: false,
      throughputPerSecond: 0.5,
      latencyP50Ms: null,
      latencyP95Ms: p95,
    },
  };
}

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    type: 'snapshot',
    version: 2,
    at: 0,
    self: A,
    fleet: { mode: 'redis', ok: true, detail: '' },
    seq: '10-0',
    processes: [],
    series: {},
    inFlight: [],
    recent: [],
    counters: { submitted: 0, finished: 0, refused: 0, byStatus: {} },
    stats: info(A, true, 0, null).stats,
    backend: { name: 'local', ok: true, detail: '' },
    ...over,
  };
}

const env = (p: ProcessLabel, seq: string) => ({ v: 2, process: p, seq });

describe('the fleet curve', () => {
  it('sums the processes at each aligned time and takes the slowest latency, over the union of times', () => {
    const fleet = fleetSamples([
      [sample(10, 1, 100, { byStatus: { ok: 1 }, queued: 2 }), sample(20, 2, null)],
      [sample(20, 3, 50, { byStatus: { ok: 1, timeout: 2 } }), sample(30, 4, 70)],
    ]);
    assert.deepEqual(
      fleet.map((s) => [s.at, s.finished, s.latencyP50Ms, s.queued, s.byStatus]),
      [
        [10, 1, 100, 2, { ok: 1 }],
        [20, 5, 50, 0, { ok: 1, timeout: 2 }],
        [30, 4, 70, 0, {}],
      ],
    );
    const c = columns(fleet);
    assert.deepEqual(c.x, [0.01, 0.02, 0.03]);
    assert.deepEqual(c.throughput, [0.1, 0.5, 0.4]);
    assert.deepEqual(c.byStatus.timeout, [0, 2, 0]);
  });

  it('leaves the processes own series untouched', () => {
    const a = [sample(10, 1, 100, { byStatus: { ok: 1 } })];
    fleetSamples([a, [sample(10, 2, 200, { byStatus: { ok: 2 } })]]);
    assert.deepEqual(a, [sample(10, 1, 100, { byStatus: { ok: 1 } })]);
  });
});

describe('the feed state', () => {
  it('appends samples in order: a replayed interval replaces, an older one is dropped, an hour is kept', () => {
    const s = new FeedState();
    s.apply(snapshot({ series: { a: Array.from({ length: 360 }, (_, i) => sample(i * 10, 1, null)) } }));
    s.apply({ type: 'process.sample', at: 0, sample: sample(3600, 7, null), ...env(A, '11-0') });
    s.apply({ type: 'process.sample', at: 0, sample: sample(3600, 8, null), ...env(A, '12-0') });
    s.apply({ type: 'process.sample', at: 0, sample: sample(100, 9, null), ...env(A, '13-0') });
    const points = s.series.get('a') ?? [];
    assert.equal(points.length, 360);
    assert.deepEqual([points[0]?.at, points.at(-1)?.at, points.at(-1)?.finished], [10, 3600, 8]);
    assert.equal(s.lastSeq, '13-0');
  });

  it('marks a lost process gone and only its in-flight runs interrupted', () => {
    const s = new FeedState();
    s.apply(
      snapshot({
        processes: [info(A, true, 1, 100), info(B, true, 2, 300)],
        inFlight: [run('r1', B, 'running'), run('r2', B, 'queued')],
        recent: [run('r0', B, 'done')],
      }),
    );
    const gone: FeedMessage = {
      type: 'process.gone',
      at: 0,
      id: 'b',
      interrupted: ['r0', 'r1', 'r2'],
      clean: false,
      ...env(A, '11-0'),
    };
    const changed = s.apply(gone);
    assert.deepEqual([changed.runs, changed.processes], [true, true]);
    assert.deepEqual(
      ['r0', 'r1', 'r2'].map((id) => s.runs.get(id)?.state),
      ['done', 'interrupted', 'interrupted'],
    );
    assert.equal(s.processes.get('b')?.alive, false);
    assert.equal(s.goneHow.get('b'), 'lost');
    // A late start of an interrupted run does not revive it.
    s.apply({ type: 'run.started', at: 0, id: 'r1', ...env(B, '12-0') });
    assert.equal(s.runs.get('r1')?.state, 'interrupted');
  });

  it('sums the live processes figures once they report, latency the slowest', () => {
    const s = new FeedState();
    s.apply(snapshot({ processes: [info(A, true, 1, 100)] }));
    assert.equal(s.figures().stats.running, 0, 'the snapshot figures until a process reports');
    s.apply({ type: 'process.heartbeat', at: 0, info: info(B, true, 2, 300), ...env(B, '11-0') });
    s.apply({
      type: 'process.heartbeat',
      at: 0,
      info: info({ id: 'c', host: 'h3', shards: null }, false, 5, 900),
      ...env(B, '12-0'),
    });
    const { stats, counters } = s.figures();
    assert.deepEqual([stats.running, stats.capacity, stats.latencyP95Ms, stats.latencyP50Ms], [3, 8, 300, null]);
    assert.deepEqual([counters.finished, counters.byStatus.ok], [4, 4]);
  });

  it('takes the fleet status and a fresh snapshot replaces everything', () => {
    const s = new FeedState();
    s.apply(snapshot({ recent: [run('r0', A, 'done')] }));
    s.apply({ type: 'fleet.status', at: 0, fleet: { mode: 'redis', ok: false, detail: 'down' } });
    assert.equal(s.fleet.ok, false);
    s.apply(snapshot({ seq: null }));
    assert.deepEqual([s.runs.size, s.fleet.ok, s.lastSeq], [0, true, null]);
  });
});

describe('a newer protocol', () => {
  it('skips messages of a newer version and says so, keeping what it holds', () => {
    const s = new FeedState();
    s.apply(snapshot({ recent: [run('r0', A, 'done')] }));
    const changed = s.apply({ type: 'run.started', at: 0, id: 'r0', ...env(A, '11-0'), v: 3 });
    assert.equal(changed.fleet, true);
    assert.deepEqual([s.newerVersion, s.runs.get('r0')?.state, s.lastSeq], [3, 'done', '10-0']);
    s.apply(snapshot({ version: 3, recent: [] }));
    assert.equal(s.runs.size, 1);
  });
});

describe('the run filters', () => {
  const runs = [
    run('1', A, 'done', { user: 'Alice' }),
    run('2', B, 'running', { api: 'ci-bot' }),
    run('3', B, 'interrupted', { user: 'bob' }),
  ];
  const pick = (status: string, who: string, process: string) =>
    runs.filter(runFilter({ status, who, process })).map((r) => r.id);
  it('narrows by status, in-flight and interrupted, who asked (any case) and process', () => {
    assert.deepEqual(pick('', '', ''), ['1', '2', '3']);
    assert.deepEqual(pick('ok', '', ''), ['1']);
    assert.deepEqual(pick('in-flight', '', ''), ['2']);
    assert.deepEqual(pick('interrupted', '', ''), ['3']);
    assert.deepEqual(pick('', 'ALI', ''), ['1']);
    assert.deepEqual(pick('', 'bot', ''), ['2']);
    assert.deepEqual(pick('', '', 'b'), ['2', '3']);
    assert.deepEqual(pick('interrupted', 'ali', 'b'), []);
  });
});

describe('reconnecting', () => {
  it('backs off from 0.5 s, doubling to a 15 s cap, jittered within the upper half', () => {
    assert.deepEqual(
      [0, 1, 2, 5, 6, 50].map((n) => backoffMs(n, 1)),
      [500, 1000, 2000, 15_000, 15_000, 15_000],
    );
    assert.deepEqual(
      [0, 5].map((n) => backoffMs(n, 0)),
      [250, 7500],
    );
  });

  it('asks to replay from the last position only when it has one', () => {
    const at = { protocol: 'https:', host: 'ops.example:8443' };
    assert.equal(feedUrl(at, 'a b', null), 'wss://ops.example:8443/feed?ticket=a+b');
    assert.equal(
      feedUrl({ ...at, protocol: 'http:' }, 't', '1700-3'),
      'ws://ops.example:8443/feed?ticket=t&since=1700-3',
    );
  });
});
