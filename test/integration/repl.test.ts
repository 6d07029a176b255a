// Expression values, Dump() and the compile settings (#14), through the real host: real Roslyn in the
// warm compile server, real execution in the bubblewrap sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic, RunResult } from '../../src/runner/index.js';
import { show, startTestRunner, type TestRunner } from '../support/runner.js';

let t: TestRunner;
before(async () => {
  t = await startTestRunner({ RUN_TIMEOUT_MS: '5000' });
});
after(async () => {
  await t.stop();
});

async function ok(source: string, request: Parameters<TestRunner['run']>[1] = {}): Promise<RunResult> {
  const r = await t.run(source, request);
  assert.equal(r.status, 'ok', show(r));
  return r;
}

const at = (d: Diagnostic): string => `${d.id}@${d.line}:${d.column}-${d.endLine}:${d.endColumn}`;

describe('a snippet that ends with an expression shows its value', () => {
  for (const [what, source, shown] of [
    ['a sum', '1 + 1', '2\n'],
    ['a string length alone', '"abc".Length', '3\n'],
    ['a string, quoted as C# writes it', '"a\\"b\\n"', '"a\\"b\\n"\n'],
    ['a lazy LINQ query', 'new[] { 1, 2, 3 }.Select(x => x * 2)', '[2, 4, 6]\n'],
    ['a tuple', '(1, "a", 2.5)', '(1, "a", 2.5)\n'],
    ['a dictionary', 'new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 }', '{ ["a"] = 1, ["b"] = 2 }\n'],
    ['an anonymous object', 'new { A = 1, B = "x", C = new[] { 1 } }', '{ A = 1, B = "x", C = [1] }\n'],
    ['a record', 'new P("Ann", 3)\nrecord P(string Name, int Age);', 'P { Name = "Ann", Age = 3 }\n'],
    ['null', 'null', 'null\n'],
    ['a char and a bool', "('x', true)", "('x', true)\n"],
    ['an expression that is not a statement, with its semicolon', 'var x = 5;\nx * 2;', '10\n'],
    ['a value after the awaits of the program', 'await Task.Delay(1);\nawait Task.FromResult(7)', '7\n'],
    ['a variable alone', 'var p = (X: 1, Y: 2);\np', '(1, 2)\n'],
    ['a property of a variable alone', 'var p = new { Name = "Ann" };\np.Name', '"Ann"\n'],
    ['a value followed by local functions', 'Twice(21)\nstatic int Twice(int x) => x * 2;', '42\n'],
  ] as const) {
    it(`shows ${what}`, async () => {
      const r = await ok(source);
      assert.equal(r.stdout, shown, show(r));
      assert.deepEqual(r.diagnostics, []);
    });
  }

  it("shows the value after the program's own output", async () => {
    const r = await ok('Console.WriteLine("first");\nvar xs = new List<int> { 3, 4 };\nxs.Count + 40');
    assert.equal(r.stdout, 'first\n42\n');
  });

  it('shows DateTime.Now as a date and a time', async () => {
    const r = await ok('DateTime.Now');
    assert.match(r.stdout, /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\n$/, show(r));
  });

  it('gives a void call without its semicolon only the semicolon', async () => {
    const r = await ok('Console.WriteLine("x")');
    assert.equal(r.stdout, 'x\n');
  });

  it('shows a trailing Dump() once, not twice', async () => {
    const r = await ok('new[] { 1 }.Dump()');
    assert.equal(r.stdout, '[1]\n');
  });

  it("shows the value of a program with a class named Sharpbox (the runtime's names cannot collide)", async () => {
    const r = await ok('new Sharpbox().Dump();\nnew Sharpbox.Runtime()\nclass Sharpbox { public class Runtime { } }');
    assert.equal(r.stdout, 'Sharpbox { }\nRuntime { }\n');
  });

  it('compiles a program that compiles today exactly as today (byte for byte)', async () => {
    const r = await ok('Console.Write("no newline ");\nvar n = 1 + 1;\nConsole.Write(n);');
    assert.equal(r.stdout, 'no newline 2');
    assert.deepEqual(r.diagnostics.map(at), []);
  });

  it("keeps the rewritten line's warnings at the user's own columns", async () => {
    // CS0612 (obsolete) sits inside the rewritten expression: `  Old() + 1` with Show( inserted before it.
    const r = await ok('[Obsolete] static int Old() => 1;\n  Old() + 1');
    assert.equal(r.stdout, '2\n');
    assert.deepEqual(r.diagnostics.map(at), ['CS0612@2:3-2:8'], JSON.stringify(r.diagnostics));
  });

  it('reports the errors of an expression that cannot be shown as they are today', async () => {
    const r = await t.run('Console.WriteLine(1);\nnotDefined + 1');
    assert.equal(r.status, 'compile_error', show(r));
    assert.deepEqual(r.diagnostics.map(at), ['CS0103@2:1-2:11', 'CS1002@2:15-2:15']);
  });

  it('does not show an expression that is not the last statement', async () => {
    const r = await t.run('1 + 1\nConsole.WriteLine(2);');
    assert.equal(r.status, 'compile_error', show(r));
    assert.ok(
      r.diagnostics.some((d) => d.id === 'CS1002' && d.line === 1 && d.column === 6),
      show(r),
    );
  });
});

