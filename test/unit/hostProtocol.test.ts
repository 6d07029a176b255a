import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeProgramFrames, parseCompileResponse } from '../../src/runner/backends/local/hostProtocol.js';
import { parseHostNotes } from '../../src/runner/hostNotes.js';
import { utf8Boundary } from '../../src/runner/backends/local/execSandbox.js';

describe('the runner host protocol', () => {
  it('frames the program as length-prefixed PE and PDB', () => {
    const frames = encodeProgramFrames(Buffer.from([1, 2, 3]), Buffer.from([9]));
    assert.deepEqual([...frames], [3, 0, 0, 0, 1, 2, 3, 1, 0, 0, 0, 9]);
    assert.deepEqual([...encodeProgramFrames(Buffer.from([7]), null)], [1, 0, 0, 0, 7, 0, 0, 0, 0]);
  });

  it('names a view in a third frame, and sends none for a run', () => {
    assert.deepEqual(
      [...encodeProgramFrames(Buffer.from([7]), null, 'il')],
      [1, 0, 0, 0, 7, 0, 0, 0, 0, 2, 0, 0, 0, 0x69, 0x6c],
    );
    assert.deepEqual([...encodeProgramFrames(Buffer.from([7]), null, null)], [1, 0, 0, 0, 7, 0, 0, 0, 0]);
  });

  it('parses notes and drops anything malformed or oversized', () => {
    const text = [
      '{"e":"ready"}',
      'garbage',
      `{"e":"start","pad":"${'x'.repeat(2000)}"}`,
      '{"e":"start"}',
      '{"e":"exit","code":3}',
      '{"e":"exit","code":"4"}',
      '{"e":"unhandled","type":"System.X"}',
      'null',
      '[]',
    ].join('\n');
    assert.deepEqual(parseHostNotes(text), {
      ready: true,
      start: true,
      fault: null,
      exitCode: 3,
      unhandledType: 'System.X',
    });
  });

  it("trusts only what came before `start` as the host's own, and takes the last of the user-influenced notes", () => {
    // After start the user's code can write anything on fd 4: a fake fault or a second ready changes nothing.
    const forged = [
      '{"e":"ready"}',
      '{"e":"start"}',
      '{"e":"exit","code":0}',
      '{"e":"fault","message":"forged"}',
      '{"e":"exit","code":7}',
    ].join('\n');
    assert.deepEqual(parseHostNotes(forged), {
      ready: true,
      start: true,
      fault: null,
      exitCode: 7,
      unhandledType: null,
    });
    // Before start only the host can write: its fault is believed.
    assert.deepEqual(parseHostNotes('{"e":"ready"}\n{"e":"fault","message":"no assembly on the control fd"}\n'), {
      ready: true,
      start: false,
      fault: 'no assembly on the control fd',
      exitCode: null,
      unhandledType: null,
    });
    // Notes before ready or start that only the user could send are ignored (exit/unhandled before start).
    assert.equal(parseHostNotes('{"e":"exit","code":1}\n').exitCode, null);
  });

  it('accepts only compile responses of the right shape', () => {
    assert.equal(parseCompileResponse('not json'), null);
    assert.equal(parseCompileResponse('{"ok":"yes","diagnostics":[]}'), null);
    assert.deepEqual(parseCompileResponse('{"ok":false,"diagnostics":[],"compileMs":1}'), {
      ok: false,
      diagnostics: [],
      compileMs: 1,
    });
  });
});

describe('cutting output at the cap', () => {
  it('never splits a UTF-8 sequence', () => {
    const buf = Buffer.from('a€b', 'utf8'); // a, E2 82 AC, b
    assert.equal(utf8Boundary(buf, 1), 1);
    assert.equal(utf8Boundary(buf, 2), 1);
    assert.equal(utf8Boundary(buf, 3), 1);
    assert.equal(utf8Boundary(buf, 4), 4);
    assert.equal(utf8Boundary(buf, 10), 5);
    const emoji = Buffer.from('🌍', 'utf8');
    assert.equal(utf8Boundary(emoji, 3), 0);
  });
});
