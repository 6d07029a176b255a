// Admission arithmetic on a clock the test moves: sliding rate windows, concurrency leases, when to retry,
// all-or-nothing decisions, and what the Redis store sends Redis.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Keyv from 'keyv';
import { LocalAdmissionStore, RedisAdmissionStore, type RedisLike, type Rule } from '../../src/runner/admission.js';

const rate: Rule = { key: 'rate', kind: 'rate', limit: 2, windowMs: 1000 };
const lease: Rule = { key: 'lease', kind: 'concurrent', limit: 1, windowMs: 20_000 };

function store(): { admissions: LocalAdmissionStore; keyv: Keyv; at: (ms: number) => void } {
  let now = 1_000_000;
  const keyv = new Keyv();
  return { admissions: new LocalAdmissionStore(keyv, () => now), keyv, at: (ms) => (now = 1_000_000 + ms) };
}

describe('admission in one process', () => {
  it('slides a rate window: a place comes back exactly one window after it was taken', async () => {
    const { admissions, at } = store();
    assert.deepEqual(await admissions.admit([rate], 'a'), { ok: true });
    at(400);
    assert.deepEqual(await admissions.admit([rate], 'b'), { ok: true });
    at(999);
    assert.deepEqual(await admissions.admit([rate], 'c'), { ok: false, rule: 0, retryAfterMs: 1 });
    at(1000);
    assert.deepEqual(await admissions.admit([rate], 'c'), { ok: true });
    assert.deepEqual(await admissions.admit([rate], 'd'), { ok: false, rule: 0, retryAfterMs: 400 });
  });

  it('keeps nothing in a zero window, and asks for a retry in 1 ms when a lease ends in 1 ms', async () => {
    const { admissions } = store();
    await admissions.admit([rate], 'a');
    await admissions.admit([rate], 'b');
    assert.deepEqual(
      await admissions.admit([{ ...rate, windowMs: 0 }], 'c'),
      { ok: true },
      'a zero window keeps nothing',
    );
    const leaseNow: Rule = { ...lease, windowMs: 1 };
    await admissions.admit([leaseNow], 'x');
    assert.deepEqual(await admissions.admit([leaseNow], 'y'), { ok: false, rule: 0, retryAfterMs: 1 });
  });

  it('holds a concurrency place until it is released or its lease runs out, and asks for a retry within 5 s', async () => {
    const { admissions, at } = store();
    assert.deepEqual(await admissions.admit([lease], 'a'), { ok: true });
    assert.deepEqual(await admissions.admit([lease], 'b'), { ok: false, rule: 0, retryAfterMs: 5000 });
    at(17_000);
    assert.deepEqual(await admissions.admit([lease], 'b'), { ok: false, rule: 0, retryAfterMs: 3000 });
    at(20_000);
    assert.deepEqual(
      await admissions.admit([lease], 'b'),
      { ok: true },
      'a crashed run frees its place when its lease ends',
    );
    await admissions.release([lease], 'b');
    assert.deepEqual(await admissions.admit([lease], 'c'), { ok: true });
  });

  it('charges every rule or none, and names the first full one', async () => {
    const { admissions, keyv } = store();
    const wide: Rule = { key: 'wide', kind: 'rate', limit: 5, windowMs: 1000 };
    await admissions.admit([wide, lease], 'a');
    assert.deepEqual(await admissions.admit([wide, lease], 'b'), { ok: false, rule: 1, retryAfterMs: 5000 });
    assert.deepEqual(
      ((await keyv.get<[string, number][]>('wide')) ?? []).map(([m]) => m),
      ['a'],
      'the refused run took no rate place',
    );
    assert.deepEqual(
      ((await keyv.get<[string, number][]>('lease')) ?? []).map(([m, s]) => [m, s]),
      [['a', 1_020_000]],
      'a lease is kept as its expiry',
    );
  });

  it('gives back only concurrency places on release, and rate places too with all', async () => {
    const { admissions, keyv } = store();
    await admissions.admit([rate, lease], 'a');
    await admissions.release([rate, lease], 'a');
    assert.deepEqual(
      ((await keyv.get<[string, number][]>('rate')) ?? []).map(([m]) => m),
      ['a'],
    );
    assert.deepEqual(await keyv.get('lease'), []);
    await admissions.release([rate, lease], 'a', true);
    assert.deepEqual(await keyv.get('rate'), []);
  });

  it('releases only the member named', async () => {
    const { admissions, keyv } = store();
    const two: Rule = { ...lease, limit: 2 };
    await admissions.admit([two], 'a');
    await admissions.admit([two], 'b');
    await admissions.release([two], 'a');
    assert.deepEqual(
      ((await keyv.get<[string, number][]>('lease')) ?? []).map(([m]) => m),
      ['b'],
    );
  });

  it('decides concurrent admissions one at a time: exactly the limit gets in', async () => {
    const { admissions } = store();
    const three: Rule = { ...lease, limit: 3 };
    const decisions = await Promise.all(Array.from({ length: 10 }, (_, i) => admissions.admit([three], `m${i}`)));
    assert.equal(decisions.filter((d) => d.ok).length, 3);
  });

  it('keeps deciding after a decision failed in the store', async () => {
    let fail = true;
    const keyv = new Keyv();
    const get = keyv.get.bind(keyv);
    keyv.get = (async (key: string) => {
      if (fail) throw new Error('store down');
      return get(key);
    }) as typeof keyv.get;
    const admissions = new LocalAdmissionStore(keyv);
    await assert.rejects(admissions.admit([lease], 'a'), /store down/);
    fail = false;
    assert.deepEqual(await admissions.admit([lease], 'a'), { ok: true });
  });
});

