// The runner's queue and API semantics, with a scripted backend standing in for the sandbox.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRunner, type RunEvent } from '../../src/runner/index.js';
import { ScriptedBackend } from '../support/scriptedBackend.js';

async function setup(capacity: number, queueMax: number) {
  const backend = new ScriptedBackend(capacity);
  const config = loadConfig({ SANDBOX_QUEUE_MAX: String(queueMax), SOURCE_MAX_BYTES: '100', STDIN_MAX_BYTES: '10' });
  const runner = await createRunner(config, { backend, log: createLogger('silent') });
  const submit = (source: string) => {
    const s = runner.submit({ source });
    assert.ok(s.ok, s.ok ? '' : `refused: ${JSON.stringify(s)}`);
    return s.handle;
  };
  return { backend, runner, submit };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the runner queue', () => {
  it('runs at most capacity at once and the rest in FIFO order, announcing queue positions', async () => {
    const { backend, submit } = await setup(1, 10);
    const a = submit('a');
    const b = submit('b');
    const c = submit('c');
    const cEvents: RunEvent[] = [];
    c.on((e) => cEvents.push(e));
    await tick();
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['a'],
    );
    backend.finish(0);
    await a.result;
    await tick();
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['a', 'b'],
    );
    assert.deepEqual(cEvents, [{ type: 'queued', position: 1 }], 'c moves up when b starts');
    const first = await b.events().next();
    assert.deepEqual(first.value, { type: 'queued', position: 1 });
    backend.finish(1);
    await tick();
    backend.finish(2);
    assert.equal((await c.result).stdout, 'c\n');
  });

  it('streams every event of a run in order, replaying earlier ones to late readers', async () => {
    const { backend, submit } = await setup(1, 10);
    const h = submit('x');
    await tick();
    backend.finish(0);
    const events: RunEvent[] = [];
    for await (const e of h.events()) events.push(e);
    assert.deepEqual(
      events.map((e) => e.type),
      ['queued', 'compiling', 'running', 'output', 'done'],
    );
  });

  it('refuses with QUEUE_FULL and a retry hint when the queue is at its maximum', async () => {
    const { runner, submit } = await setup(1, 1);
    submit('running');
    submit('waiting');
    const refused = runner.submit({ source: 'one too many' });
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.code === 'QUEUE_FULL' && (refused.retryAfterMs ?? 0) > 0);
  });

  it('cancels a queued run without it ever reaching the backend, and moves the queue up', async () => {
    const { backend, submit } = await setup(1, 10);
    submit('first');
    const second = submit('second');
    const third = submit('third');
    const positions: number[] = [];
    third.on((e) => e.type === 'queued' && positions.push(e.position));
    second.cancel();
    assert.equal((await second.result).status, 'cancelled');
    assert.deepEqual(positions, [1]);
    backend.finish(0);
    await tick();
    assert.deepEqual(
      backend.started.map((r) => r.source),
      ['first', 'third'],
    );
  });

  it('cancels a running run through the backend', async () => {
    const { submit } = await setup(1, 10);
    const h = submit('long');
    await tick();
    h.cancel();
    assert.equal((await h.result).status, 'cancelled');
  });

  it('turns a backend failure into internal_error for the user, and keeps going', async () => {
    const { backend, submit } = await setup(1, 10);
    const bad = submit('explode');
    const good = submit('fine');
    const r = await bad.result;
    assert.equal(r.status, 'internal_error');
    assert.doesNotMatch(r.reason ?? '', /disk on fire/, 'the cause is for our logs, not the user');
    await tick();
    backend.finish(1);
    assert.equal((await good.result).status, 'ok');
  });

  it('refuses bad input with stable codes before queueing', async () => {
    const { runner } = await setup(1, 10);
    const code = (req: unknown) => {
      const r = runner.submit(req as never);
      return r.ok ? 'ok' : r.code;
    };
    assert.equal(code({ source: '   ' }), 'SOURCE_EMPTY');
    assert.equal(code({ source: 'x'.repeat(101) }), 'SOURCE_TOO_LARGE');
    assert.equal(code({ source: 'é'.repeat(51) }), 'SOURCE_TOO_LARGE'); // bytes, not characters
    assert.equal(code({ source: 'a\0b' }), 'INVALID_INPUT');
    assert.equal(code({ source: 'a\uD800b' }), 'INVALID_INPUT');
    assert.equal(code({ source: 42 }), 'INVALID_INPUT');
    assert.equal(code({ source: 'ok', stdin: 7 }), 'INVALID_INPUT');
    assert.equal(code({ source: 'ok', stdin: 'x'.repeat(11) }), 'STDIN_TOO_LARGE');
    assert.equal(code({ source: 'ok', timeoutMs: -1 }), 'INVALID_INPUT');
    assert.equal(code({ source: 'ok 🌍' }), 'ok');
  });

  it('on stop, cancels queued runs, lets running ones finish, then refuses new ones', async () => {
    const { backend, runner, submit } = await setup(1, 10);
    const running = submit('running');
    const queued = submit('queued');
    await tick();
    const stopped = runner.stop(5000);
    assert.equal((await queued.result).status, 'cancelled');
    backend.finish(0);
    assert.equal((await running.result).status, 'ok');
    await stopped;
    const late = runner.submit({ source: 'late' });
    assert.ok(!late.ok && late.code === 'SHUTTING_DOWN');
  });
});
