import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestedWaitMs } from '../../src/runner/backends/aci/throttleBudget.js';

const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] });

describe('the wait a throttling answer asks for', () => {
  it('reads the headers in the order the SDK does: milliseconds first, then Retry-After in seconds or as a date', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    const cases: [Record<string, string>, number][] = [
      [{ 'retry-after-ms': '250', 'retry-after': '300' }, 250],
      [{ 'x-ms-retry-after-ms': '1500' }, 1500],
      [{ 'retry-after': '300' }, 300_000],
      [{ 'retry-after': '0' }, 0],
      [{ 'retry-after': 'Mon, 30 Nov 2026 10:01:15 GMT' }, 75_000],
      [{ 'retry-after': 'Mon, 30 Nov 2026 09:00:00 GMT' }, 0],
    ];
    for (const [h, ms] of cases) assert.equal(requestedWaitMs(headers(h), now), ms, JSON.stringify(h));
  });

  it('is NaN when the answer asks for no wait at all (the SDK then does not retry a 429)', () => {
    assert.ok(Number.isNaN(requestedWaitMs(headers({}))));
    assert.ok(Number.isNaN(requestedWaitMs(headers({ 'retry-after': 'soon' }))));
  });
});
