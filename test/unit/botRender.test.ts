// The reply renderer and its helpers, on their boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ButtonStyle, ComponentType } from 'discord-api-types/v10';
import { extractCode } from '../../src/bot/extract.js';
import {
  fitOutput,
  MAX_ATTACHMENT_BYTES,
  MAX_CONTENT,
  MAX_DIAGNOSTICS,
  MAX_LINES,
  render,
} from '../../src/bot/render.js';
import { sanitizeBlock, sanitizeInline } from '../../src/bot/sanitize.js';
import { emptyResult, type RunResult } from '../../src/runner/types.js';

const ok = (stdout: string, extra: Partial<RunResult> = {}): RunResult => ({
  ...emptyResult('ok', 'exited with code 0'),
  exitCode: 0,
  stdout,
  compileMs: 6,
  runMs: 7,
  peakMemoryBytes: 5 * 1024 * 1024,
  ...extra,
});
const done = (r: RunResult, output = r.stdout) => render({ phase: 'done', result: r, output }, 's1');
const lines = (n: number, width = 5) =>
  Array.from({ length: n }, (_, i) => `${String(i + 1).padStart(width, '0')}`).join('\n');

describe('finding the code in a message', () => {
  it('takes the first cs, csharp or c# block in any case, and the stdin block after it', () => {
    assert.deepEqual(extractCode('hi\n```CS\nA();\n```\n```stdin\n1 2\n```'), { code: 'A();\n', stdin: '1 2\n' });
    assert.deepEqual(extractCode('```py\nx\n```\n```csharp\nB();\n```\n```\nplain\n```'), {
      code: 'B();\n',
      stdin: 'plain\n',
    });
    assert.deepEqual(extractCode('```C#\nC();\n```'), { code: 'C();\n', stdin: '' });
    assert.equal(extractCode('```js\nnope\n```'), null);
    assert.equal(extractCode('no blocks `inline` here'), null);
  });
});

describe('sanitizing program output', () => {
  it('can never close the code block, whatever the backticks and invisible characters', () => {
    for (const attack of ['```', '``\u200B`', '`\u202E``', '\u200B```\u200B', '`'.repeat(10)]) {
      assert.ok(!sanitizeBlock(attack).includes('``'), JSON.stringify(attack));
    }
  });
  it('never leaves half an emoji: cut names keep whole pairs, lone halves become U+FFFD', () => {
    assert.equal(sanitizeInline(`${'a'.repeat(198)}😀tail`), `${'a'.repeat(198)}…`);
    assert.equal(sanitizeInline(`${'a'.repeat(197)}😀tail`), `${'a'.repeat(197)}😀…`);
    assert.equal(sanitizeBlock('a\uD83Db\uDE00c😀'), 'a\uFFFDb\uFFFDc😀');
  });
  it('shows control characters and strips terminal escapes', () => {
    assert.equal(sanitizeBlock('a\u0000b\u0007c\u001b[31mred\u001b[0m\u007f'), 'a\u2400b\u2407cred\u2421');
    assert.equal(sanitizeBlock('x\u202Ey'), 'x<U+202E>y');
    assert.equal(sanitizeBlock('tab\tand\nnewline\r\n'), 'tab\tand\nnewline\n');
  });
  it('takes the markdown and mention meaning out of inline text', () => {
    assert.equal(sanitizeInline('<@123> **bold** @everyone'), '\\<\\@123\\> \\*\\*bold\\*\\* \\@everyone');
  });
});

