// The speed machinery keeps isolation intact: the warm compiler survives hostile sources, and each slot's
// pre-started sandbox runs exactly one program.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { LocalBackend } from '../../src/runner/backends/local/index.js';
import { show, startTestRunner, type TestRunner } from '../support/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The real uids of every process on this machine, as the host sees them. */
function hostUidsWithProcesses(): number[] {
  const uids: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const line = readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('Uid:'));
      if (line) uids.push(Number(line.split(/\s+/)[1]));
    } catch {
      // gone meanwhile
    }
  }
  return uids;
}
let t: TestRunner;
let backend: LocalBackend;
before(async () => {
  t = await startTestRunner({
    COMPILE_TIMEOUT_MS: '3000',
    COMPILE_MEMORY_MB: '256',
    SANDBOX_SLOTS: '2',
    COMPILE_SERVERS: '2',
  });
  assert.ok(t.backend instanceof LocalBackend);
  backend = t.backend;
});
after(async () => {
  await t.stop();
});

// Five overloads and eight nested lambdas: Roslyn tries 5^8 bindings (test/escape/programs/compile-bomb.cs).
const slowToCompile = `O.M(x0 => { O.M(x1 => { O.M(x2 => { O.M(x3 => { O.M(x4 => { O.M(x5 => { O.M(x6 => { O.M(x7 => { Console.WriteLine(x0.Length + x1.Length + x2.Length + x3.Length + x4.Length + x5.Length + x6.Length + x7.Length); }); }); }); }); }); }); }); });
static class O { public static void M(Action<int> a) { } public static void M(Action<string> a) { } public static void M(Action<long> a) { } public static void M(Action<double> a) { } public static void M(Action<byte> a) { } }`;

// Constant folding doubles a string 25 times: a 1 GiB constant inside the compiler.
const hugeToCompile = [
  'const string s0 = "0123456789abcdef0123456789abcdef";',
  ...Array.from({ length: 25 }, (_, i) => `const string s${i + 1} = s${i} + s${i};`),
  'Console.WriteLine(s25.Length);',
].join('\n');

describe('the warm compiler', () => {
  it('kills a compile at its deadline, reports it, and serves the runs behind it after restarting itself', async () => {
    const restartsBefore = (await backend.compilerPid()) ?? 0;
    const [bomb, normal] = await Promise.all([t.run(slowToCompile), t.run('Console.WriteLine("after the bomb");')]);
    assert.equal(bomb.status, 'compile_error', show(bomb));
    assert.equal(bomb.diagnostics[0]?.id, 'SB0001');
    assert.equal(bomb.reason, 'compilation took longer than 3 s');
    assert.equal(normal.status, 'ok', show(normal));
    assert.equal(normal.stdout, 'after the bomb\n');
    const pidAfter = await backend.compilerPid();
    assert.ok(pidAfter !== null && pidAfter !== restartsBefore, 'a new compile server process');
  });

  it('serves other users at normal speed while one compile bomb holds a compiler (a pool of two)', async () => {
    await t.run('Console.WriteLine("warm");');
    const bomb = t.run(slowToCompile);
    await new Promise((r) => setTimeout(r, 300)); // the bomb has a compiler now
    const normal = await t.run('Console.WriteLine("beside the bomb");');
    assert.equal(normal.status, 'ok', show(normal));
    // A warm compile takes tens of ms; waiting for the bomb's deadline would take 3 s.
    assert.ok((normal.compileMs ?? Infinity) < 1500, `compileMs ${normal.compileMs}`);
    assert.equal((await bomb).diagnostics[0]?.id, 'SB0001');
  });

  it('serves the next user at once when a compile kills its compiler (the other one takes over)', async () => {
    await backend.idle();
    const killed = await t.run(hugeToCompile);
    // Out of memory (SB0002), or past its deadline first on a loaded machine (SB0001): either way that
    // compiler is killed and replaced.
    assert.ok(['SB0001', 'SB0002'].includes(killed.diagnostics[0]?.id ?? ''), show(killed));
    const next = await t.run('Console.WriteLine("right after");');
    assert.equal(next.status, 'ok', show(next));
    assert.ok((next.compileMs ?? Infinity) < 1500, `compileMs ${next.compileMs}: it waited for a restart`);
  });

  it("reports a compile that exhausts the compiler's memory, then carries on", async () => {
    await backend.idle(); // no replacement compiler warming up beside it (they take the CPU)
    const r = await t.run(hugeToCompile);
    assert.equal(r.status, 'compile_error', show(r));
    assert.equal(r.diagnostics[0]?.id, 'SB0002');
    assert.equal(r.reason, 'compilation ran out of memory (256 MiB)');
    assert.equal((await t.run('Console.WriteLine(1 + 1);')).stdout, '2\n');
  });

  it('caps the diagnostics of a source made to produce huge ones (2.7 MB uncapped)', async () => {
    const r = await t.run(readFileSync(join(root, 'test', 'escape', 'programs', 'diagnostics-bomb.cs'), 'utf8'));
    assert.equal(r.status, 'compile_error', show(r));
    const chars = r.diagnostics.reduce((n, d) => n + d.message.length, 0);
    assert.ok(
      r.diagnostics.length > 0 && r.diagnostics.every((d) => d.message.length <= 1000),
      JSON.stringify(r.diagnostics.map((d) => d.message.length)),
    );
    assert.ok(chars <= 64_000, `${chars} characters of diagnostics`);
  });

  it('comes back by itself when its process dies while idle', async () => {
    await backend.idle(); // every compiler up (an earlier bomb's replacement may still be warming up)
    const pid = await backend.compilerPid();
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const r = await t.run('Console.WriteLine("recompiled");');
    assert.equal(r.status, 'ok', show(r));
    assert.notEqual(await backend.compilerPid(), pid);
  });

  it('compiles Hello World in well under the cold compile time once warm', async () => {
    await t.run('Console.WriteLine(0);');
    const r = await t.run('Console.WriteLine("warm");');
    assert.equal(r.status, 'ok', show(r));
    assert.ok((r.compileMs ?? Infinity) < 500, `compileMs ${r.compileMs}`);
  });
});

