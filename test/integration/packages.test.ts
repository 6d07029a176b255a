// Curated packages end to end (issue #14): a snippet asks for an allowed NuGet package with `#:package`
// or `#r "nuget: …"`, compiles against it in the warm compile server and runs with it in the real
// sandbox, which binds it from the read-only layout beside the runner host (container/packages). What is
// not on the list, or not at the listed version, is a compile error that says what is.
//
// No network at run time needs nothing new: the sandbox has no network namespace but its own loopback
// (bwrapArgs.ts: --unshare-net, tested in test/escape), and the packages are files laid out at setup.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { show, startTestRunner, type TestRunner } from '../support/runner.js';

// The allow-list, as container/packages/Packages.csproj names it, sorted as the diagnostic lists it.
const AVAILABLE =
  'Dapper@2.1.86, Humanizer.Core@3.0.10, morelinq@4.4.0, Newtonsoft.Json@13.0.4, NodaTime@3.3.7, Spectre.Console@0.57.2, System.Reactive@7.0.0';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let t: TestRunner;
before(async () => {
  t = await startTestRunner({ RUN_TIMEOUT_MS: '10000' });
});
after(async () => {
  await t.stop();
});

describe('allowed packages', () => {
  it('compiles and runs a Newtonsoft.Json snippet asked for with #:package Name@Version', async () => {
    const r = await t.run(
      [
        '#:package Newtonsoft.Json@13.0.4',
        'using Newtonsoft.Json;',
        'Console.WriteLine(JsonConvert.SerializeObject(new { Name = "sharpbox", Tags = new[] { "a", "b" }, N = 3 }));',
        'Console.WriteLine(typeof(JsonConvert).Assembly.GetName().Version);',
      ].join('\n'),
    );
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, '{"Name":"sharpbox","Tags":["a","b"],"N":3}\n13.0.0.0\n');
    // Not even CS1701 (Newtonsoft.Json 13 is built against net6.0's System.Runtime): the SDK's NoWarn too.
    assert.deepEqual(r.diagnostics, []);
  });

  it('takes #r "nuget: Name, Version" and keeps the line numbers of the code after it', async () => {
    const r = await t.run(
      [
        '#r "nuget: Humanizer.Core, 3.0.10"',
        'using Humanizer;',
        'Console.WriteLine("PascalCaseInputStringIsTurnedIntoSentence".Humanize());',
        'Console.WriteLine(3.ToWords());',
        'throw new InvalidOperationException("line 5");',
      ].join('\n'),
    );
    assert.equal(r.status, 'runtime_error', show(r));
    assert.equal(r.stdout, 'Pascal case input string is turned into sentence\nthree\n');
    assert.match(r.stderr, /Program\.cs:line 5/);
  });

  it('takes a package name in any case and without a version (the listed one)', async () => {
    const r = await t.run(
      [
        '#:package MORELINQ',
        'using MoreLinq;',
        'Console.WriteLine(string.Join(",", new[] { 1, 2, 3, 4, 5 }.Batch(2).Select(b => b.Sum())));',
      ].join('\n'),
    );
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, '3,7,5\n');
    assert.deepEqual(r.diagnostics, []);
  });

  it("binds a package's own dependencies at run time (Spectre.Console's closure)", async () => {
    const r = await t.run(
      [
        '#:package Spectre.Console@0.57.2',
        'using Spectre.Console;',
        'var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(Console.Out) });',
        'console.Write(new Markup("[bold]hi[/] there"));',
        'console.WriteLine();',
      ].join('\n'),
    );
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'hi there\n');
    assert.deepEqual(r.diagnostics, []);
  });

  it('does not reference a package that was not asked for', async () => {
    const r = await t.run('using Newtonsoft.Json;\nConsole.WriteLine(JsonConvert.SerializeObject(1));');
    assert.equal(r.status, 'compile_error', show(r));
    assert.equal(r.diagnostics[0]?.id, 'CS0246', show(r));
    assert.equal(r.diagnostics[0]?.line, 1);
  });
});

