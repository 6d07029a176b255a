// The admin feed's view of a queue held by the backend's start gate: where each run waits, and when it
// should start, in run.queued and then run.waiting; the gauges say the queue is held.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRunner } from '../../src/runner/index.js';
import { RunHub } from '../../src/stream/hub.js';
import type { FeedEvent } from '../../src/stream/protocol.js';
import { GatedBackend, refuse } from '../support/scriptedBackend.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('the feed of a held queue', () => {
  it("sends each run's place and estimated start, only when they change, and says the queue is held", async () => {
    const backend = new GatedBackend(1);
    backend.answers.push(refuse(30_000, 10_000));
    const runner = await createRunner(loadConfig({}), { backend, log: createLogger('silent') });
    const hub = new RunHub(runner, { id: 'test-process', host: 'test', shards: null });
    const messages: FeedEvent[] = [];
    hub.subscribe((m) => messages.push(m));
    try {
      const a = runner.submit({ source: 'a' });
      const b = runner.submit({ source: 'b' });
      assert.ok(a.ok && b.ok);
      await tick();
      const queueOf = (id: string) =>
        messages.flatMap((m) =>
          m.type === 'run.queued' && m.run.id === id
            ? [['queued', m.position, m.etaMs]]
            : m.type === 'run.waiting' && m.id === id
              ? [['waiting', m.position, Math.round((m.etaMs ?? 0) / 1000)]]
              : [],
        );
      // Submitted before the gate answered: no estimate yet; then the refusal's.
      assert.deepEqual(queueOf(a.handle.id), [
        ['queued', 1, undefined],
        ['waiting', 1, 30],
      ]);
      assert.deepEqual(queueOf(b.handle.id), [
        ['queued', 2, undefined],
        ['waiting', 2, 40],
      ]);
      assert.equal(hub.stats().gated, true);
      const late = runner.submit({ source: 'c' });
      assert.ok(late.ok);
      const queued = messages.find((m) => m.type === 'run.queued' && m.run.id === late.handle.id);
      assert.ok(
        queued?.type === 'run.queued' && queued.position === 3 && Math.round((queued.etaMs ?? 0) / 1000) === 50,
        'a run submitted while the gate holds is told at once',
      );
    } finally {
      await runner.stop(0);
      hub.stop();
    }
  });
});
