import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeProgramFrames, parseCompileResponse, parseHostNotes } from '../../src/runner/backends/local/hostProtocol.js';
import { utf8Boundary } from '../../src/runner/backends/local/execSandbox.js';

describe('the runner host protocol', () => {
  it('frames the program as length-prefixed PE and PDB', () => {
    const frames = encodeProgramFrames(Buffer.from([1, 2, 3]), Buffer.from([9]));
    assert.deepEqual([...frames], [3, 0, 0, 0, 1, 2, 3, 1, 0, 0, 0, 9]);
    assert.deepEqual([...encodeProgramFrames(Buffer.from([7]), null)], [1, 0, 0, 0, 7, 0, 0, 0, 0]);
  });

  it('parses notes and drops anything malformed or oversized', () => {
    const text = ['{"e":"ready"}', 'garbage', '{"e":"exit","code":3}', '{"e":"exit","code":"3"}', '{"e":"unhandled","type":"System.X"}', `{"e":"start","pad":"${'x'.repeat(2000)}"}`, '{"e":"start"}', 'null', '[]'].join('\n');
    assert.deepEqual(parseHostNotes(text), [{ e: 'ready' }, { e: 'exit', code: 3 }, { e: 'unhandled', type: 'System.X' }, { e: 'start' }]);
  });

  it('accepts only compile responses of the right shape', () => {
    assert.equal(parseCompileResponse('not json'), null);
    assert.equal(parseCompileResponse('{"ok":"yes","diagnostics":[]}'), null);
    assert.deepEqual(parseCompileResponse('{"ok":false,"diagnostics":[],"compileMs":1}'), { ok: false, diagnostics: [], compileMs: 1 });
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
