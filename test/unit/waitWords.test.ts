// A queued run's estimated wait, as the bot and the CLI say it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queuedLine } from '../../src/cli/render.js';
import { aboutWait } from '../../src/runner/results.js';

describe('saying how long a queued run waits', () => {
  it('says seconds under a minute and a half, whole minutes after, and never "0 s"', () => {
    const cases: [number, string][] = [
      [0, 'about 1 s'],
      [499, 'about 1 s'],
      [1499, 'about 1 s'],
      [1500, 'about 2 s'],
      [40_000, 'about 40 s'],
      [89_499, 'about 89 s'],
      [89_500, 'about 2 min'],
      [150_000, 'about 3 min'],
      [3_600_000, 'about 60 min'],
    ];
    for (const [ms, words] of cases) assert.equal(aboutWait(ms), words, `${ms} ms`);
  });

  it('shows the CLI its place, and the wait when the runner estimated one', () => {
    assert.equal(queuedLine(1, undefined), '⏳ pending (queue position 1)');
    assert.equal(queuedLine(3, 40_000), '⏳ pending (queue position 3, about 40 s)');
  });
});
