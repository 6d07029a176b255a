// The fleet's small parts: positions compared as numbers, the local log's replay window, events capped
// before publishing, the fleet's figures from its processes', and fair use falling back while Redis is away.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Keyv from 'keyv';
import { FallbackAdmissionStore, LocalAdmissionStore, type AdmissionStore } from '../../src/runner/admission.js';
import { emptyResult } from '../../src/runner/types.js';
import { aggregate } from '../../src/stream/admin/fleetFigures.js';
import {
  capEvent,
  FIELD_CHARS,
  OUTPUT_EVENT_CHARS,
  OutputBudget,
  RUN_OUTPUT_CHARS,
} from '../../src/stream/fleet/cap.js';
import { LocalLog } from '../../src/stream/fleet/localLog.js';
import { compareSeq, isSeq } from '../../src/stream/fleet/seq.js';
import type { FeedMessage, ProcessInfo, RunSummary } from '../../src/stream/protocol.js';

const label = { id: 'p1', host: 'h', shards: null };

describe('feed positions', () => {
  it('compares Redis stream ids and counters as numbers, part by part', () => {
    assert.ok(compareSeq('10', '9') > 0);
    assert.ok(compareSeq('1700000000000-10', '1700000000000-9') > 0);
    assert.ok(compareSeq('1700000000001-0', '1700000000000-99') > 0);
    assert.equal(compareSeq('5-5', '5-5'), 0);
    assert.ok(compareSeq('5', '5-1') < 0);
  });

  it('takes only digits, with at most one dash', () => {
    for (const ok of ['0', '42', '1700000000000-3']) assert.equal(isSeq(ok), true, ok);
    for (const bad of ['', '-1', '1-2-3', '1e3', ' 1', '$', '+', '(1-0', '1'.repeat(21)])
      assert.equal(isSeq(bad), false, bad);
  });
});

describe('the local log', () => {
  const event = (n: number): FeedMessage => ({
    type: 'run.started',
    at: n,
    id: `r${n}`,
    v: 2,
    process: label,
  });

  it('replays what came after a position it still holds, and refuses one it has dropped or never gave', () => {
    const log = new LocalLog(3);
    assert.equal(log.last(), null);
    assert.equal(log.after('0'), null, 'nothing given yet');
    for (let n = 1; n <= 5; n++) log.append(event(n)); // keeps 3, 4, 5
    assert.equal(log.last(), '5');
    assert.deepEqual(
      log.after('3')?.map((m) => ('seq' in m ? m.seq : '')),
      ['4', '5'],
    );
    assert.deepEqual(
      log.after('2')?.map((m) => ('seq' in m ? m.seq : '')),
      ['3', '4', '5'],
      'the one just before the first kept loses nothing',
    );
    assert.equal(log.after('1'), null, '2 was dropped: a snapshot instead');
    assert.deepEqual(log.after('5'), [], 'up to date');
    assert.equal(log.after('6'), null, 'never given');
    assert.equal(log.after('1700000000000-0'), null, "a Redis position is not this log's");
  });

  it('keeps at most 16 Mi characters of big events, dropping the oldest', () => {
    const log = new LocalLog(10_000);
    const big = (n: number): FeedMessage => ({
      type: 'run.output',
      at: n,
      id: 'r',
      stream: 'stdout',
      text: 'x'.repeat(4 * 1024 * 1024),
      v: 2,
      process: label,
    });
    for (let n = 1; n <= 6; n++) log.append(big(n));
    // 4 Mi + 200 each: three fit in 16 Mi, a fourth would not.
    assert.equal(log.after('3')?.length, 3);
    assert.equal(log.after('2'), null);
  });
});

