// The reply renderer against generated runs: whatever a program prints and whatever the runner reports,
// every state renders to a message Discord accepts (≤ 2000 characters, buttons within the component
// limits), whose code block the output cannot close, that pings nobody, and that attaches output.txt
// (≤ 10 MiB) whenever it does not show the whole output.
//
// Discord counts content in code points (its API is Python 3: discord/discord-api-docs#1315); these
// properties count UTF-16 code units, which is never fewer, so they hold for Discord's count too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  fitOutput,
  MAX_ATTACHMENT_BYTES,
  MAX_CONTENT,
  MAX_CUSTOM_ID,
  render,
  type RenderedReply,
  type ReplyState,
} from '../../src/bot/render.js';
import { sanitizeBlock } from '../../src/bot/sanitize.js';
import { emptyResult, type Diagnostic, type RunResult, type RunStatus } from '../../src/runner/types.js';

// Mutation testing (scripts/mutate-tests.sh) asks for fewer cases: it runs this file once per mutant, and a
// mutant that breaks a limit breaks it on most inputs.
const RUNS = Number(process.env.SHARPBOX_PROPERTY_RUNS) || 10_000;
const FIT_RUNS = Math.min(RUNS, 2_000);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const STATUSES: RunStatus[] = [
  'ok',
  'compile_error',
  'runtime_error',
  'timeout',
  'memory_limit',
  'output_limit',
  'cancelled',
  'internal_error',
];

/** Pieces of hostile or awkward text; outputs are runs of them. */
const ATOMS = [
  'x',
  'hello world',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\r',
  '\n\n\n',
  '`',
  '``',
  '```',
  '```cs',
  '\\`',
  '`\u200B``',
  '````````',
  'e\u0301',
  'a\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308',
  '\u0338',
  '😀',
  '🌍',
  '👨‍👩‍👧‍👦',
  '🇺🇸',
  '👍🏽',
  '🏳️‍🌈',
  '\uD83D',
  '\uDE00',
  '\uDE00\uD83D',
  '\u202E',
  '\u202D',
  '\u2066',
  '\u2069',
  '\u200F',
  '\u061C',
  'שלום',
  'مرحبا',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u2060',
  '\uFEFF',
  '\u001B[31m',
  '\u001B[0m',
  '\u001B]0;title\u0007',
  '\u001B',
  '\u0000',
  '\u0007',
  '\u007F',
  '@everyone',
  '@here',
  '<@123456789012345678>',
  '<@&123456789012345678>',
  '<#123456789012345678>',
  '✅ **Finished** · all good',
  '-# fake footer',
  '**bold** _it_ ~~s~~ ||spoiler||',
  '> quote',
  '# title',
  '日本語',
  'é',
  '\u{10FFFF}',
  '\uFFFD',
] as const;

const atom = fc.oneof(
  { arbitrary: fc.constantFrom(...ATOMS), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }), weight: 1 },
);

/** A run of atoms, each repeated: cheap to build even when long. */
const text = (maxRepeat: number, maxAtoms = 8) =>
  fc
    .array(fc.tuple(atom, fc.nat(maxRepeat)), { maxLength: maxAtoms })
    .map((parts) => parts.map(([a, n]) => a.repeat(n)).join(''));

/** One line of `width` characters, `count` times: long lines at every width around the limits. */
const lines = fc
  .tuple(
    fc.integer({ min: 0, max: 3000 }),
    fc.integer({ min: 1, max: 40 }),
    fc.constantFrom('x', '`', '😀', '\u200B', 'é', '\u001B[1m'),
  )
  .map(([width, count, unit]) => `${unit.repeat(width)}\n`.repeat(count));

/** Up to 1 MiB of one atom: the output limit's worth of backticks, zero-width spaces, emoji, newlines. */
const huge = fc
  .tuple(fc.constantFrom(...ATOMS), fc.integer({ min: 1, max: 1 << 20 }))
  .map(([a, size]) => a.repeat(Math.max(1, Math.floor(size / a.length))));

/** Many short lines: the head-and-tail line trimming, and its boundaries around MAX_LINES. */
const manyLines = fc
  .tuple(
    fc.array(text(2, 3), { minLength: 1, maxLength: 8 }),
    fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 300 })),
  )
  .map(([some, n]) => Array.from({ length: n }, (_, i) => some[i % some.length]).join('\n'));

