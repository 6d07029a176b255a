// The views' pure parts: the JIT pattern a `methods` value becomes, the asm sandbox's environment, and
// how a listing is rendered in Discord.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandDefinitions } from '../../src/bot/commands.js';
import { render } from '../../src/bot/render.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRunner } from '../../src/runner/index.js';
import { asmEnv } from '../../src/runner/backends/local/index.js';
import { emptyResult, type RunResult } from '../../src/runner/types.js';
import { jitPattern, viewLanguage } from '../../src/runner/views.js';
import { commandProblems } from '../fakes/discordRules.js';
import { ScriptedBackend } from '../support/scriptedBackend.js';

describe('the methods of the asm view', () => {
  it('means every method when none are named', () => assert.equal(jitPattern(undefined), '*'));

  for (const [given, pattern] of [
    ['Fib', 'Fib'],
    ['Program:Fib', 'Program:Fib'],
    ['  Fib,  Program:Main ', 'Fib Program:Main'],
    ['My.Space.Outer+Inner:Get*', 'My.Space.Outer+Inner:Get*'],
    ['Program:<Main>$', 'Program:<Main>$'],
  ] as const) {
    it(`reads ${JSON.stringify(given)} as the JIT pattern ${JSON.stringify(pattern)}`, () =>
      assert.equal(jitPattern(given), pattern));
  }

  for (const given of [
    '',
    ' , ',
    'Fib;ls',
    'a:b:c',
    'Fib()',
    'Ünïcode',
    '$(id)',
    'x'.repeat(201),
    'a b c d e f g h i j k',
    42,
  ]) {
    it(`refuses ${JSON.stringify(given).slice(0, 40)}`, () => assert.equal(jitPattern(given), null));
  }
});

describe('the asm sandbox', () => {
  it("gets the JIT's disassembler, its listing file in /tmp, and no tiering", () => {
    assert.deepEqual(asmEnv('Fib'), {
      DOTNET_JitDisasm: 'Fib',
      DOTNET_JitStdOutFile: '/tmp/.sharpbox-jit.asm',
      DOTNET_TieredCompilation: '0',
    });
  });
});

describe('a listing in Discord', () => {
  const result = (view: RunResult['view'], stdout: string, truncated = false): RunResult => ({
    ...emptyResult('ok', 'exited with code 0'),
    exitCode: 0,
    stdout,
    truncated,
    view,
  });

  it('shows a short listing whole, highlighted for its language', () => {
    const text = '.class private auto ansi beforefieldinit Greeter\n{\n}';
    const r = render({ phase: 'done', result: result('il', text), output: text }, 'abc');
    assert.equal(r.content, `🔬 **IL**\n\`\`\`cs\n${text}\n\`\`\``);
    assert.deepEqual(r.files, []);
  });

  it('shows the head of a long listing and attaches all of it', () => {
    const text = Array.from({ length: 40 }, (_, i) => `       mov      eax, ${i}`).join('\n');
    const r = render({ phase: 'done', result: result('asm', text), output: text }, 'abc');
    const lines = r.content.split('\n');
    assert.equal(lines[0], '🔬 **JIT assembly**');
    assert.equal(lines[1], '```x86asm');
    assert.equal(lines[2], '       mov      eax, 0');
    assert.equal(lines.at(-1), '-# the whole listing in listing.asm');
    assert.deepEqual(
      r.files.map((f) => [f.name, f.data.toString()]),
      [['listing.asm', text]],
    );
  });

  it('says when the listing was cut at the output limit', () => {
    const r = render(
      {
        phase: 'done',
        result: { ...result('lowered', 'class P {}', true), status: 'output_limit' },
        output: 'class P {}',
      },
      'abc',
    );
    assert.match(
      r.content,
      /^🔬 \*\*Lowered C#\*\* · cut at the output limit\n```cs\nclass P \{\}\n```\n-# the whole listing \(as far as the output limit\) in lowered\.cs$/,
    );
  });

  it('shows a view that failed to compile as a compile error, like a run', () => {
    const r = render(
      { phase: 'done', result: { ...emptyResult('compile_error', '1 compile error'), view: 'il' }, output: '' },
      'abc',
    );
    assert.match(r.content, /^🛠️ \*\*Compile error\*\*/);
  });

  it('highlights lowered C# as C#, asm as x86 assembly, and IL with the C# highlighter', () => {
    assert.deepEqual((['lowered', 'asm', 'il'] as const).map(viewLanguage), ['cs', 'x86asm', 'cs']);
  });
});

describe('views and backends', () => {
  it('refuses a view on a backend that shows none (aci) with VIEW_UNAVAILABLE, and never starts it', async () => {
    const backend = new ScriptedBackend(1);
    const runner = await createRunner(loadConfig({}), { backend, log: createLogger('silent') });
    try {
      assert.deepEqual(runner.submit({ source: 'Console.WriteLine(1);', view: 'asm' }), {
        ok: false,
        code: 'VIEW_UNAVAILABLE',
        view: 'asm',
        backend: 'scripted',
      });
      assert.equal(backend.started.length, 0);
    } finally {
      await runner.stop(0);
    }
  });
});

describe("the app's commands", () => {
  it("fit Discord's limits, the three message commands included", () => {
    const commands = commandDefinitions(64 * 1024);
    assert.deepEqual(commandProblems(commands), []);
    assert.deepEqual(
      commands.filter((c) => c.type === 3).map((c) => c.name),
      ['Run C#', 'Show IL', 'Show asm'],
    );
  });

  it('would be refused with a sixth message command (the fake enforces the limit)', () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ name: `M${i}`, type: 3 }));
    assert.deepEqual(commandProblems(six), [
      { path: [], code: 'BASE_TYPE_MAX_LENGTH', message: 'message commands: 6 > 5' },
    ]);
  });
});