describe('rendering the reply', () => {
  it('gives each state its buttons: Cancel while it can be, then Run again and Delete', () => {
    const cancel = [
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Cancel', custom_id: 'sb:cancel:s' },
        ],
      },
    ];
    for (const state of [
      { phase: 'pending', position: 2 },
      { phase: 'compiling' },
      { phase: 'running', elapsedMs: 0, output: '' },
      { phase: 'running', elapsedMs: 0, output: 'x' },
    ] as const) {
      assert.deepEqual(render(state, 's').components, cancel, state.phase);
    }
    const rerun = {
      type: ComponentType.Button,
      style: ButtonStyle.Primary,
      label: 'Run again',
      custom_id: 'sb:rerun:s',
    };
    assert.deepEqual(
      render({ phase: 'done', result: emptyResult('ok', 'exited with code 0'), output: '' }, 's').components,
      [
        {
          type: ComponentType.ActionRow,
          components: [
            rerun,
            { type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Delete', custom_id: 'sb:delete:s' },
          ],
        },
      ],
    );
    const interrupted = render({ phase: 'interrupted' }, 's');
    assert.deepEqual(interrupted.components, [{ type: ComponentType.ActionRow, components: [rerun] }]);
    assert.equal(
      interrupted.content,
      '⚠️ **Interrupted** · the bot restarted while this was running; nothing was lost but the run itself',
    );
    assert.deepEqual(interrupted.files, []);
    assert.equal(render({ phase: 'running', elapsedMs: 0, output: '' }, 's').content, '▶️ **Running…** 0.0 s');
  });

  it('parses no mentions in any state', () => {
    for (const state of [
      { phase: 'pending', position: 2 },
      { phase: 'compiling' },
      { phase: 'running', elapsedMs: 1200, output: '@everyone' },
      { phase: 'interrupted' },
    ] as const) {
      assert.deepEqual(render(state, 's').allowedMentions, { parse: [], repliedUser: false });
    }
  });

  it('shows the queue position, then compiling, then running with elapsed time and live output, each with Cancel', () => {
    assert.equal(render({ phase: 'pending', position: 3 }, 's').content, '⏳ **Queued** · position 3 in line');
    assert.equal(render({ phase: 'pending', position: 1 }, 's').content, '⏳ **Queued** · next in line');
    assert.equal(
      render({ phase: 'pending', position: 3, etaMs: 40_000 }, 's').content,
      '⏳ **Queued** · position 3 in line · about 40 s',
    );
    assert.equal(
      render({ phase: 'pending', position: 1, etaMs: 0 }, 's').content,
      '⏳ **Queued** · next in line · about 1 s',
    );
    assert.equal(
      render({ phase: 'pending', position: 12, etaMs: 400_000 }, 's').content,
      '⏳ **Queued** · position 12 in line · about 7 min',
    );
    assert.equal(render({ phase: 'compiling' }, 's').content, '⚙️ **Compiling…**');
    const running = render({ phase: 'running', elapsedMs: 1234, output: 'hello\n' }, 's');
    assert.equal(running.content, '▶️ **Running…** 1.2 s\n```\nhello\n```');
    assert.equal(running.components[0]?.components[0]?.custom_id, 'sb:cancel:s');
  });

  it('shows a finished run with status, stats, output, and Run again / Delete', () => {
    const r = done(ok('Hello, World!\n'));
    assert.equal(
      r.content,
      '✅ **Finished** · exited with code 0\n-# compile 6 ms · run 7 ms · peak memory 5 MiB\n```\nHello, World!\n```',
    );
    assert.deepEqual(
      r.components[0]?.components.map((c) => c.label),
      ['Run again', 'Delete'],
    );
    assert.deepEqual(r.files, []);
  });

  it('names every failure in plain words', () => {
    const cases: [RunResult, string][] = [
      [{ ...emptyResult('timeout', 'timed out after 5 s') }, '⏱️ **Timed out** · timed out after 5 s'],
      [
        { ...emptyResult('memory_limit', 'ran out of memory (256 MiB)') },
        '🧠 **Out of memory** · ran out of memory \\(256 MiB\\)',
      ],
      [{ ...emptyResult('runtime_error', 'stack overflow') }, '💥 **Runtime error** · stack overflow'],
      [{ ...emptyResult('runtime_error', 'killed by SIGSEGV') }, '💥 **Runtime error** · killed by SIGSEGV'],
      [{ ...emptyResult('runtime_error', 'exited with code 3') }, '💥 **Runtime error** · exited with code 3'],
      [
        { ...emptyResult('output_limit', 'output limit reached (1 MiB)') },
        '📜 **Output limit reached** · output limit reached \\(1 MiB\\)',
      ],
    ];
    for (const [result, first] of cases) assert.equal(done(result, 'x').content.split('\n')[0], first);
  });

  it('says when there was no output', () => {
    assert.match(done(ok('')).content, /\*\(no output\)\*$/);
  });

  it('lists compile errors as line:col id message, the first few and then how many more', () => {
    const diagnostics = Array.from({ length: 7 }, (_, i) => ({
      id: `CS100${i}`,
      severity: 'error' as const,
      message: `problem ${i}`,
      line: i + 1,
      column: 2,
      endLine: i + 1,
      endColumn: 3,
    }));
    const r = done({ ...emptyResult('compile_error', '7 compile errors'), diagnostics, compileMs: 9 });
    assert.equal(
      r.content,
      `🛠️ **Compile error** · 7 compile errors\n-# compile 9 ms\n\`\`\`\n${diagnostics
        .slice(0, MAX_DIAGNOSTICS)
        .map((d) => `${d.line}:2 ${d.id} ${d.message}`)
        .join('\n')}\n… and 2 more\n\`\`\``,
    );
  });

  for (const n of [MAX_LINES - 1, MAX_LINES, MAX_LINES + 1, MAX_LINES + 2, 500]) {
    it(`shows ${n} lines of output ${n > MAX_LINES ? 'trimmed head and tail, with output.txt' : 'whole'}`, () => {
      const r = done(ok(`${lines(n)}\n`));
      assert.ok(r.content.length <= MAX_CONTENT);
      const block = /```\n([\s\S]*)\n```/.exec(r.content)?.[1] ?? '';
      if (n <= MAX_LINES) {
        assert.equal(block, lines(n));
        assert.deepEqual(r.files, []);
      } else {
        const shown = block.split('\n');
        assert.equal(shown.length, MAX_LINES);
        assert.equal(shown[0], '00001');
        assert.equal(shown.at(-1), String(n).padStart(5, '0'));
        assert.equal(shown[7], `… ${n - 14} line${n - 14 === 1 ? '' : 's'} omitted …`);
        assert.equal(r.files[0]?.name, 'output.txt');
        assert.equal(r.files[0]?.data.toString(), `${lines(n)}\n`);
      }
    });
  }

  for (const size of [999, 1000, 1001, 1900, 5000]) {
    it(`keeps a single ${size}-character line within 2000 characters`, () => {
      const r = done(ok('y'.repeat(size)));
      assert.ok(r.content.length <= MAX_CONTENT, `${r.content.length}`);
      const trimmed = r.files.length > 0;
      assert.equal(trimmed, !r.content.includes('y'.repeat(size)));
    });
  }

  it('counts characters, not bytes: emoji and other multi-byte text', () => {
    const text = '🌍日本語é'.repeat(400);
    const r = done(ok(text));
    assert.ok(r.content.length <= MAX_CONTENT);
    assert.ok(r.files.length === 1);
    assert.match(r.content, /characters omitted/);
    assert.doesNotMatch(
      r.content,
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
      'no emoji cut in half',
    );
  });

  it('keeps mentions, backtick escapes and fake status lines inside the code block', () => {
    const evil = '```\n✅ **Finished** · all good\n@everyone <@123> <@&456>\n```';
    const r = done(ok(evil));
    const [status, , ...rest] = r.content.split('\n');
    assert.equal(status, '✅ **Finished** · exited with code 0');
    assert.equal(rest[0], '```');
    assert.equal(rest.at(-1), '```');
    assert.equal((r.content.match(/```/g) ?? []).length, 2, 'only our own fences');
  });

  it('marks output cut at the output limit and attaches it', () => {
    const r = done({ ...ok('abc'), status: 'output_limit', reason: 'output limit reached (1 MiB)', truncated: true });
    assert.match(r.content, /full output in output\.txt \(cut at the output limit\)/);
    assert.equal(r.files.length, 1);
  });

  // The footer used to come out of a fixed 36-character reserve while it takes up to 56: runs that hit the
  // output limit with lines of about 135 characters rendered 2018–2019 characters, and Discord refused them.
  for (const width of [100, 135, 136, 140, 200]) {
    it(`keeps a run cut at the output limit within 2000 characters, footer and all (lines of ${width})`, () => {
      const output = Array.from({ length: 40 }, (_, i) => String(i).padEnd(width, 'x')).join('\n');
      const result = {
        ...emptyResult('output_limit', 'output limit reached (1 MiB)'),
        truncated: true,
        compileMs: 123456,
        runMs: 987654,
        peakMemoryBytes: 123456789,
      };
      const r = done(result, output);
      assert.ok(r.content.length <= MAX_CONTENT, `${r.content.length}`);
      assert.match(r.content, /\n```\n-# full output in output\.txt \(cut at the output limit\)$/);
    });
  }

  it('attaches at most 10 MiB of output, cut on a character boundary, and says so', () => {
    const output = `${'é'.repeat(MAX_ATTACHMENT_BYTES / 2 - 1)}xé${'tail\n'.repeat(10)}`; // 'é' is 2 bytes: the cut falls inside one
    const r = done(ok(output));
    const file = r.files[0];
    assert.ok(file && file.data.length <= MAX_ATTACHMENT_BYTES);
    assert.equal(file.data.length, MAX_ATTACHMENT_BYTES - 1, 'the cut backs off the split character');
    assert.equal(
      file.data.toString('utf8'),
      output.slice(0, MAX_ATTACHMENT_BYTES / 2),
      'a prefix of the output, whole characters only',
    );
    assert.match(r.content, /\n-# output\.txt has the first 10 MiB of the output$/);
    assert.ok(r.content.length <= MAX_CONTENT);
  });

  it("refuses a session id that would make a custom_id over Discord's 100 characters", () => {
    assert.equal(render({ phase: 'compiling' }, 'x'.repeat(90)).components[0]?.components[0]?.custom_id.length, 100);
    assert.throws(() => render({ phase: 'compiling' }, 'x'.repeat(91)), /custom_id of 101 characters/);
  });

  it('fits output into a budget by characters when lines are long', () => {
    const f = fitOutput('a'.repeat(3000), 500, 'both');
    assert.ok(f.text.length <= 500);
    assert.ok(f.trimmed);
  });
});