const output = fc.oneof(
  { arbitrary: fc.constant(''), weight: 1 },
  { arbitrary: manyLines, weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => '`'.repeat(n)), weight: 1 },
  { arbitrary: text(3), weight: 6 },
  { arbitrary: text(400), weight: 4 },
  { arbitrary: lines, weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 2 },
  { arbitrary: huge, weight: 1 },
);

const longText = fc.oneof(text(2, 4), text(300, 4), fc.string({ unit: 'binary', maxLength: 50 }));

const diagnostic: fc.Arbitrary<Diagnostic> = fc.record({
  id: fc.oneof(fc.constant('CS1002'), fc.string({ maxLength: 40 })),
  severity: fc.constantFrom('error' as const, 'warning' as const),
  message: longText,
  line: fc.integer({ min: 0, max: 1_000_000 }),
  column: fc.integer({ min: 0, max: 1_000_000 }),
  endLine: fc.nat(),
  endColumn: fc.nat(),
});

/** 0–500 diagnostics, built from a few generated ones so that 500 long messages stay cheap. */
const diagnostics = fc
  .tuple(
    fc.array(diagnostic, { minLength: 1, maxLength: 6 }),
    fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 500 })),
  )
  .map(([some, n]) => Array.from({ length: n }, (_, i) => some[i % some.length] as Diagnostic));

const ms = fc.option(fc.oneof(fc.nat(10_000), fc.nat()), { nil: null });

const result: fc.Arbitrary<RunResult> = fc
  .record({
    status: fc.constantFrom(...STATUSES),
    reason: fc.option(longText, { nil: null }),
    stdout: text(50),
    stderr: fc.oneof(text(3), text(400)),
    truncated: fc.boolean(),
    diagnostics,
    compileMs: ms,
    runMs: ms,
    peakMemoryBytes: fc.option(fc.oneof(fc.nat(1 << 30), fc.maxSafeNat()), { nil: null }),
    cpuMs: ms,
    exitCode: fc.option(fc.integer({ min: -255, max: 255 }), { nil: null }),
    signal: fc.option(fc.constantFrom('SIGKILL', 'SIGSEGV', 'SIGABRT'), { nil: null }),
  })
  .map((r) => ({ ...emptyResult(r.status, r.reason), ...r }));

// Weighted towards finished runs, which carry the most pieces.
const state: fc.Arbitrary<ReplyState> = fc.oneof(
  { arbitrary: fc.record({ phase: fc.constant('pending' as const), position: fc.integer() }), weight: 1 },
  { arbitrary: fc.constant({ phase: 'compiling' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      phase: fc.constant('running' as const),
      elapsedMs: fc.oneof(fc.nat(600_000), fc.maxSafeNat()),
      output,
    }),
    weight: 3,
  },
  { arbitrary: fc.constant({ phase: 'interrupted' as const }), weight: 1 },
  // The session shows its transcript, or stdout + stderr when nothing streamed.
  {
    arbitrary: fc
      .tuple(result, fc.option(output, { nil: null }))
      .map(([r, o]) => ({ phase: 'done' as const, result: r, output: o ?? r.stdout + r.stderr })),
    weight: 3,
  },
  {
    arbitrary: fc.tuple(result, output).map(([r, o]) => ({ phase: 'done' as const, result: r, output: o })),
    weight: 3,
  },
);

/** Session ids as the bot makes them (12 hex digits), and any other that leaves room in a custom_id. */
const session = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{12}$/),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: MAX_CUSTOM_ID - 'sb:cancel:'.length }),
);

