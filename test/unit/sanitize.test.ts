// Program output made safe for a Discord message, at the edges the renderer's tests do not reach: each
// kind of terminal escape, bare carriage returns, the inline cut, and where a cut may fall near an escape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeSafeCut, sanitizeBlock, sanitizeInline } from '../../src/bot/sanitize.js';

describe('sanitizing text', () => {
  it('strips every kind of terminal escape: CSI, OSC ended by BEL or ST, and two-character ones', () => {
    assert.equal(sanitizeBlock('a\u001b[1;31mb'), 'ab');
    assert.equal(sanitizeBlock('a\u001b]0;a title\u0007b'), 'ab');
    assert.equal(sanitizeBlock('a\u001b]0;a title\u001b\\b'), 'ab');
    assert.equal(sanitizeBlock('a\u001bMb\u001b_c'), 'abc');
  });

  it('turns a bare carriage return into a line break', () => {
    assert.equal(sanitizeBlock('a\rb'), 'a\nb');
  });

  it('names an invisible character with four hex digits, and breaks every backtick run', () => {
    assert.equal(sanitizeBlock('\u061C'), '<U+061C>');
    assert.equal(sanitizeBlock('`'), '`\u200B');
  });

  it('keeps inline text on one line and cuts it past its length only', () => {
    assert.equal(sanitizeInline('a\nb'), 'a b');
    assert.equal(sanitizeInline('abc', 3), 'abc');
    assert.equal(sanitizeInline('abcd', 3), 'ab…');
    assert.equal(sanitizeInline('a'.repeat(300)), `${'a'.repeat(199)}…`);
    assert.equal(
      sanitizeInline(`${'a'.repeat(198)}\u{10000}tail`),
      `${'a'.repeat(198)}…`,
      'U+D800, the first high surrogate, is not cut from its pair',
    );
  });
});

describe('where a cut may fall near a terminal escape', () => {
  const text = 'ab\u001b[31mcd'; // the escape is characters 2 to 6

  it('moves a cut inside an escape to its start, and leaves other cuts alone', () => {
    assert.deepEqual(
      [0, 2, 3, 4, 6, 7, 8, 9].map((at) => escapeSafeCut(text, at)),
      [0, 2, 2, 2, 2, 7, 8, 9],
    );
    assert.equal(escapeSafeCut('abc', 2), 2);
    assert.equal(escapeSafeCut('\u001b[31mab', 3), 0, 'an escape at the very start');
  });

  it('measures the escape the cut falls after, not an earlier one', () => {
    const long = `\u001b[${'1;'.repeat(10)}m`; // 23 characters
    const s = `${long}ab\u001b[0mcd`; // the second escape is characters 25 to 28
    assert.equal(escapeSafeCut(s, 29), 29);
    assert.equal(escapeSafeCut(s, 27), 25);
  });

  it('looks back at most 256 characters for an escape', () => {
    const s = `\u001b[${'0;'.repeat(200)}mtail`;
    assert.equal(escapeSafeCut(s, 300), 300);
    assert.equal(escapeSafeCut(s, 250), 0);
  });
});