describe('admission across processes (Redis)', () => {
  function fakeRedis(answer: unknown): {
    redis: RedisLike;
    evals: { script: string; keys: string[]; arguments: string[] }[];
    removed: [string, string][];
  } {
    const evals: { script: string; keys: string[]; arguments: string[] }[] = [];
    const removed: [string, string][] = [];
    return {
      evals,
      removed,
      redis: {
        eval: async (script, options) => {
          evals.push({ script, ...options });
          return answer;
        },
        zRem: async (key, member) => removed.push([key, member]),
      },
    };
  }

  it('sends one script with the prefixed keys and each rule as kind, limit, window', async () => {
    const { redis, evals } = fakeRedis([1, 0, 0]);
    const admissions = new RedisAdmissionStore(async () => redis, 'sb:');
    assert.deepEqual(await admissions.admit([rate, lease], 'm'), { ok: true });
    assert.equal(evals.length, 1);
    assert.deepEqual(
      { keys: evals[0]?.keys, arguments: evals[0]?.arguments },
      { keys: ['sb:rate', 'sb:lease'], arguments: ['m', 'rate', '2', '1000', 'concurrent', '1', '20000'] },
    );
    // The decision is Redis's own, on its clock; the script is what makes it atomic.
    assert.match(
      evals[0]?.script ?? '',
      /redis\.call\('TIME'\)[\s\S]*ZREMRANGEBYSCORE[\s\S]*ZCARD[\s\S]*ZADD[\s\S]*PEXPIRE/,
    );
  });

  it("reads Redis's refusal as the rule and the retry", async () => {
    const { redis } = fakeRedis([0, 1, 1500]);
    assert.deepEqual(await new RedisAdmissionStore(async () => redis, '').admit([rate, lease], 'm'), {
      ok: false,
      rule: 1,
      retryAfterMs: 1500,
    });
  });

  it('removes only concurrency places on release, and rate places too with all', async () => {
    const { redis, removed } = fakeRedis(null);
    const admissions = new RedisAdmissionStore(async () => redis, 'sb:');
    await admissions.release([rate, lease], 'm');
    assert.deepEqual(removed, [['sb:lease', 'm']]);
    removed.length = 0;
    await admissions.release([rate, lease], 'm', true);
    assert.deepEqual(removed, [
      ['sb:rate', 'm'],
      ['sb:lease', 'm'],
    ]);
  });
});