/** The text of the one code block, asserting the fences on the way: our two, on lines of their own. */
function checkFences(content: string): string | null {
  const runs = [...content.matchAll(/`{2,}/g)];
  if (runs.length === 0) return null;
  assert.equal(
    runs.length,
    2,
    `exactly two runs of backticks (the fences): ${runs.map((r) => r[0].length).join(', ')}`,
  );
  const [open, close] = runs as [RegExpExecArray, RegExpExecArray];
  assert.equal(open[0], '```');
  assert.equal(close[0], '```');
  assert.ok(open.index === 0 || content[open.index - 1] === '\n', 'the opening fence starts a line');
  assert.equal(content[open.index + 3], '\n', 'nothing follows the opening fence on its line (no language to hijack)');
  assert.equal(content[close.index - 1], '\n', 'the closing fence starts a line');
  assert.ok(close.index + 3 === content.length || content[close.index + 3] === '\n', 'the closing fence ends its line');
  return content.slice(open.index + 4, close.index - 1);
}

function checkComponents(reply: RenderedReply): void {
  // components/reference.mdx: legacy messages take ≤ 5 action rows of ≤ 5 buttons; custom_id 1–100 characters, label ≤ 80.
  assert.ok(reply.components.length <= 5);
  for (const row of reply.components) {
    assert.ok(row.components.length >= 1 && row.components.length <= 5);
    for (const button of row.components) {
      assert.ok(button.custom_id.length >= 1 && button.custom_id.length <= MAX_CUSTOM_ID, button.custom_id);
      assert.ok(button.label.length <= 80);
    }
  }
}

function checkOutputFile(reply: RenderedReply, s: Extract<ReplyState, { phase: 'done' }>, block: string | null): void {
  if (s.result.status === 'compile_error' || s.output.length === 0) {
    assert.deepEqual(reply.files, [], 'nothing to attach');
    return;
  }
  const normal = s.output.replace(/\r\n?/g, '\n').replace(/\n$/, '');
  // Shown whole: the block is exactly the sanitized output. Sanitizing a megabyte is slow, and an output
  // over 16,000 characters cannot sanitize down to a 2000-character block unless it is nearly all
  // terminal escapes, so those count as cut (which asks more of the renderer, never less).
  const whole = block !== null && normal.length <= 16_000 && block === sanitizeBlock(normal);
  if (whole && !s.result.truncated) {
    assert.deepEqual(reply.files, [], 'no attachment for output shown whole');
    return;
  }
  assert.equal(reply.files.length, 1, 'output.txt is attached when the output is not all shown');
  const file = reply.files[0] as RenderedReply['files'][number];
  assert.equal(file.name, 'output.txt');
  assert.ok(file.data.length <= MAX_ATTACHMENT_BYTES, `${file.data.length} bytes`);
  const bytes = Buffer.byteLength(s.output, 'utf8');
  if (bytes <= MAX_ATTACHMENT_BYTES)
    assert.ok(file.data.equals(Buffer.from(s.output, 'utf8')), 'the whole output, byte for byte');
  else assert.match(reply.content, /first 10 MiB/);
  if (s.result.truncated) assert.match(reply.content, /output limit/);
}

function checkReply(s: ReplyState, id: string): void {
  const reply = render(s, id);
  assert.ok(reply.content.length <= MAX_CONTENT, `${reply.content.length} characters`);
  assert.ok(reply.content.length > 0, 'Discord refuses an empty message (50006)');
  assert.ok(!LONE_SURROGATE.test(reply.content), 'no half of a surrogate pair');
  const block = checkFences(reply.content);
  if (block !== null) assert.ok(!block.includes('``'), 'no two backticks in a row inside the block');
  // (reply.ts turns this into allowed_mentions {parse: [], replied_user: false}; the bot's integration test checks the wire.)
  assert.deepEqual(reply.allowedMentions, { parse: [], repliedUser: false });
  checkComponents(reply);
  assert.ok(reply.files.length <= 10);
  if (s.phase === 'done') checkOutputFile(reply, s, block);
  else assert.deepEqual(reply.files, []);
}

describe('the reply renderer, on generated runs', () => {
  it(`keeps every state within Discord's limits, its code block closed and nobody pinged (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(state, session, (s, id) => checkReply(s, id)),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });

  it(`fits any output into any budget, never over it and never with two backticks in a row (${FIT_RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        output,
        fc.integer({ min: 0, max: 3000 }),
        fc.constantFrom('both' as const, 'tail' as const, 'head' as const),
        (raw, budget, keep) => {
          const { text } = fitOutput(raw, budget, keep);
          assert.ok(text.length <= budget, `${text.length} > ${budget}`);
          assert.ok(!text.includes('``'));
          assert.ok(!LONE_SURROGATE.test(text));
        },
      ),
      { numRuns: FIT_RUNS, includeErrorInReport: true },
    );
  });
});