describe('Dump()', () => {
  it('prints the value and returns it, so it chains', async () => {
    const r = await ok('var n = new[] { 1, 2 }.Dump().Length;\nConsole.WriteLine(n);\n"text".Dump("a title");');
    assert.equal(r.stdout, '[1, 2]\n2\na title:\ntext\n');
  });

  it('prints a collection of anonymous objects or records as a table', async () => {
    const r = await ok(
      'new[] { new { Name = "Ann", Age = 3 }, new { Name = "Bob", Age = 42 } }.Dump();\n' +
        'new List<P> { new("x", 1.5) }.Dump();\n' +
        'record P(string Id, double Score);',
    );
    assert.equal(
      r.stdout,
      [
        'Name  | Age',
        '------+----',
        '"Ann" | 3',
        '"Bob" | 42',
        '(2 items)',
        'Id  | Score',
        '----+------',
        '"x" | 1.5',
        '(1 item)',
        '',
      ].join('\n'),
    );
  });

  it('stops nesting at its depth cap and shows a cycle as a cycle', async () => {
    const r = await ok(
      [
        'var deep = new Box(new Box(new Box(new Box(new Box(new Box(null))))));',
        'deep.Dump();',
        'var n = new Node { V = 1 };',
        'n.Self = n;',
        'n.Dump();',
        'class Box(Box? inner) { public Box? Inner => inner; }',
        'class Node { public Node? Self; public int V; }',
      ].join('\n'),
    );
    assert.equal(
      r.stdout,
      'Box { Inner = Box { Inner = Box { Inner = Box { Inner = Box { … } } } } }\n' +
        'Node { Self = <cycle: Node>, V = 1 }\n',
    );
  });

  it('caps items and characters with a note of what was cut', async () => {
    const r = await ok(
      [
        'Enumerable.Range(0, 1000).Dump();',
        'Forever().Dump();',
        "new string('x', 20_000).Dump();",
        'static IEnumerable<int> Forever() { for (var i = 0; ; i++) yield return i; }',
      ].join('\n'),
    );
    const [range, forever, text] = r.stdout.split('\n');
    assert.equal(range, `[${Array.from({ length: 100 }, (_, i) => i).join(', ')}, … 900 more items]`);
    assert.equal(forever, `[${Array.from({ length: 100 }, (_, i) => i).join(', ')}, … (more items not shown)]`);
    assert.equal(text, `${'x'.repeat(10_000)}… (10,000 more characters)`);
  });

  it('shows what a getter threw instead of failing', async () => {
    const r = await ok(
      'new T().Dump();\nclass T { public int A => throw new InvalidOperationException("no"); public int B => 2; }',
    );
    assert.equal(r.stdout, 'T { A = <threw InvalidOperationException: no>, B = 2 }\n');
  });

  it("leaves the user's own Dump in charge", async () => {
    const r = await ok(
      'var n = 1;\nn.Dump();\nstatic class E { public static void Dump(this object o) => Console.WriteLine($"mine {o}"); }',
    );
    assert.equal(r.stdout, 'mine 1\n');
  });
});

