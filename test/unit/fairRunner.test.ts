// Fair use in front of the runner: which limits a person runs under, what a refusal says, and that a run
// gives its places back when it ends (or all of them when the runner never took it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Keyv from 'keyv';
import type { FairUseConfig } from '../../src/config.js';
import { LocalAdmissionStore } from '../../src/runner/admission.js';
import { FairRunner } from '../../src/runner/limits.js';
import { heldRuns } from '../support/heldRunner.js';

const config: FairUseConfig = {
  storeUrl: 'memory://',
  userRunsPerMinute: 100,
  userConcurrentRuns: 2,
  guildRunsPerMinute: 100,
  globalInFlight: 100,
};

function fairUse(over: Partial<FairUseConfig> = {}): { fair: FairRunner; held: ReturnType<typeof heldRuns> } {
  const held = heldRuns();
  return { fair: new FairRunner(held.runner, new LocalAdmissionStore(new Keyv()), { ...config, ...over }), held };
}

/** Lets a finished run's release (chained on its result) reach the store. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('fair use', () => {
  it("gives a user's concurrency places back when each run ends, so one at a time never runs out", async () => {
    const { fair, held } = fairUse();
    for (let i = 0; i < 6; i++) {
      const r = await fair.submit({ source: 'x' }, { user: 'u', guild: null });
      assert.equal(r.ok, true, `run ${i + 1} after ${i} finished: ${JSON.stringify(r)}`);
      held.end(i);
      await settle();
    }
  });

  it('holds a user to their concurrent runs until one ends, then admits the next', async () => {
    const { fair, held } = fairUse();
    assert.equal((await fair.submit({ source: 'x' }, { user: 'u', guild: null })).ok, true);
    assert.equal((await fair.submit({ source: 'x' }, { user: 'u', guild: null })).ok, true);
    const refused = await fair.submit({ source: 'x' }, { user: 'u', guild: null });
    assert.deepEqual(refused, {
      ok: false,
      code: 'RATE_LIMITED',
      scope: 'user',
      kind: 'at-once',
      limit: 2,
      retryAfterMs: 5000,
    });
    assert.deepEqual(held.refused, [refused], 'the runner hears of the refusal');
    assert.equal(
      (await fair.submit({ source: 'x' }, { user: 'other', guild: null })).ok,
      true,
      'another user is not held',
    );
    held.end(1);
    await settle();
    assert.equal((await fair.submit({ source: 'x' }, { user: 'u', guild: null })).ok, true);
  });

  it('gives every place back, the per-minute ones too, when the runner refuses the run', async () => {
    const { fair, held } = fairUse({ userRunsPerMinute: 2 });
    held.refuseWith = { ok: false, code: 'QUEUE_FULL', limit: 10, retryAfterMs: 1000 };
    for (let i = 0; i < 3; i++) assert.equal((await fair.submit({ source: 'x' }, { user: 'u', guild: 'g' })).ok, false);
    held.refuseWith = null;
    assert.equal(
      (await fair.submit({ source: 'x' }, { user: 'u', guild: 'g' })).ok,
      true,
      'runs that never ran used no minute places',
    );
  });

  it('keeps per-minute places after a run ends', async () => {
    const { fair, held } = fairUse({ userRunsPerMinute: 2 });
    for (let i = 0; i < 2; i++) {
      assert.equal((await fair.submit({ source: 'x' }, { user: 'u', guild: null })).ok, true);
      held.end(i);
      await settle();
    }
    const refused = await fair.submit({ source: 'x' }, { user: 'u', guild: null });
    assert.equal(refused.ok === false && refused.code === 'RATE_LIMITED' && refused.kind, 'per-minute');
  });

  it('labels the run with who started it, keeping the labels it had', async () => {
    const { fair, held } = fairUse({ userConcurrentRuns: 0 });
    await fair.submit({ source: 'x', labels: { via: 'test' } }, { user: 'u', guild: 'g' });
    const { fair: fair2, held: held2 } = fairUse();
    await fair2.submit({ source: 'x', labels: { via: 'test' } }, { user: 'u', guild: null });
    assert.deepEqual(
      held2.submitted.map((r) => r.labels),
      [{ via: 'test', user: 'u' }],
    );
    assert.equal(held.submitted.length, 0, 'a refused run never reaches the runner');
    assert.deepEqual(
      held.refusedRequests.map((r) => r.labels),
      [{ via: 'test', user: 'u', guild: 'g' }],
      'a refusal is reported with who asked',
    );
    const { fair: fair3, held: held3 } = fairUse();
    await fair3.submit({ source: 'x' }, { user: 'u', guild: 'g' });
    assert.deepEqual(
      held3.submitted.map((r) => r.labels),
      [{ user: 'u', guild: 'g' }],
    );
    const { fair: fair4, held: held4 } = fairUse({ userConcurrentRuns: 0 });
    await fair4.submit({ source: 'x' }, { user: 'u', guild: null });
    assert.deepEqual(
      held4.refusedRequests.map((r) => r.labels),
      [{ user: 'u' }],
    );
  });

  it('runs a person under their user, guild and global limits, a guild able to lower but never raise them', () => {
    const { fair } = fairUse({ userRunsPerMinute: 5, guildRunsPerMinute: 20, globalInFlight: 8 });
    const lease = 600_000;
    assert.deepEqual(fair.rules({ user: 'u', guild: null }), [
      { key: 'rl:user:u:minute', kind: 'rate', limit: 5, windowMs: 60_000 },
      { key: 'rl:user:u:running', kind: 'concurrent', limit: 2, windowMs: lease },
      { key: 'rl:global:running', kind: 'concurrent', limit: 8, windowMs: lease },
    ]);
    assert.deepEqual(
      fair
        .rules({ user: 'u', guild: 'g' }, { userRunsPerMinute: 3, guildRunsPerMinute: 50 })
        .map((r) => [r.key, r.limit]),
      [
        ['rl:user:u:minute', 3],
        ['rl:user:u:running', 2],
        ['rl:global:running', 8],
        ['rl:guild:g:minute', 20],
      ],
    );
    assert.deepEqual(
      fair
        .rules({ user: 'u', guild: 'g' }, { userRunsPerMinute: 50, guildRunsPerMinute: 4 })
        .map((r) => [r.key, r.limit]),
      [
        ['rl:user:u:minute', 5],
        ['rl:user:u:running', 2],
        ['rl:global:running', 8],
        ['rl:guild:g:minute', 4],
      ],
    );
    assert.deepEqual(
      fair.rules({ user: 'u', guild: 'g' }, { userRunsPerMinute: null, guildRunsPerMinute: null }).map((r) => r.limit),
      [5, 2, 8, 20],
    );
  });

  it('says which limit refused: the guild rate and the global cap', async () => {
    const { fair } = fairUse({ guildRunsPerMinute: 1, globalInFlight: 2 });
    assert.equal((await fair.submit({ source: 'x' }, { user: 'a', guild: 'g' })).ok, true);
    const guild = await fair.submit({ source: 'x' }, { user: 'b', guild: 'g' });
    assert.ok(!guild.ok && guild.code === 'RATE_LIMITED');
    assert.deepEqual([guild.scope, guild.kind, guild.limit], ['guild', 'per-minute', 1]);
    assert.ok(guild.retryAfterMs > 59_000 && guild.retryAfterMs <= 60_000, `retry ${guild.retryAfterMs}`);
    assert.equal((await fair.submit({ source: 'x' }, { user: 'c', guild: null })).ok, true);
    const global = await fair.submit({ source: 'x' }, { user: 'd', guild: null });
    assert.ok(!global.ok && global.code === 'RATE_LIMITED');
    assert.deepEqual([global.scope, global.kind, global.limit], ['global', 'at-once', 2]);
  });
});
