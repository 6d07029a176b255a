// When a queued run should start, and when a new estimate is worth an event (each may be a Discord edit).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ETA_CHANGE_MS, estimateStart, nextTypicalRunMs, worthTelling } from '../../src/runner/queueEta.js';

describe('estimating when a queued run starts', () => {
  const gate = { opensAt: 1_030_000, perRunMs: 10_000 };
  const at = (position: number, running: number, typicalRunMs: number | null, capacity = 2) =>
    estimateStart(position, gate, { now: 1_000_000, capacity, running, typicalRunMs }) - 1_000_000;

  it('spaces the runs the gate holds by its time per run, from when it opens', () => {
    assert.deepEqual(
      [1, 2].map((p) => at(p, 0, 60_000)),
      [30_000, 40_000],
    );
  });

  it('never says a start is in the past when the gate should have opened already', () => {
    assert.equal(
      estimateStart(1, { opensAt: 900, perRunMs: 100 }, { now: 1000, capacity: 1, running: 0, typicalRunMs: null }),
      1000,
    );
  });

  it('past the free places, waits for running runs to end too: capacity at a time, each about the typical run', () => {
    // One place free of two: the 2nd and 3rd wait one round of running runs (60 s), the 4th two.
    assert.deepEqual(
      [1, 2, 3, 4].map((p) => at(p, 1, 60_000)),
      [30_000, 60_000, 60_000, 120_000],
    );
    // When the gate is the slower of the two, it decides.
    assert.deepEqual(
      [2, 3].map((p) => at(p, 1, 5000)),
      [40_000, 50_000],
    );
  });

  it("with no run ended yet, gives the gate's time alone (the earliest it can be)", () => {
    assert.deepEqual(
      [1, 2, 3].map((p) => at(p, 2, null)),
      [30_000, 40_000, 50_000],
    );
  });
});

describe('telling a run again', () => {
  it('tells a new place, an estimate gained or lost, and one moved by 5 s or more; nothing else', () => {
    const told = { position: 2, startsAt: 50_000 };
    assert.equal(worthTelling(told, { position: 1, startsAt: 50_000 }), true);
    assert.equal(worthTelling(told, { position: 2, startsAt: null }), true);
    assert.equal(worthTelling({ position: 2, startsAt: null }, told), true);
    assert.equal(worthTelling({ position: 2, startsAt: null }, { position: 2, startsAt: null }), false);
    assert.equal(worthTelling(told, { position: 2, startsAt: 50_000 + ETA_CHANGE_MS - 1 }), false);
    assert.equal(worthTelling(told, { position: 2, startsAt: 50_000 - ETA_CHANGE_MS + 1 }), false);
    assert.equal(worthTelling(told, { position: 2, startsAt: 50_000 + ETA_CHANGE_MS }), true);
    assert.equal(worthTelling(told, { position: 2, startsAt: 50_000 - ETA_CHANGE_MS }), true);
  });
});

describe('the typical run time', () => {
  it('starts at the first run and follows a change within a few runs', () => {
    assert.equal(nextTypicalRunMs(null, 30_000), 30_000);
    let typical = 30_000;
    for (let i = 0; i < 10; i++) typical = nextTypicalRunMs(typical, 10_000);
    assert.ok(typical > 10_000 && typical < 13_000, String(typical));
  });
});
