// The reply renderer's trimming and wording, exactly: each mode of fitOutput, cutting by characters at
// both ends, the pieces of a finished reply that only some runs have (stats, reason, footer variants),
// and the running state's tail. Written against the mutants `npm run mutate` found nothing to stop.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnosticLine, fitOutput, MAX_ATTACHMENT_BYTES, MAX_CONTENT, render } from '../../src/bot/render.js';
import { emptyResult, type Diagnostic, type RunResult } from '../../src/runner/types.js';

const numbered = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1).padStart(2, '0'));
const done = (r: RunResult, output = r.stdout) => render({ phase: 'done', result: r, output }, 's');
const diagnostic = (severity: Diagnostic['severity'], id: string, line = 1): Diagnostic => ({
  id,
  severity,
  message: `${id} message`,
  line,
  column: 5,
  endLine: line,
  endColumn: 6,
});

describe('fitting output into a message, exactly', () => {
  it('keeps the newest lines for a running program, the first for compile errors, both ends when done', () => {
    const twenty = numbered(20).join('\n');
    assert.deepEqual(fitOutput(twenty, 2000, 'tail'), {
      text: ['… 6 lines omitted …', ...numbered(20).slice(6)].join('\n'),
      trimmed: true,
    });
    assert.deepEqual(fitOutput(twenty, 2000, 'head'), {
      text: [...numbered(14), '… 6 lines omitted …'].join('\n'),
      trimmed: true,
    });
    assert.deepEqual(fitOutput(twenty, 2000, 'both'), {
      text: [...numbered(7), '… 6 lines omitted …', ...numbered(20).slice(13)].join('\n'),
      trimmed: true,
    });
    assert.deepEqual(fitOutput(numbered(15).join('\n'), 2000, 'tail'), {
      text: numbered(15).join('\n'),
      trimmed: false,
    });
  });

  it('reads \\r\\n and lone \\r as line ends, and drops one final newline', () => {
    assert.deepEqual(fitOutput('a\r\nb\rc\n', 2000, 'both'), { text: 'a\nb\nc', trimmed: false });
    assert.deepEqual(fitOutput('a\n\n', 2000, 'both'), { text: 'a\n', trimmed: false });
  });

  it('cuts a long line by characters around a marker that counts what it left out', () => {
    const a = (n: number) => 'a'.repeat(n);
    // 15 + 1 + 27 + 1 + 16 = 60: the budget exactly.
    assert.deepEqual(fitOutput(a(3000), 60, 'both'), {
      text: `${a(15)}\n… 2969 characters omitted …\n${a(16)}`,
      trimmed: true,
    });
    assert.deepEqual(fitOutput(a(3000), 60, 'head'), { text: `${a(32)}\n… 2968 characters omitted …`, trimmed: true });
    assert.deepEqual(fitOutput(a(3000), 60, 'tail'), { text: `… 2968 characters omitted …\n${a(32)}`, trimmed: true });
  });

  it('gives an ellipsis alone when even the marker does not fit, and nothing in no room at all', () => {
    assert.deepEqual(fitOutput('a'.repeat(3000), 5, 'both'), { text: '…', trimmed: true });
    assert.deepEqual(fitOutput('a'.repeat(3000), 0, 'both'), { text: '', trimmed: true });
  });

  it('counts omitted characters as Discord does (an emoji is one) and never splits one', () => {
    assert.deepEqual(fitOutput('🌍'.repeat(3000), 60, 'head'), {
      text: `${'🌍'.repeat(16)}\n… 2984 characters omitted …`,
      trimmed: true,
    });
    assert.deepEqual(fitOutput('🌍'.repeat(3000), 60, 'tail'), {
      text: `… 2984 characters omitted …\n${'🌍'.repeat(16)}`,
      trimmed: true,
    });
  });

  it('shows text whole when sanitizing shrinks it into the room (terminal escapes vanish)', () => {
    // 1,300 raw characters, three times the room: too long for the room raw, 'hi' once sanitized.
    const escapes = '\x1b[31m'.repeat(260);
    assert.deepEqual(fitOutput(`${escapes}hi`, 400, 'both'), { text: 'hi', trimmed: false });
    assert.deepEqual(fitOutput(`${escapes}hi`, 400, 'tail'), { text: 'hi', trimmed: false });
  });
});

describe('the pieces of a finished reply', () => {
  it('has no stats line when nothing was measured, and names the status when there is no reason', () => {
    assert.equal(done(emptyResult('ok', null)).content, '✅ **Finished** · ok\n*(no output)*');
    assert.equal(
      done(emptyResult('internal_error', null)).content,
      '⚠️ **Sandbox error** · internal\\_error\n*(no output)*',
    );
  });

  it('says nothing of output for a cancelled run that printed none', () => {
    assert.equal(done(emptyResult('cancelled', 'cancelled')).content, '🛑 **Cancelled** · cancelled');
  });

  it('lists errors only, and warnings never, under a compile error; positionless diagnostics have no line:col', () => {
    const r = done({
      ...emptyResult('compile_error', '2 compile errors'),
      diagnostics: [
        diagnostic('warning', 'CS0168'),
        diagnostic('error', 'CS0103', 3),
        diagnostic('error', 'CS5001', 0),
      ],
    });
    assert.equal(
      r.content,
      '🛠️ **Compile error** · 2 compile errors\n```\n3:5 CS0103 CS0103 message\nCS5001 CS5001 message\n```',
    );
    const warningsOnly = done({ ...emptyResult('compile_error', 'x'), diagnostics: [diagnostic('warning', 'CS0168')] });
    assert.equal(warningsOnly.content, '🛠️ **Compile error** · x');
    assert.equal(diagnosticLine(diagnostic('error', 'CS1002', 0)), 'CS1002 CS1002 message');
  });

  it('shows a short run cut at the output limit whole, with the footer and the file', () => {
    const r = done({ ...emptyResult('output_limit', 'limit'), stdout: 'abc', truncated: true });
    assert.equal(
      r.content,
      '📜 **Output limit reached** · limit\n```\nabc\n```\n-# full output in output.txt (cut at the output limit)',
    );
    assert.equal(r.files[0]?.data.toString(), 'abc');
  });

  it('says both when the file is cut at 10 MiB and the run at the output limit', () => {
    const output = 'x'.repeat(MAX_ATTACHMENT_BYTES + 10);
    const r = done({ ...emptyResult('output_limit', 'limit'), truncated: true }, output);
    assert.match(
      r.content,
      /\n-# output\.txt has the first 10 MiB of the output; the run was cut at the output limit$/,
    );
    assert.equal(r.files[0]?.data.length, MAX_ATTACHMENT_BYTES);
    assert.ok(r.content.length <= MAX_CONTENT);
  });

  it('shows the newest lines of a running program under its elapsed time', () => {
    const r = render({ phase: 'running', elapsedMs: 2500, output: `${numbered(30).join('\n')}\n` }, 's');
    assert.equal(
      r.content,
      ['▶️ **Running…** 2.5 s', '```', '… 16 lines omitted …', ...numbered(30).slice(16), '```'].join('\n'),
    );
  });
});
