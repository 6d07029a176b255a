// Fair use against the real stores: memory, a real SQLite file, a real redis-server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import type { SubmitResult } from '../../src/runner/index.js';
import { FairRunner } from '../../src/runner/limits.js';
import { openStore, type Store } from '../../src/runner/store.js';
import { heldRunner } from '../support/heldRunner.js';
import { startRedis, type RedisServer } from '../support/redis.js';

let redis: RedisServer;
let dir = '';
before(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-limits-'));
});
after(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

let fresh = 0;
const stores: [string, () => string][] = [
  ['memory', () => 'memory://'],
  ['sqlite', () => `sqlite://${join(dir, `limits-${++fresh}.sqlite`)}`],
  ['redis', () => `${redis.url}/${++fresh % 16}`],
];

function fairRunner(store: Store, env: Record<string, string>): FairRunner {
  return new FairRunner(heldRunner(), store.admissions, loadConfig(env).fairUse);
}

/** Which limit refused, as data (no words: those are the front ends'); retryAfterMs is checked apart. */
function limitOf(r: SubmitResult | undefined): { code: string; scope: string; kind: string; limit: number } {
  assert.ok(r && !r.ok && r.code === 'RATE_LIMITED', `a rate-limit refusal, got ${JSON.stringify(r)}`);
  return { code: r.code, scope: r.scope, kind: r.kind, limit: r.limit };
}

for (const [name, url] of stores) {
  describe(`fair use with the ${name} store`, () => {
    it('admits exactly the per-user limit under 200 concurrent submissions from 50 users', async () => {
      const store = await openStore(url());
      try {
        const fair = fairRunner(store, { USER_RUNS_PER_MINUTE: '3', USER_CONCURRENT_RUNS: '100' });
        const users = Array.from({ length: 50 }, (_, i) => `user-${name}-${i}`);
        const attempts = users.flatMap((user) => Array.from({ length: 4 }, () => ({ user })));
        const results = await Promise.all(
          attempts.map((a) => fair.submit({ source: 'x' }, { user: a.user, guild: null }).then((r) => ({ ...a, r }))),
        );
        assert.equal(results.filter((x) => x.r.ok).length, 150);
        for (const user of users) assert.equal(results.filter((x) => x.user === user && x.r.ok).length, 3, user);
        const refused = results.find((x) => !x.r.ok)?.r;
        assert.ok(refused && !refused.ok && refused.code === 'RATE_LIMITED');
        assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000, `retry after ${refused.retryAfterMs}`);
        assert.deepEqual(limitOf(refused), { code: 'RATE_LIMITED', scope: 'user', kind: 'per-minute', limit: 3 });
      } finally {
        await store.close();
      }
    });

    it('holds a user to their concurrent runs, a guild to its rate, and everything to the global cap', async () => {
      const store = await openStore(url());
      try {
        const fair = fairRunner(store, {
          USER_RUNS_PER_MINUTE: '100',
          USER_CONCURRENT_RUNS: '2',
          GUILD_RUNS_PER_MINUTE: '5',
          GLOBAL_MAX_IN_FLIGHT: '10',
        });
        const same = await Promise.all(
          Array.from({ length: 6 }, () => fair.submit({ source: 'x' }, { user: `solo-${name}`, guild: null })),
        );
        assert.equal(same.filter((r) => r.ok).length, 2);
        const concurrent = same.find((r) => !r.ok);
        assert.deepEqual(limitOf(concurrent), { code: 'RATE_LIMITED', scope: 'user', kind: 'at-once', limit: 2 });
        const guild = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            fair.submit({ source: 'x' }, { user: `g-${name}-${i}`, guild: `guild-${name}` }),
          ),
        );
        assert.equal(guild.filter((r) => r.ok).length, 5, 'guild rate');
        const refusal = guild.find((r) => !r.ok);
        assert.deepEqual(limitOf(refusal), { code: 'RATE_LIMITED', scope: 'guild', kind: 'per-minute', limit: 5 });
        const global = await Promise.all(
          Array.from({ length: 6 }, (_, i) => fair.submit({ source: 'x' }, { user: `x-${name}-${i}`, guild: null })),
        );
        assert.equal(global.filter((r) => r.ok).length, 3, '2 + 5 runs in flight: 3 more reach the global cap of 10');
        const full = global.find((r) => !r.ok);
        assert.deepEqual(limitOf(full), { code: 'RATE_LIMITED', scope: 'global', kind: 'at-once', limit: 10 });
      } finally {
        await store.close();
      }
    });
  });
}

describe('fair use across processes and restarts', () => {
  it('admits exactly the limit across two processes sharing Redis', async () => {
    const url = `${redis.url}/15`;
    const user = `shared-${Date.now()}`;
    const worker = spawn(
      process.execPath,
      [join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'admitWorker.js'), url, user, '40'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    worker.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((r) => {
      const check = (): void => (out.includes('ready') ? r() : void setTimeout(check, 10));
      check();
    });
    const store = await openStore(url);
    try {
      const fair = fairRunner(store, { USER_RUNS_PER_MINUTE: '25', USER_CONCURRENT_RUNS: '1000' });
      worker.stdin.write('go\n');
      const mine = await Promise.all(
        Array.from({ length: 40 }, () => fair.submit({ source: 'x' }, { user, guild: null })),
      );
      await new Promise((r) => worker.once('exit', r));
      const theirs = Number(out.split('\n')[1]);
      assert.equal(
        mine.filter((r) => r.ok).length + theirs,
        25,
        `mine ${mine.filter((r) => r.ok).length}, theirs ${theirs}`,
      );
    } finally {
      await store.close();
    }
  });

  it('keeps limits across a restart with the SQLite store', async () => {
    const url = `sqlite://${join(dir, 'restart.sqlite')}`;
    let store = await openStore(url);
    let fair = fairRunner(store, { USER_RUNS_PER_MINUTE: '3', USER_CONCURRENT_RUNS: '100' });
    for (let i = 0; i < 3; i++) assert.ok((await fair.submit({ source: 'x' }, { user: 'restarter', guild: null })).ok);
    await store.close();
    store = await openStore(url);
    try {
      fair = fairRunner(store, { USER_RUNS_PER_MINUTE: '3', USER_CONCURRENT_RUNS: '100' });
      const after = await fair.submit({ source: 'x' }, { user: 'restarter', guild: null });
      assert.ok(!after.ok && after.code === 'RATE_LIMITED');
    } finally {
      await store.close();
    }
  });
});
