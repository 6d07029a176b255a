// The runner with a backend whose start gate (Azure's create budget) is narrower than its capacity: the
// queue waits while the gate refuses, is told when it should move, and moves on the gate's time or when
// the backend says it is startable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRunner, type RunEvent, type RunHandle } from '../../src/runner/index.js';
import { deferred, GatedBackend, refuse } from '../support/scriptedBackend.js';

/** A runner over a gated backend of `capacity` whose gate gives `answers` in order (then grants). */
async function setup(capacity: number, ...answers: GatedBackend['answers']) {
  const backend = new GatedBackend(capacity);
  backend.answers.push(...answers);
  const logs: string[] = [];
  const runner = await createRunner(loadConfig({ SANDBOX_QUEUE_MAX: '10' }), {
    backend,
    log: createLogger('error', (l) => logs.push(l)),
  });
  const submit = (source: string) => {
    const s = runner.submit({ source });
    assert.ok(s.ok, s.ok ? '' : `refused: ${JSON.stringify(s)}`);
    return s.handle;
  };
  return { backend, runner, submit, logs };
}

function record(handle: RunHandle): RunEvent[] {
  const events: RunEvent[] = [];
  handle.on((e) => events.push(e));
  return events;
}

/** The queued events' places and estimates, the estimates to the second (the test's own time passes). */
function queued(events: RunEvent[]): [number, number | undefined][] {
  return events.flatMap((e) =>
    e.type === 'queued'
      ? [
          [e.position, e.etaMs === undefined ? undefined : Math.round(e.etaMs / 1000) * 1000] as [
            number,
            number | undefined,
          ],
        ]
      : [],
  );
}

