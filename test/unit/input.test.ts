import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeText, firstInvalidUtf8, InputError } from '../../src/cli/input.js';

describe('reading code a person gave us', () => {
  it('accepts UTF-8 text', () => {
    assert.equal(decodeText(Buffer.from('Console.WriteLine("é");'), 'x.cs', 100, false), 'Console.WriteLine("é");');
  });
  it('refuses empty, oversized, NUL-bearing and invalid UTF-8 input with one clear line', () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('  \n'), /x\.cs is empty/],
      [Buffer.alloc(101, 0x41), /x\.cs is 101 bytes; the limit is 100/],
      [Buffer.from([0x41, 0, 0x42]), /NUL byte \(at byte 1\)/],
      [Buffer.from([0x41, 0x42, 0xff, 0x43]), /not valid UTF-8 \(at byte 2\)/],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(
        () => decodeText(bytes, 'x.cs', 100, false),
        (e: unknown) => e instanceof InputError && message.test(e.message),
      );
    }
  });
  it('finds the first invalid byte', () => {
    assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82])), 1);
  });
});
