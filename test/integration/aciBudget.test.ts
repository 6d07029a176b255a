// Azure's budgets shared by several processes: two AciBudgets on two connections to a real
// redis-server (as two sharpbox processes on one STORE_URL) spend one budget, exactly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { AciBudget } from '../../src/runner/backends/aci/budget.js';
import { openStore, type Store } from '../../src/runner/store.js';
import { startRedis, type RedisServer } from '../support/redis.js';

let redis: RedisServer;
const stores: Store[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const s of stores) await s.close();
  await redis?.stop();
});

let db = 0;
/** Two processes' budgets: each its own store, so its own Redis connection, on one database. */
async function twoProcesses(env: Record<string, string> = {}): Promise<[AciBudget, AciBudget]> {
  const url = `${redis.url}/${++db}`;
  const aci = loadConfig({ AZURE_SUBSCRIPTION_ID: 'sub-1', AZURE_LOCATION: 'westeurope', ...env }).aci;
  const [a, b] = await Promise.all([openStore(url), openStore(url)]);
  stores.push(a, b);
  return [new AciBudget(a.admissions, aci), new AciBudget(b.admissions, aci)];
}

describe("Azure's budgets across processes (Redis)", () => {
  it('admits exactly 90 of 200 concurrent creates from two processes, even all for the same member', async () => {
    const [one, two] = await twoProcesses();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? one : two).create('same-run')),
    );
    assert.equal(results.filter((r) => r.ok).length, 90);
    const refused = results.find((r) => !r.ok);
    assert.ok(
      refused && !refused.ok && refused.rule === 0 && refused.retryAfterMs > 290_000 && refused.retryAfterMs <= 300_000,
      JSON.stringify(refused),
    );
    // Both processes got some: the budget is one, not two halves.
    const byOne = results.filter((r, i) => r.ok && i % 2 === 0).length;
    assert.ok(byOne > 0 && byOne < 90, `process one took ${byOne}`);
  });

  it('holds two processes together to the hourly limit, and keeps deletes and reads apart', async () => {
    const [one, two] = await twoProcesses({
      ACI_CREATES_PER_5MIN: '50',
      ACI_CREATES_PER_HOUR: '30',
      ACI_DELETES_PER_5MIN: '7',
      ACI_ARM_READS_PER_10S: '40',
    });
    const creates = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? one : two).create('g')));
    assert.equal(creates.filter((r) => r.ok).length, 30);
    const hourly = creates.find((r) => !r.ok);
    assert.ok(hourly && !hourly.ok && hourly.rule === 1 && hourly.retryAfterMs > 3_500_000, JSON.stringify(hourly));
    const deletes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).delete('g')));
    assert.equal(deletes.filter((r) => r.ok).length, 7);
    const reads = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? one : two).read('list')));
    assert.equal(reads.filter((r) => r.ok).length, 40);
  });
});