const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the runner with a start gate', () => {
  it('holds the queue while the gate refuses, telling each run its place and when it should start', async () => {
    const { backend, runner, submit } = await setup(2, refuse(30_000, 10_000));
    const [a, b, c] = [submit('a'), submit('b'), submit('c')];
    const seen = [a, b, c].map((h) => ({ events: record(h), first: h.queuePosition() }));
    await tick();
    assert.equal(backend.started.length, 0, 'nothing starts while the gate refuses');
    assert.deepEqual(backend.asked, [a.id], 'asked once, about the head; runs submitted meanwhile wait for the answer');
    // Two places are free, so only the gate holds a and b; c is past them and, before any run ended
    // (no typical run time yet), is told the gate's time alone.
    assert.deepEqual(
      seen.map((s) => queued(s.events)),
      [[[1, 30_000]], [[2, 40_000]], [[3, 50_000]]],
    );
    assert.equal(Math.round((a.queueEtaMs() ?? 0) / 1000), 30);
    assert.deepEqual(runner.stats(), { running: 0, queued: 3, capacity: 2, gated: true });
    await runner.stop(0);
    assert.deepEqual(
      (await Promise.all([a.result, b.result, c.result])).map((r) => r.status),
      ['cancelled', 'cancelled', 'cancelled'],
    );
  });

  it('asks again when the time it gave has passed; a grant starts exactly one run, then the next is asked', async () => {
    const { backend, runner, submit } = await setup(2, refuse(40, 1000), { ok: true }, refuse(60_000, 1000));
    const a = submit('a');
    const b = submit('b');
    const bEvents = record(b);
    await tick();
    assert.equal(backend.started.length, 0);
    await sleep(120);
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['a'],
      'one grant, one start',
    );
    assert.deepEqual(backend.asked, [a.id, a.id, b.id]);
    // Moving up, b keeps the start it was told (a started on time); the next refusal tells it the new one.
    assert.deepEqual(queued(bEvents), [
      [2, 1000],
      [1, 1000],
      [1, 60_000],
    ]);
    await runner.stop(0);
  });

  it('asks again at once when the backend says it is startable, not only when the time runs out', async () => {
    const { backend, runner, submit } = await setup(1, refuse(60_000, 5000));
    const a = submit('a');
    await tick();
    assert.equal(backend.started.length, 0);
    backend.startable();
    await tick();
    assert.deepEqual(backend.asked, [a.id, a.id]);
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['a'],
    );
    assert.deepEqual(runner.stats(), { running: 1, queued: 0, capacity: 1, gated: false });
    await runner.stop(0);
  });

  it('keeps a startable signal that arrives while a question is in flight: a refusal then is asked again', async () => {
    const first = deferred();
    const { backend, runner, submit } = await setup(1, first.answer);
    const a = submit('a');
    await tick();
    backend.startable();
    first.give(refuse(60_000, 5000));
    await tick();
    assert.deepEqual(backend.asked, [a.id, a.id], 'asked again at once, not after 60 s');
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['a'],
    );
    await runner.stop(0);
  });

  it('asks one question at a time, so one grant never starts two runs', async () => {
    const first = deferred();
    const { backend, runner, submit } = await setup(3, first.answer, refuse(60_000, 1000));
    submit('a');
    submit('b');
    backend.startable();
    backend.startable();
    await tick();
    assert.equal(backend.asked.length, 1);
    first.give({ ok: true });
    await tick();
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['a'],
    );
    assert.equal(backend.asked.length, 2);
    await runner.stop(0);
  });

  it('cancels a held run: it leaves the queue, the rest move up, and the next grant goes to the next in line', async () => {
    const { backend, runner, submit } = await setup(1, refuse(60_000, 10_000));
    const a = submit('a');
    const b = submit('b');
    const bEvents = record(b);
    await tick();
    a.cancel();
    assert.equal((await a.result).status, 'cancelled');
    assert.deepEqual(queued(bEvents), [
      [2, 70_000],
      [1, 60_000],
    ]);
    backend.startable();
    await tick();
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['b'],
    );
    await runner.stop(0);
  });

  it('gives a grant to the next in line when the run it was asked for was cancelled meanwhile', async () => {
    const answer = deferred();
    const { backend, runner, submit } = await setup(1, answer.answer);
    const a = submit('a');
    submit('b');
    await tick();
    a.cancel();
    answer.give({ ok: true });
    await tick();
    assert.deepEqual(backend.asked, [a.id]);
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['b'],
    );
    await runner.stop(0);
  });

  it('does not tell a run again what it was told: a new estimate only when it moved by 5 s or more', async () => {
    const { backend, runner, submit } = await setup(1, refuse(30, 1000), refuse(30, 1000), refuse(20_000, 1000));
    const a = submit('a');
    const events = record(a);
    await sleep(150);
    assert.equal(backend.asked.length, 3);
    assert.deepEqual(
      queued(events),
      [
        [1, 0],
        [1, 20_000],
      ],
      'the second refusal moved the estimate by ms: no event',
    );
    await runner.stop(0);
  });

  it('stops asking on stop: the retry timer is cleared and the startable listener removed', async () => {
    const { backend, runner, submit } = await setup(1, refuse(30, 1000));
    const a = submit('a');
    await tick();
    assert.equal(backend.listeners.size, 1);
    await runner.stop(0);
    assert.equal(backend.listeners.size, 0);
    await sleep(80);
    assert.deepEqual(backend.asked, [a.id], 'not asked again after stop');
    assert.equal((await a.result).status, 'cancelled');
  });

  it('ends a run with internal_error when the gate itself fails, logs the cause, and goes on with the next', async () => {
    const { backend, runner, submit, logs } = await setup(1, new Error('redis is down'));
    const a = submit('a');
    const b = submit('b');
    const r = await a.result;
    assert.equal(r.status, 'internal_error');
    assert.doesNotMatch(r.reason ?? '', /redis/, 'the cause is for our logs, not the user');
    assert.match(logs.join(''), /could not say whether a run may start.*redis is down/);
    await tick();
    assert.deepEqual(
      backend.started.map((s) => s.source),
      ['b'],
    );
    assert.equal(b.queuePosition(), null);
    await runner.stop(0);
  });
});
