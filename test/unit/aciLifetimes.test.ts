import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resultWithoutFacts } from '../../src/runner/backends/aci/facts.js';
import { HANDOVER_MARGIN_MS, memberWindow, runWindow, SAS_SLACK_MS } from '../../src/runner/backends/aci/lifetimes.js';

const t = { startupAllowanceMs: 120_000, poolIdleMs: 600_000, sweepGraceMs: 60_000, compileTimeoutMs: 10_000 };
const created = Date.parse('2026-11-30T12:00:00.000Z');

describe('how long what the aci backend creates may live', () => {
  it('gives a cold run start-up, compile and run time, and SAS URLs that outlive that deadline', () => {
    const w = runWindow(created, 5000, t);
    assert.equal(w.deadline, created + 135_000);
    assert.equal(w.sasTtlMinutes, 4, '135 s + 60 s of slack, in whole minutes');
    assert.ok(created + w.sasTtlMinutes * 60_000 >= w.deadline + SAS_SLACK_MS);
    assert.equal(w.expiresAt, new Date(created + 195_000).toISOString());
  });

  it('stretches the SAS with a long start-up allowance instead of letting it expire first', () => {
    const w = runWindow(created, 5000, { ...t, startupAllowanceMs: 1_800_000 });
    assert.ok(created + w.sasTtlMinutes * 60_000 > w.deadline);
  });

  it('retires a warm member counted from its create, while its container (started no earlier) still waits', () => {
    const w = memberWindow(created, 5000, t);
    assert.equal(w.waitMs, 600_000);
    assert.equal(w.retireAt, created + 600_000 - HANDOVER_MARGIN_MS);
    // However fast it started, its container waits until at least created + waitMs.
    assert.ok(w.retireAt < created + w.waitMs);
  });

  it("gives a member's assignment SAS and expiry its whole possible life: start-up, the wait, then a run", () => {
    const w = memberWindow(created, 5000, t);
    const life = 120_000 + 600_000 + 10_000 + 5000;
    assert.ok(w.sasTtlMinutes * 60_000 >= life + SAS_SLACK_MS);
    assert.equal(w.expiresAt, new Date(created + life + 60_000).toISOString());
    assert.ok(w.retireAt < created + w.sasTtlMinutes * 60_000, 'retired before its SAS can expire');
  });

  it('keeps a short idle limit usable: the handover margin is at most a quarter of it', () => {
    const w = memberWindow(created, 5000, { ...t, poolIdleMs: 10_000 });
    assert.equal(w.retireAt, created + 7500);
  });
});

describe('the verdict on a container that left no result', () => {
  it('names the cause from its exit code', () => {
    assert.equal(resultWithoutFacts(137, 1.5).status, 'memory_limit');
    assert.deepEqual(
      [resultWithoutFacts(77, 1.5).status, resultWithoutFacts(77, 1.5).reason],
      ['internal_error', "the container's access to storage expired"],
    );
    assert.match(resultWithoutFacts(78, 1.5).reason ?? '', /image does not match this service/);
    assert.equal(resultWithoutFacts(1, 1.5).reason, 'the sandbox exited without a result');
    assert.equal(resultWithoutFacts(null, 1.5).reason, 'the sandbox exited without a result');
  });
});