describe('compile settings from #:property and the run options', () => {
  const debugProbe = [
    '#if DEBUG',
    'Console.WriteLine("DEBUG");',
    '#else',
    'Console.WriteLine("no DEBUG");',
    '#endif',
    'var d = typeof(Program).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false);',
    'Console.WriteLine(d.Cast<System.Diagnostics.DebuggableAttribute>().Any(a => a.IsJITOptimizerDisabled) ? "unoptimized" : "optimized");',
  ].join('\n');

  it('compiles Release by default: optimized, no DEBUG', async () => {
    assert.equal((await ok(debugProbe)).stdout, 'no DEBUG\noptimized\n');
  });

  it('compiles Debug with optimize: debug, and defines DEBUG', async () => {
    assert.equal((await ok(debugProbe, { optimize: 'debug' })).stdout, 'DEBUG\nunoptimized\n');
  });

  it('takes #:property Optimize=false, and the source wins over the run option', async () => {
    assert.equal((await ok(`#:property Optimize=false\n${debugProbe}`)).stdout, 'DEBUG\nunoptimized\n');
    assert.equal(
      (await ok(`#:property Optimize=true\n${debugProbe}`, { optimize: 'debug' })).stdout,
      'no DEBUG\noptimized\n',
    );
  });

  it('applies LangVersion from the source and from the run option', async () => {
    const collection = 'int[] xs = [1, 2];\nConsole.WriteLine(xs.Length);';
    for (const r of [
      await t.run(`#:property LangVersion=11\n${collection}`),
      await t.run(collection, { langVersion: '11' }),
    ]) {
      assert.equal(r.status, 'compile_error', show(r));
      assert.match(r.diagnostics[0]?.message ?? '', /not available in C# 11\.0/, show(r));
    }
    assert.equal((await ok(`#:property LangVersion=preview\n${collection}`)).stdout, '2\n');
  });

  it('refuses a language version the compiler does not know, at its line', async () => {
    const r = await t.run('#:property LangVersion=99\nConsole.WriteLine(1);');
    assert.equal(r.status, 'compile_error', show(r));
    assert.equal(r.diagnostics.length, 1, show(r));
    assert.equal(at(r.diagnostics[0]!), 'SB0100@1:1-1:26');
    assert.match(
      r.diagnostics[0]!.message,
      /^LangVersion '99' is not a language version this compiler knows: latest, latestmajor, preview, default, or a version from 1 to \d+\.0$/,
    );
    const option = await t.run('Console.WriteLine(1);', { langVersion: '99' });
    assert.equal(option.status, 'compile_error', show(option));
    assert.equal(at(option.diagnostics[0]!), 'SB0100@0:0-0:0');
  });

  it('names the supported properties for an unknown one', async () => {
    const r = await t.run('#:property TargetFramework=net8.0\nConsole.WriteLine(1);');
    assert.equal(r.status, 'compile_error', show(r));
    assert.deepEqual(
      r.diagnostics.map((d) => d.message),
      ["unknown property 'TargetFramework': a snippet may set LangVersion, Nullable, AllowUnsafeBlocks and Optimize"],
    );
  });

  it('takes Nullable and AllowUnsafeBlocks', async () => {
    const nulls = 'string s = null;\nConsole.WriteLine(s is null);';
    assert.deepEqual(
      (await ok(nulls)).diagnostics.map((d) => d.id),
      ['CS8600'],
    );
    assert.deepEqual((await ok(`#:property Nullable=disable\n${nulls}`)).diagnostics, []);
    const pointer = 'unsafe { int x = 7; int* p = &x; Console.WriteLine(*p); }';
    assert.equal((await ok(pointer)).stdout, '7\n');
    const refused = await t.run(`#:property AllowUnsafeBlocks=false\n${pointer}`);
    assert.equal(refused.status, 'compile_error', show(refused));
    assert.equal(refused.diagnostics[0]?.id, 'CS0227');
  });

  it('refuses a malformed optimize or language version before queueing it', () => {
    const bad = t.runner.submit({ source: '1', optimize: 'fast' as 'debug' });
    assert.deepEqual(bad, { ok: false, code: 'INVALID_INPUT', field: 'optimize', problem: 'not-release-or-debug' });
    const lang = t.runner.submit({ source: '1', langVersion: 'x y' });
    assert.deepEqual(lang, { ok: false, code: 'INVALID_INPUT', field: 'langVersion', problem: 'not-a-version' });
  });
});
