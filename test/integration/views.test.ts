// The views of what the compiler made (IL, lowered C#, JIT asm) through the real sandbox: what each
// listing holds, that no view runs Main, and how bad requests are refused.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { show, startTestRunner, type TestRunner } from '../support/runner.js';

let t: TestRunner;
before(async () => {
  t = await startTestRunner({ RUN_TIMEOUT_MS: '10000' });
});
after(async () => {
  await t.stop();
});

// Main would print MAIN-RAN, a string that exists only at run time (the listing holds its two halves).
const GREETER = `
class Greeter
{
    static void Main()
    {
        System.Console.WriteLine("Hello");
        System.Console.WriteLine("MAIN" + "-ran".ToUpperInvariant());
    }
    static int Square(int x) => x * x;
}`;

describe('the il view', () => {
  it("lists the IL of the user's types, and does not run Main", async () => {
    const r = await t.run(GREETER, { view: 'il' });
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.view, 'il');
    assert.match(r.stdout, /\.class private auto ansi beforefieldinit Greeter/);
    assert.match(r.stdout, /ldstr "Hello"/);
    assert.match(r.stdout, /call void \[System\.Console\]System\.Console::WriteLine\(string\)/);
    assert.match(r.stdout, /\.method private hidebysig static\s+int32 Square \(/);
    assert.doesNotMatch(r.stdout, /MAIN-RAN/);
    // Not the attribute types Roslyn embeds for nullable annotations.
    assert.doesNotMatch(r.stdout, /EmbeddedAttribute/);
    assert.equal(r.stderr, '');
  });

  it('gives a compile error the same compile_error result as a run', async () => {
    const r = await t.run('int x = "text";', { view: 'il' });
    assert.equal(r.status, 'compile_error', show(r));
    assert.equal(r.view, 'il');
    assert.deepEqual(
      r.diagnostics.map((d) => d.id),
      ['CS0029'],
    );
    assert.equal(r.stdout, '');
  });
});

describe('the lowered view', () => {
  it('shows a lambda as its closure class, foreach as an enumerator loop and using as try/finally', async () => {
    const r = await t.run(
      `
using System.IO;
var squares = new List<int> { 1, 2, 3 }.Select(x => x * x);
foreach (var s in squares) Console.WriteLine(s);
using (var w = new StringWriter()) { w.Write("x"); }
`,
      { view: 'lowered' },
    );
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.view, 'lowered');
    // The lambda's cache class and its method, as the compiler made them.
    assert.match(r.stdout, /class <>c\b/);
    assert.match(r.stdout, /<<Main>\$>b__0_0/);
    // foreach is the enumerator it lowers to, using the try/finally with Dispose.
    assert.match(r.stdout, /GetEnumerator\(\)/);
    assert.match(r.stdout, /MoveNext\(\)/);
    assert.match(r.stdout, /finally/);
    assert.match(r.stdout, /Dispose\(\)/);
    assert.doesNotMatch(r.stdout, /\bforeach\b/);
    assert.doesNotMatch(r.stdout, /=>/);
    assert.equal(r.stdout.includes('using ('), false);
  });
});

describe('the asm view', () => {
  it("lists the JIT's x64 code of every method of the user's types, fully optimised, without running Main", async () => {
    const r = await t.run(GREETER, { view: 'asm' });
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.view, 'asm');
    assert.match(r.stdout, /^; Assembly listing for method Greeter:Main\(\) \(FullOpts\)$/m);
    assert.match(r.stdout, /^; Assembly listing for method Greeter:Square\(int\):int \(FullOpts\)$/m);
    assert.match(r.stdout, /^\s+ret\s*$/m);
    // Square(x) = x * x: one multiply, optimised (no stack frame of a debug build).
    assert.match(r.stdout, /imul\s+/);
    assert.doesNotMatch(r.stdout, /MAIN-RAN/);
    // Only the user's types: nothing of the host that shares the process.
    assert.doesNotMatch(r.stdout, /Sharpbox\.Host/);
  });

  it('lists only the methods named', async () => {
    const r = await t.run(GREETER, { view: 'asm', methods: 'Square' });
    assert.equal(r.status, 'ok', show(r));
    const headers = r.stdout.match(/^; Assembly listing for method .*$/gm) ?? [];
    assert.deepEqual(headers, ['; Assembly listing for method Greeter:Square(int):int (FullOpts)']);
  });

  it('says which methods it could not compile: generic ones', async () => {
    const r = await t.run('class P { static void Main() {} static T Id<T>(T x) => x; }', { view: 'asm' });
    assert.equal(r.status, 'ok', show(r));
    assert.match(r.stdout, /^; not compiled: P:Id \(generic method\)$/m);
  });

  it('leaves the next run of the slot a normal sandbox', async () => {
    await t.run(GREETER, { view: 'asm' });
    const r = await t.run('Console.WriteLine("after asm");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'after asm\n');
    assert.equal(r.view, undefined);
  });
});

describe('view requests that are refused', () => {
  for (const [name, request, field, problem] of [
    ['an unknown view', { view: 'bytes' }, 'view', 'unknown'],
    ['methods without the asm view', { view: 'il', methods: 'Main' }, 'methods', 'asm-only'],
    ['methods that are not JIT patterns', { view: 'asm', methods: 'Main;rm -rf' }, 'methods', 'not-a-pattern'],
  ] as const) {
    it(`refuses ${name} as INVALID_INPUT`, () => {
      const submitted = t.runner.submit({ source: 'Console.WriteLine(1);', ...(request as object) });
      assert.deepEqual(submitted, { ok: false, code: 'INVALID_INPUT', field, problem });
    });
  }
});

describe('hostile programs as views', () => {
  // Programs of the escape corpus: each attacks when run. Viewed, none of their code runs (il, lowered)
  // or only what the JIT itself triggers (asm, see test/escape/programs/view-asm-static-constructor.cs);
  // each view must be a plain listing, in the sandbox's limits.
  const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'escape', 'programs');
  for (const file of ['fork-bomb.cs', 'output-flood.cs', 'verdict-module-initializer.cs', 'memfd-exec.cs']) {
    for (const view of ['il', 'lowered', 'asm'] as const) {
      it(`${file} as ${view} is a listing, and none of it ran`, async () => {
        const r = await t.run(await readFile(join(corpus, file), 'utf8'), { view });
        // The module initializer exits with 70 as soon as the module is touched: in the asm view that
        // is user code the JIT runs, and it ends the view as the program's own runtime_error.
        const expected = view === 'asm' && file === 'verdict-module-initializer.cs' ? 'runtime_error' : 'ok';
        assert.equal(r.status, expected, show(r));
        // A listing quotes the program's strings ("ESCAPED…" inside ldstr or a string literal); a line of
        // the program's own output would start with it.
        assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /^ESCAPED/m);
        if (view !== 'asm') assert.ok(r.stdout.length > 0 && r.stderr === '', show(r));
      });
    }
  }
});