describe('packages that are not available', () => {
  it('refuses a package that is not on the list, at its directive, listing what is', async () => {
    const refused = await t.run('#:package Left.Pad@1.0.0\nConsole.WriteLine(1);');
    assert.equal(refused.status, 'compile_error', show(refused));
    assert.deepEqual(refused.diagnostics, [
      {
        id: 'SB0110',
        severity: 'error',
        message: `package 'Left.Pad@1.0.0' is not available; the packages available are: ${AVAILABLE}`,
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 25,
      },
    ]);
    assert.equal(refused.stdout, '');
  });

  it('refuses an allowed package at another version', async () => {
    const r = await t.run('  #r "nuget: Newtonsoft.Json, 12.0.3"\nConsole.WriteLine(1);');
    assert.equal(r.status, 'compile_error', show(r));
    assert.deepEqual(r.diagnostics, [
      {
        id: 'SB0110',
        severity: 'error',
        message: `package 'Newtonsoft.Json@12.0.3' is not available; the packages available are: ${AVAILABLE}`,
        line: 1,
        column: 3,
        endLine: 1,
        endColumn: 38,
      },
    ]);
  });

  it('refuses file paths in reference directives: only names on the list are looked up', async () => {
    const r = await t.run(
      [
        '#r "/etc/passwd"',
        '#r "nuget: ../../x"',
        '#:package ../../x@1.0.0',
        '#r "nuget: Newtonsoft.Json, .."',
        'Console.WriteLine(1);',
      ].join('\n'),
    );
    assert.equal(r.status, 'compile_error', show(r));
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.id}@${d.line}: ${d.message}`),
      [
        `SB0100@1: #r takes only a package here, as '#r "nuget: Name, Version"': a snippet cannot reference files`,
        `SB0100@2: #r takes only a package here, as '#r "nuget: Name, Version"': a snippet cannot reference files`,
        `SB0100@3: expected '#:package Name@Version', got '#:package ../../x@1.0.0'`,
        `SB0110@4: package 'Newtonsoft.Json@..' is not available; the packages available are: ${AVAILABLE}`,
      ],
    );
  });
});

describe('the layout beside the host', () => {
  interface Manifest {
    packages: { id: string; version: string; compile: string[] }[];
    assemblies: Record<string, string>;
  }
  const dir = (): string => join(t.config.sandbox.hostDir, 'packages');
  const manifest = (): Manifest => JSON.parse(readFileSync(join(dir(), 'manifest.json'), 'utf8')) as Manifest;

  it('lists each allowed package once, at its version, with lib/ or ref/ assemblies only, none of the framework', () => {
    const m = manifest();
    assert.equal(m.packages.map((p) => `${p.id}@${p.version}`).join(', '), AVAILABLE);
    const framework = new Set(readdirSync(join(t.config.sandbox.hostDir, 'refs')).map((f) => f.toLowerCase()));
    const files = [...m.packages.flatMap((p) => p.compile), ...Object.values(m.assemblies)];
    for (const file of files) {
      // package-id/version/(lib|ref)/tfm/Name.dll: never analyzers/, build/, buildTransitive/ or tools/
      assert.match(file, /^[a-z0-9_.-]+\/[A-Za-z0-9_.+-]+\/(lib|ref)\/[^/]+\/[^/]+\.dll$/i, file);
      assert.ok(existsSync(join(dir(), file)), `${file} is missing`);
      assert.ok(!framework.has(file.split('/').pop()!.toLowerCase()), `${file} is the framework's`);
    }
    // Spectre.Console's closure brings its dependency's compile reference with it.
    assert.deepEqual(m.packages.find((p) => p.id === 'Spectre.Console')?.compile, [
      'spectre.console/0.57.2/lib/net10.0/Spectre.Console.dll',
      'spectre.console.ansi/0.57.2/lib/net10.0/Spectre.Console.Ansi.dll',
    ]);
    assert.equal(m.assemblies['Newtonsoft.Json'], 'newtonsoft.json/13.0.4/lib/net6.0/Newtonsoft.Json.dll');
  });

  it('is not laid out again when nothing changed (setup runs again and again)', async () => {
    const { stdout } = await promisify(execFile)('bash', [
      join(root, 'container', 'packages', 'layout.sh'),
      t.config.sandbox.hostDir,
    ]);
    assert.equal(stdout, 'packages: the layout matches Packages.csproj; restore skipped\n');
  });
});
