// Azure's create, delete and read budgets over the in-process admission store, on a clock the test moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Keyv from 'keyv';
import { loadConfig } from '../../src/config.js';
import { LocalAdmissionStore } from '../../src/runner/admission.js';
import { AciBudget } from '../../src/runner/backends/aci/budget.js';

const MINUTE = 60_000;

function budget(env: Record<string, string> = {}) {
  const clock = { now: 1_000_000 };
  const keyv = new Keyv();
  const aci = loadConfig({ AZURE_SUBSCRIPTION_ID: 'SUB-1', AZURE_LOCATION: 'West Europe', ...env }).aci;
  return { budget: new AciBudget(new LocalAdmissionStore(keyv, () => clock.now), aci), clock, keyv };
}

async function take(n: number, call: () => Promise<{ ok: boolean }>): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) if ((await call()).ok) ok++;
  return ok;
}

describe("Azure's budgets", () => {
  it('admits 90 creates in 5 minutes, then refuses until the oldest leaves the window', async () => {
    const { budget: b, clock } = budget();
    const first = clock.now;
    for (let i = 0; i < 90; i++) {
      assert.deepEqual(await b.create('run'), { ok: true }, `create ${i + 1}`);
      clock.now += 1000;
    }
    const refused = await b.create('run');
    assert.deepEqual(refused, { ok: false, rule: 0, retryAfterMs: first + 5 * MINUTE - clock.now });
    clock.now = first + 5 * MINUTE - 1;
    assert.equal((await b.create('run')).ok, false, 'one ms before the oldest leaves');
    clock.now = first + 5 * MINUTE;
    assert.deepEqual(await b.create('run'), { ok: true }, 'as it leaves, one place opens');
    assert.equal((await b.create('run')).ok, false, 'and only one: the second oldest is a second younger');
  });

  it('holds creates to 270 an hour across 5-minute windows', async () => {
    const { budget: b, clock } = budget();
    const first = clock.now;
    for (let window = 0; window < 3; window++) {
      assert.equal(await take(91, () => b.create(`w${window}`)), 90, `window ${window}`);
      clock.now += 5 * MINUTE;
    }
    // A fresh 5-minute window, but the hour holds 270 already: the hourly rule refuses, until the first
    // window's creates are an hour old.
    const refused = await b.create('late');
    assert.deepEqual(refused, { ok: false, rule: 1, retryAfterMs: first + 60 * MINUTE - clock.now });
    clock.now = first + 60 * MINUTE;
    assert.equal(await take(91, () => b.create('next hour')), 90);
  });

  it('counts deletes and reads apart from creates, each with its own limits', async () => {
    const { budget: b } = budget({ ACI_CREATES_PER_5MIN: '2', ACI_DELETES_PER_5MIN: '3', ACI_ARM_READS_PER_10S: '5' });
    assert.equal(await take(10, () => b.create('g')), 2);
    assert.equal(await take(10, () => b.delete('g')), 3);
    assert.equal(await take(10, () => b.read('list')), 5);
    const read = await b.read('list');
    assert.ok(!read.ok && read.retryAfterMs === 10_000, JSON.stringify(read));
  });

  it('keys the rules by subscription and region, whichever way the region is written', async () => {
    const { budget: b, keyv } = budget({ ACI_CREATES_PER_5MIN: '1' });
    assert.equal((await b.create('g')).ok, true);
    assert.ok(await keyv.get('aci:sub-1:westeurope:create:5m'));
    assert.ok(await keyv.get('aci:sub-1:westeurope:create:1h'));
    const same = new AciBudget(
      new LocalAdmissionStore(keyv, () => 1_000_000),
      loadConfig({ AZURE_SUBSCRIPTION_ID: 'sub-1', AZURE_LOCATION: 'westeurope', ACI_CREATES_PER_5MIN: '1' }).aci,
    );
    assert.equal((await same.create('g')).ok, false, 'the same budget');
    const other = new AciBudget(
      new LocalAdmissionStore(keyv, () => 1_000_000),
      loadConfig({ AZURE_SUBSCRIPTION_ID: 'sub-1', AZURE_LOCATION: 'northeurope', ACI_CREATES_PER_5MIN: '1' }).aci,
    );
    assert.equal((await other.create('g')).ok, true, 'another region has its own');
  });
});