describe('events capped before publishing', () => {
  const summary: RunSummary = {
    id: 'r',
    labels: {},
    backend: 'local',
    code: 'x'.repeat(FIELD_CHARS + 10),
    state: 'done',
    status: 'ok',
    reason: null,
    submittedAt: 0,
    startedAt: 0,
    finishedAt: 0,
    compileMs: 1,
    runMs: 1,
    peakMemoryBytes: null,
    process: label,
  };

  it('cuts one output event to its cap and says how much was cut', () => {
    const capped = capEvent({ type: 'run.output', at: 1, id: 'r', stream: 'stdout', text: 'y'.repeat(100_000) });
    assert.ok(capped.type === 'run.output');
    assert.equal(capped.text.slice(0, OUTPUT_EVENT_CHARS), 'y'.repeat(OUTPUT_EVENT_CHARS));
    assert.equal(
      capped.text.slice(OUTPUT_EVENT_CHARS),
      `\n…[cut for the fleet: ${100_000 - OUTPUT_EVENT_CHARS} more characters]`,
    );
  });

  it("cuts a done event's code, stdout and stderr, and its diagnostics to 100", () => {
    const result = {
      ...emptyResult('ok', 'exited'),
      stdout: 'o'.repeat(FIELD_CHARS * 2),
      stderr: 'e'.repeat(10),
      diagnostics: Array.from({ length: 150 }, (_, i) => ({
        severity: 'error' as const,
        id: 'CS0001',
        message: String(i),
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 2,
      })),
    };
    const capped = capEvent({ type: 'run.done', at: 1, run: summary, result });
    assert.ok(capped.type === 'run.done');
    assert.ok(capped.run.code.startsWith('x'.repeat(FIELD_CHARS)) && capped.run.code.endsWith('10 more characters]'));
    assert.ok(capped.result.stdout.endsWith(`${FIELD_CHARS} more characters]`));
    assert.equal(capped.result.stderr, 'eeeeeeeeee');
    assert.equal(capped.result.diagnostics.length, 100);
    assert.equal(result.stdout.length, FIELD_CHARS * 2, "the process's own result is left whole");
  });

  it("carries a run's output up to its budget, then one line saying where the rest is, then nothing", () => {
    const budget = new OutputBudget();
    assert.equal(budget.take('r', 'a'.repeat(RUN_OUTPUT_CHARS - 10)), 'a'.repeat(RUN_OUTPUT_CHARS - 10));
    assert.equal(
      budget.take('r', 'b'.repeat(50)),
      `${'b'.repeat(10)}\n…[the rest of this run's output stays on its process: GET /api/runs/r]`,
    );
    assert.equal(budget.take('r', 'c'), null);
    assert.equal(budget.take('other', 'd'), 'd', 'each run has its own');
    budget.end('r');
    assert.equal(budget.take('r', 'e'), 'e', 'forgotten when the run ends');
  });

  it('leaves small events as they are', () => {
    const e = { type: 'run.output' as const, at: 1, id: 'r', stream: 'stdout' as const, text: 'hi' };
    assert.equal(capEvent(e), e);
  });
});

describe("the fleet's figures", () => {
  const proc = (p50: number | null, p95: number | null, n: number): ProcessInfo => ({
    ...label,
    backend: 'local',
    version: '0',
    startedAt: 0,
    lastHeartbeat: 0,
    alive: true,
    health: { name: 'local', ok: true, detail: '' },
    counters: { submitted: n, finished: n, refused: 1, byStatus: { ok: n, timeout: 1 } },
    stats: {
      running: 1,
      queued: n,
      capacity: 2,
      gated: n === 3,
      throughputPerSecond: n / 10,
      latencyP50Ms: p50,
      latencyP95Ms: p95,
    },
  });

  it('adds counts and rates; takes the slowest latency; any gate holds the fleet', () => {
    assert.deepEqual(aggregate([proc(10, 50, 2), proc(null, 80, 3), proc(30, null, 5)]), {
      counters: { submitted: 10, finished: 10, refused: 3, byStatus: { ok: 10, timeout: 3 } },
      stats: {
        running: 3,
        queued: 10,
        capacity: 6,
        gated: true,
        throughputPerSecond: 1,
        latencyP50Ms: 30,
        latencyP95Ms: 80,
      },
    });
  });
});

describe('fair use while Redis is away', () => {
  const rules = [{ key: 'user:u', kind: 'concurrent' as const, limit: 1, windowMs: 60_000 }];

  it("falls back to this process's own limits, says so once each way, and gives places back where they were taken", async () => {
    let down = false;
    const shared = new LocalAdmissionStore(new Keyv());
    const flaky: AdmissionStore = {
      admit: (r, m) => (down ? Promise.reject(new Error('The client is offline')) : shared.admit(r, m)),
      release: (r, m, all) => (down ? Promise.reject(new Error('The client is offline')) : shared.release(r, m, all)),
    };
    const said: string[] = [];
    const store = new FallbackAdmissionStore(flaky, new LocalAdmissionStore(new Keyv()), (away, err) =>
      said.push(away ? `away: ${String(err)}` : 'back'),
    );
    assert.equal((await store.admit(rules, 'a')).ok, true, 'shared');
    down = true;
    assert.equal((await store.admit(rules, 'b')).ok, true, 'the fallback has its own places');
    assert.equal((await store.admit(rules, 'c')).ok, false, "the fallback's limit holds");
    await store.release(rules, 'b');
    assert.equal((await store.admit(rules, 'c')).ok, true, 'released where it was taken');
    down = false;
    assert.equal((await store.admit(rules, 'd')).ok, false, "the shared store still holds a's place");
    await store.release(rules, 'a');
    assert.equal((await store.admit(rules, 'd')).ok, true);
    assert.deepEqual(said, ['away: Error: The client is offline', 'back']);
  });
});
