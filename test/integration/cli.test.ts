// The `sharpbox` command as a person runs it: `npx sharpbox run FILE`, through the real sandbox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'bin', 'sharpbox.js');
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'error' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('sharpbox run', () => {
  it('prints exactly one JSON RunResult with --json: examples/hello.cs says hello', async () => {
    const r = await cli(['run', 'examples/hello.cs', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0] ?? '');
    assert.equal(result.status, 'ok');
    assert.match(result.stdout, /^Hello from C# .* sharpbox sandbox!/);
    assert.equal(r.stderr, '');
  });

  it('shows the lifecycle, the program output, the status line and the stats', async () => {
    const r = await cli(['run', await file('hi.cs', 'Console.WriteLine("hi there");')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi there\n');
    assert.match(
      r.stderr,
      /⏳ pending \(queue position 1\)\n⚙️ compiling…\n▶️ running…\n✅ ok · exited with code 0\n {3}compile \d+ ms · run \d+ ms/,
    );
  });

  it('reads the code from stdin with -, and stdin for the program with --stdin', async () => {
    const input = await file('input.txt', 'Ada\n');
    const r = await cli(['run', '-', '--stdin', input, '--json'], 'Console.WriteLine($"hi {Console.ReadLine()}");');
    assert.equal(JSON.parse(r.stdout).stdout, 'hi Ada\n');
  });

  it('honours --timeout and exits 1 when the program does not succeed', async () => {
    const r = await cli(['run', '-', '--timeout', '800', '--json'], 'while (true) { }');
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout);
    assert.equal(result.status, 'timeout');
    assert.equal(result.reason, 'timed out after 0.8 s');
  });

  it('prints the IL with --view il, and does not run the program', async () => {
    const r = await cli(['run', await file('il.cs', 'Console.WriteLine("Hello");')].concat(['--view', 'il']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ldstr "Hello"/);
    assert.match(r.stdout, /call void \[System\.Console\]System\.Console::WriteLine\(string\)/);
    assert.doesNotMatch(r.stdout, /^Hello$/m);
    assert.match(r.stderr, /✅ ok · exited with code 0/);
  });

  it("prints a last line's value, a Dump() table and a package snippet's output", async () => {
    const sum = await cli(['run', '-'], 'new[]{1,2,3}.Sum()');
    assert.equal(sum.code, 0, sum.stderr);
    assert.equal(sum.stdout, '6\n');
    const table = await cli(
      ['run', '-'],
      'new[] { new { Name = "Ann", Age = 3 }, new { Name = "Bob", Age = 40 } }.Dump();',
    );
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout, 'Name  | Age\n------+----\n"Ann" | 3\n"Bob" | 40\n(2 items)\n');
    const json = await cli(
      ['run', '-'],
      '#:package Newtonsoft.Json@13.0.4\nConsole.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { A = 1, B = new[] { "x" } }));',
    );
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, '{"A":1,"B":["x"]}\n');
  });

  it('lists compile errors as line:col id message', async () => {
    // Not the last line: a last line without its semicolon would be a trailing expression (test/integration/repl.test.ts).
    const r = await cli(['run', await file('bad.cs', 'Console.WriteLine("x")\nConsole.WriteLine("y");\n')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /1:23 error CS1002: ; expected/);
    assert.match(r.stderr, /🛠️ compile_error · 1 compile error/);
  });

  it('takes --optimize and --lang-version for the compile', async () => {
    const probe = '#if DEBUG\nConsole.WriteLine("DEBUG");\n#endif\nint[] xs = [1];\nxs.Length';
    const debug = await cli(['run', '-', '--optimize', 'debug', '--json'], probe);
    assert.equal(debug.code, 0, debug.stderr);
    assert.equal(JSON.parse(debug.stdout).stdout, 'DEBUG\n1\n');
    const old = await cli(['run', '-', '--lang-version', '11', '--json'], probe);
    assert.equal(old.code, 1, old.stderr);
    assert.match(JSON.parse(old.stdout).diagnostics[0].message, /not available in C# 11\.0/);
  });

  const badInputs: [string, () => Promise<string[]>, RegExp][] = [
    ['a missing file', async () => ['run', join(dir, 'nope.cs')], /cannot read the code from .*nope\.cs: no such file/],
    ['an empty file', async () => ['run', await file('empty.cs', '')], /empty\.cs is empty/],
    [
      'a file over the size cap',
      async () => ['run', await file('big.cs', `// ${'x'.repeat(70_000)}`)],
      /big\.cs is 70003 bytes; the limit is 65536/,
    ],
    [
      'a file with NUL bytes',
      async () => ['run', await file('nul.cs', Buffer.from('Console.Write(1);\0'))],
      /nul\.cs contains a NUL byte \(at byte 17\)/,
    ],
    [
      'invalid UTF-8',
      async () => ['run', await file('latin1.cs', Buffer.from([0x2f, 0x2f, 0xe9, 0x0a]))],
      /latin1\.cs is not valid UTF-8 \(at byte 2\)/,
    ],
    ['an unknown option', async () => ['run', 'examples/hello.cs', '--fast'], /Unknown option '--fast'/],
    [
      'an unknown backend',
      async () => ['run', 'examples/hello.cs', '--backend', 'cloud'],
      /SHARPBOX_BACKEND: expected one of local, aci, got 'cloud'/,
    ],
    [
      'a bad timeout',
      async () => ['run', 'examples/hello.cs', '--timeout', 'soon'],
      /--timeout takes milliseconds, got 'soon'/,
    ],
    // Above the highest RUN_TIMEOUT_MS config accepts, so above whatever limit this machine runs with.
    [
      'a timeout above the limit',
      async () => ['run', 'examples/hello.cs', '--timeout', '600001'],
      /--timeout 600001 ms is above the limit of \d+ ms \(RUN_TIMEOUT_MS\); it may only lower it/,
    ],
    [
      'a bad --optimize',
      async () => ['run', 'examples/hello.cs', '--optimize', 'fast'],
      /--optimize takes release or debug, got 'fast'/,
    ],
    [
      'a malformed --lang-version',
      async () => ['run', 'examples/hello.cs', '--lang-version', 'c#12'],
      /--lang-version takes a C# language version such as preview or 13, got 'c#12'/,
    ],
    ['no command', async () => [], /no command given/],
    [
      'an unknown view',
      async () => ['run', 'examples/hello.cs', '--view', 'bytes'],
      /--view takes one of il, asm, lowered, got 'bytes'/,
    ],
    [
      '--methods without --view asm',
      async () => ['run', 'examples/hello.cs', '--methods', 'Main'],
      /--methods goes with --view asm/,
    ],
    ['a directory', async () => ['run', dir], /it is a directory/],
  ];
  for (const [what, args, message] of badInputs) {
    it(`refuses ${what} with one clear line and exit 2, never a stack trace`, async () => {
      const r = await cli(await args());
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }
});
