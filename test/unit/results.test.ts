// The results both backends build the same way: compile failures, the diagnostics cap, the stats line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DIAGNOSTICS_CAP,
  capDiagnostics,
  compileErrorsResult,
  compileFailedResult,
  compileTimeoutDiagnostic,
  statsParts,
} from '../../src/runner/results.js';
import { emptyResult, type Diagnostic } from '../../src/runner/types.js';

const diag = (over: Partial<Diagnostic> = {}): Diagnostic => ({
  id: 'CS0103',
  severity: 'error',
  message: 'm',
  line: 1,
  column: 2,
  endLine: 1,
  endColumn: 3,
  ...over,
});

describe('compile failures as results', () => {
  it('says a compile that ran out of time as SB0001, with no place in the code', () => {
    assert.deepEqual(compileTimeoutDiagnostic(10_000), {
      id: 'SB0001',
      severity: 'error',
      message: 'compilation took longer than 10 s',
      line: 0,
      column: 0,
      endLine: 0,
      endColumn: 0,
    });
    const r = compileFailedResult(compileTimeoutDiagnostic(6500), 6502);
    assert.deepEqual(r, {
      ...emptyResult('compile_error', 'compilation took longer than 6.5 s'),
      diagnostics: [compileTimeoutDiagnostic(6500)],
      compileMs: 6502,
    });
  });

  it('counts the compile errors in its reason, not the warnings nor the cap note', () => {
    assert.equal(compileErrorsResult([diag()], 5).reason, '1 compile error');
    const r = compileErrorsResult([diag(), diag({ severity: 'warning' }), diag(), diag({ id: 'SB0006' })], 7);
    assert.equal(r.status, 'compile_error');
    assert.equal(r.reason, '2 compile errors');
    assert.equal(r.compileMs, 7);
    assert.equal(r.diagnostics.length, 4);
    assert.equal(compileErrorsResult([], null).reason, '0 compile errors');
  });
});

describe('the diagnostics cap', () => {
  it('keeps 100 diagnostics and says how many more there were, as an error when an error was dropped', () => {
    const many = Array.from({ length: 103 }, (_, i) =>
      diag({ message: `d${i}`, severity: i === 101 ? 'error' : 'warning' }),
    );
    const kept = capDiagnostics(many);
    assert.equal(kept.length, DIAGNOSTICS_CAP.count + 1);
    assert.deepEqual(
      kept.slice(0, 100).map((d) => d.message),
      many.slice(0, 100).map((d) => d.message),
    );
    assert.deepEqual(kept[100], {
      id: 'SB0006',
      severity: 'error',
      message: '3 more diagnostics not shown',
      line: 0,
      column: 0,
      endLine: 0,
      endColumn: 0,
    });
  });

  it('says one dropped warning in the singular, as a warning', () => {
    const kept = capDiagnostics(Array.from({ length: 101 }, () => diag({ severity: 'warning' })));
    assert.deepEqual(kept.at(-1), {
      id: 'SB0006',
      severity: 'warning',
      message: '1 more diagnostic not shown',
      line: 0,
      column: 0,
      endLine: 0,
      endColumn: 0,
    });
  });

  it('keeps exactly 100 with no note', () => {
    const kept = capDiagnostics(Array.from({ length: 100 }, () => diag()));
    assert.equal(kept.length, 100);
    assert.ok(kept.every((d) => d.id === 'CS0103'));
  });

  it('cuts a long message to 1000 characters with an ellipsis, and a long id to 32', () => {
    const exact = 'x'.repeat(1000);
    assert.equal(capDiagnostics([diag({ message: exact })])[0]?.message, exact);
    const [d] = capDiagnostics([diag({ id: 'I'.repeat(40), message: 'y'.repeat(1001) })]);
    assert.equal(d?.message, `${'y'.repeat(999)}…`);
    assert.equal(d?.id, 'I'.repeat(32));
    assert.deepEqual({ ...d, id: '', message: '' }, { ...diag(), id: '', message: '' }, 'the place is kept');
  });

  it('never cuts an emoji in half', () => {
    const [d] = capDiagnostics([diag({ message: `${'y'.repeat(998)}😀tail` })]);
    assert.equal(d?.message, `${'y'.repeat(998)}…`);
    const [e] = capDiagnostics([diag({ message: `${'y'.repeat(997)}😀tail` })]);
    assert.equal(e?.message, `${'y'.repeat(997)}😀…`);
  });

  it('stops once the messages kept reach 64,000 characters', () => {
    const big = Array.from({ length: 70 }, () => diag({ message: 'z'.repeat(1000) }));
    const kept = capDiagnostics(big);
    assert.equal(kept.length, 65);
    assert.equal(kept.at(-1)?.message, '6 more diagnostics not shown');
    // At the total exactly, the next is dropped; one character under it, the next still fits.
    const atTotal = capDiagnostics(big.slice(0, 65));
    assert.deepEqual([atTotal.length, atTotal.at(-1)?.message], [65, '1 more diagnostic not shown']);
    const justUnder = capDiagnostics([diag({ message: 'z'.repeat(999) }), ...big.slice(0, 64)]);
    assert.deepEqual([justUnder.length, justUnder.at(-1)?.id], [65, 'CS0103']);
  });
});

describe('the stats line', () => {
  it('names each figure the result has, in order', () => {
    const r = { ...emptyResult('ok', null), compileMs: 6, runMs: 7, peakMemoryBytes: 5.2 * 1024 * 1024 };
    assert.deepEqual(statsParts(r), ['compile 6 ms', 'run 7 ms', 'peak memory 5.2 MiB']);
    assert.deepEqual(statsParts({ ...r, compileMs: null }), ['run 7 ms', 'peak memory 5.2 MiB']);
    assert.deepEqual(statsParts({ ...r, runMs: null }), ['compile 6 ms', 'peak memory 5.2 MiB']);
    assert.deepEqual(statsParts({ ...r, peakMemoryBytes: null }), ['compile 6 ms', 'run 7 ms']);
    assert.deepEqual(statsParts({ ...r, compileMs: 0, runMs: 0, peakMemoryBytes: 0 }), [
      'compile 0 ms',
      'run 0 ms',
      'peak memory 0 bytes',
    ]);
  });
});