describe('pre-started sandboxes', () => {
  it('hands each program a sandbox nobody used before: no process state and no files from an earlier run', async () => {
    // A reused process would still hold the AppDomain data and the environment variable the last
    // program set; a reused tmpfs would still hold its file.
    const source = [
      'var seen = AppDomain.CurrentDomain.GetData("mark") ?? Environment.GetEnvironmentVariable("SHARPBOX_MARK") ?? "none";',
      'AppDomain.CurrentDomain.SetData("mark", "used");',
      'Environment.SetEnvironmentVariable("SHARPBOX_MARK", "used");',
      'File.WriteAllText($"/tmp/mark-{Guid.NewGuid()}", "x");',
      'Console.WriteLine($"{seen} {Directory.GetFiles("/tmp").Length}");',
    ].join('\n');
    const results = await Promise.all(Array.from({ length: 8 }, () => t.run(source)));
    for (const r of results) {
      assert.equal(r.status, 'ok', show(r));
      assert.equal(r.stdout, 'none 1\n');
    }
  });

  it('starts a fresh sandbox when the waiting one died', async () => {
    await backend.idle();
    // Kill every waiting exec sandbox (not the compile server): what a crash or an OOM kill would do.
    for (const uid of backend.execUids) {
      spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', 'kill', '-KILL', '-1']);
    }
    await new Promise((r) => setTimeout(r, 200));
    const r = await t.run('Console.WriteLine("still fine");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'still fine\n');
  });

  it('keeps a second sandbox per slot under a uid of its own, waiting while a run executes; a program that kills all it can does not reach it', async () => {
    // Four runs in a row use each place once (a used place goes to the back of the line), so every
    // place holds a fresh sandbox whatever earlier tests did to the waiting ones.
    for (let i = 0; i < 4; i++) assert.equal((await t.run('Console.WriteLine(1);')).status, 'ok');
    await backend.idle();
    // 2 slots × depth 2: four places, each its own uid.
    assert.equal(new Set(backend.execUids).size, 4);
    // While one program runs, every place holds a process: the running one, and three sandboxes waiting
    // (with depth 1 the running run's slot would have none waiting).
    const running = t.run('Console.WriteLine("go"); Thread.Sleep(1500);');
    await new Promise((r) => setTimeout(r, 800));
    const busy = new Set(hostUidsWithProcesses().filter((u) => backend.execUids.includes(u)));
    assert.equal((await running).status, 'ok');
    assert.equal(busy.size, 4, `exec uids with processes while a run executed: ${[...busy].join(', ')}`);
    // kill(-1, SIGKILL): every process this uid may signal. The sandboxes waiting for the next runs are
    // other uids', so the next runs, back to back, find them alive.
    const killer = await t.run(
      '[System.Runtime.InteropServices.DllImport("libc")] static extern int kill(int pid, int sig);\nConsole.WriteLine(kill(-1, 9));',
    );
    assert.notEqual(killer.status, 'internal_error', show(killer));
    for (let i = 0; i < 3; i++) {
      const next = await t.run('Console.WriteLine("alive");');
      assert.equal(next.status, 'ok', show(next));
    }
  });

  it('starts waiting sandboxes at the lowest CPU weight, and runs a program at the normal one', async () => {
    // cgroup v1 here (test/cgroup2 checks cpu.weight on v2): the cpu controller's step cgroups of this process.
    const cpuParent = '/sys/fs/cgroup/cpu/sharpbox';
    const sandboxSteps = () =>
      readdirSync(cpuParent).filter((n) => n.startsWith(`${process.pid}-`) && !n.includes('-compiler-'));
    const read = (step: string, file: string) => readFileSync(join(cpuParent, step, file), 'utf8').trim();
    await backend.idle();
    const waiting = sandboxSteps();
    assert.equal(waiting.length, 4, `steps: ${waiting.join(', ')}`);
    for (const step of waiting) assert.equal(read(step, 'cpu.shares'), '2', step);
    const running = t.run('Console.WriteLine("go"); Thread.Sleep(1500);');
    await new Promise((r) => setTimeout(r, 800));
    // The running one is the step with a CPU quota (set at the hand-over); it was given the default weight.
    const weights = sandboxSteps().map(
      (s) => `${read(s, 'cpu.cfs_quota_us') === '-1' ? 'waiting' : 'running'} ${read(s, 'cpu.shares')}`,
    );
    assert.equal((await running).status, 'ok');
    assert.deepEqual(weights.sort(), ['running 1024', 'waiting 2', 'waiting 2', 'waiting 2']);
    // The compile servers never wait in the background.
    for (const step of readdirSync(cpuParent).filter((n) => n.startsWith(`${process.pid}-compiler-`)))
      assert.equal(read(step, 'cpu.shares'), '1024', step);
  });

  it('starts the wall clock when the program is handed over, not when the sandbox started', async () => {
    await backend.idle();
    await new Promise((r) => setTimeout(r, 1500)); // the waiting sandboxes are now 1.5 s old
    const r = await t.run('Thread.Sleep(700); Console.WriteLine("done");', { timeoutMs: 1000 });
    assert.equal(r.status, 'ok', show(r));
  });
});
