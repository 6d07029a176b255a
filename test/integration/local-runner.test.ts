// The local backend end to end: real bubblewrap, real dotnet, every status the runner can report.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, show, startTestRunner, type TestRunner } from '../support/runner.js';

let t: TestRunner;
before(async () => {
  t = await startTestRunner({ RUN_TIMEOUT_MS: '5000' });
});
after(async () => {
  await t.stop();
});

describe('programs that work', () => {
  it('runs Hello World and reports ok with compile time, run time and peak memory', async () => {
    const r = await t.run('Console.WriteLine("Hello, World!");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'Hello, World!\n');
    assert.equal(r.exitCode, 0);
    assert.equal(r.signal, null);
    assert.ok(r.compileMs !== null && r.compileMs > 0);
    assert.ok(r.runMs !== null && r.runMs > 0);
    // The cgroup's peak: a .NET Hello World needs some MiB, and far less than the 256 MiB limit.
    assert.ok(
      r.peakMemoryBytes !== null && r.peakMemoryBytes > 1024 * 1024 && r.peakMemoryBytes < 256 * 1024 * 1024,
      `peak ${r.peakMemoryBytes}`,
    );
  });

  it('feeds stdin to the program', async () => {
    const r = await t.run(
      'string? line; while ((line = Console.ReadLine()) != null) Console.WriteLine($"<{line.ToUpperInvariant()}>");',
      { stdin: 'one\ntwo\n' },
    );
    assert.equal(r.stdout, '<ONE>\n<TWO>\n', show(r));
  });

  it('gives a program that reads stdin with none an immediate end of input', async () => {
    const r = await t.run('Console.WriteLine(Console.ReadLine() is null ? "eof" : "data");');
    assert.equal(r.stdout, 'eof\n', show(r));
  });

  for (const [name, source, code] of [
    ['static void Main()', 'class P { static void Main() { System.Console.WriteLine("m"); } }', 0],
    [
      'static int Main(string[] args)',
      'class P { static int Main(string[] args) { System.Console.WriteLine($"m{args.Length}"); return 7; } }',
      7,
    ],
    [
      'static async Task Main()',
      'class P { static async Task Main() { await Task.Yield(); Console.WriteLine("m"); } }',
      0,
    ],
    [
      'static async Task<int> Main(string[] args)',
      'class P { static async Task<int> Main(string[] a) { await Task.Delay(1); Console.WriteLine("m0"); return 5; } }',
      5,
    ],
    ['top-level statements with await and return', 'await Task.Delay(1); Console.WriteLine("m"); return 4;', 4],
  ] as const) {
    it(`runs a program whose entry point is ${name}`, async () => {
      const r = await t.run(source);
      assert.equal(r.exitCode, code, show(r));
      assert.match(r.stdout, /^m0?\n$/);
      assert.equal(r.status, code === 0 ? 'ok' : 'runtime_error');
    });
  }

  it('has the console template implicit usings, nullable warnings and the latest language version', async () => {
    const r = await t.run(
      [
        'var list = new List<int> { 1, 2, 3 };',
        'string s = null;',
        'HttpClient? unused = null;',
        'Console.WriteLine($"{list.Sum()} {Path.Combine("a", "b")} {unused is null}");',
        'int[] xs = [1, 2];', // collection expressions (C# 12)
        'Console.WriteLine(xs.Length);',
      ].join('\n'),
    );
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, '6 a/b True\n2\n');
    const nullable = r.diagnostics.find((d) => d.id === 'CS8600');
    assert.ok(nullable, `expected a nullable warning: ${show(r)}`);
    assert.equal(nullable.severity, 'warning');
    assert.equal(nullable.line, 2);
  });

  it('keeps unicode output intact', async () => {
    const r = await t.run('Console.WriteLine("héllo 🌍 日本語 ∑"); Console.Error.WriteLine("ошибка");');
    assert.equal(r.stdout, 'héllo 🌍 日本語 ∑\n', show(r));
    assert.equal(r.stderr, 'ошибка\n');
  });

  it('streams events in order: queued, compiling, running, output, done', async () => {
    const handle = t.start(
      'Console.WriteLine("a"); await Console.Out.FlushAsync(); Thread.Sleep(300); Console.WriteLine("b");',
    );
    const events = await collect(handle);
    const types = events.map((e) => e.type).filter((ty, i, all) => ty !== all[i - 1]);
    assert.deepEqual(types, ['queued', 'compiling', 'running', 'output', 'done']);
    const text = events.flatMap((e) => (e.type === 'output' ? [e.text] : [])).join('');
    assert.equal(text, 'a\nb\n');
    assert.ok(events.filter((e) => e.type === 'output').length >= 2, 'output arrives as it is written, not at the end');
  });
});

describe('compile errors', () => {
  it("reports compile_error with the id, line and column in the user's own source", async () => {
    const r = await t.run('Console.WriteLine("ok");\n\nint x = "text";\nConsole.WriteLine(x)\n');
    assert.equal(r.status, 'compile_error', show(r));
    assert.equal(r.exitCode, null);
    const ids = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.id}@${d.line}:${d.column}`);
    assert.deepEqual(ids, ['CS0029@3:9', 'CS1002@4:21']);
    assert.match(r.reason ?? '', /2 compile errors/);
    assert.equal(r.runMs, null);
  });
});

describe('programs that fail', () => {
  it('reports a non-zero exit as runtime_error with the exit code', async () => {
    const r = await t.run('Console.WriteLine("bye"); return 3;');
    assert.equal(r.status, 'runtime_error', show(r));
    assert.equal(r.exitCode, 3);
    assert.equal(r.reason, 'exited with code 3');
    assert.equal(r.stdout, 'bye\n');
  });

  it('reports Environment.Exit codes, even ones that look like signals', async () => {
    const r = await t.run('Console.Write("x"); Environment.Exit(134);');
    assert.equal(r.exitCode, 134, show(r));
    assert.equal(r.signal, null);
    assert.equal(r.stdout, 'x');
  });

  it("reports an unhandled exception as runtime_error with its type and text, and the user's line", async () => {
    const r = await t.run('Console.WriteLine("before");\nthrow new InvalidOperationException("boom");');
    assert.equal(r.status, 'runtime_error', show(r));
    assert.equal(r.reason, 'unhandled exception System.InvalidOperationException');
    assert.match(r.stderr, /Unhandled exception\. System\.InvalidOperationException: boom/);
    assert.match(r.stderr, /Program\.cs:line 2/);
    assert.equal(r.stdout, 'before\n');
  });

  it('names a stack overflow', async () => {
    const r = await t.run('static int F(int n) => F(n + 1) + 1;\nConsole.WriteLine(F(0));');
    assert.equal(r.status, 'runtime_error', show(r));
    assert.equal(r.reason, 'stack overflow');
    assert.equal(r.signal, 'SIGABRT');
  });

  it('names the signal that killed the program', async () => {
    const r = await t.run(
      'using System.Runtime.InteropServices;\nConsole.Out.Flush();\nkill(getpid(), 9);\nThread.Sleep(5000);\n[DllImport("libc")] static extern int kill(int pid, int sig);\n[DllImport("libc")] static extern int getpid();',
    );
    assert.equal(r.status, 'runtime_error', show(r));
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.reason, 'killed by SIGKILL');
  });
});

describe('limits', () => {
  it('kills a busy loop at the wall-clock limit', async () => {
    const r = await t.run('while (true) { }', { timeoutMs: 1500 });
    assert.equal(r.status, 'timeout', show(r));
    assert.equal(r.reason, 'timed out after 1.5 s');
    assert.ok((r.runMs ?? 0) >= 1500 && (r.runMs ?? 0) < 4000, `runMs ${r.runMs}`);
  });

  it('kills a sleeping program at the wall-clock limit, keeping what it printed', async () => {
    const r = await t.run('Console.WriteLine("going to sleep"); Thread.Sleep(Timeout.Infinite);', { timeoutMs: 1000 });
    assert.equal(r.status, 'timeout', show(r));
    assert.equal(r.stdout, 'going to sleep\n');
  });

  it('ends a managed allocation spree with memory_limit, from the cgroup', async () => {
    const r = await t.run(
      'var l = new List<byte[]>(); while (true) { var b = new byte[1 << 20]; for (int i = 0; i < b.Length; i += 4096) b[i] = 1; l.Add(b); }',
    );
    assert.equal(r.status, 'memory_limit', show(r));
    assert.equal(r.reason, 'ran out of memory (256 MiB)');
    assert.ok(r.peakMemoryBytes !== null && r.peakMemoryBytes > 250 * 1024 * 1024, `peak ${r.peakMemoryBytes}`);
  });

  it('reports memory the GC refused but the machine never gave (arrays never touched) as the exception it was', async () => {
    // The GC counts 256 MiB committed while the cgroup sees a few MiB resident: only the program knows
    // it ran out, and the program's word never decides memory_limit (a forged exception would pass).
    const r = await t.run(
      'var l = new List<byte[]>(); while (true) { var b = new byte[1 << 20]; b[0] = 1; l.Add(b); }',
    );
    assert.equal(r.status, 'runtime_error', show(r));
    assert.equal(r.reason, 'unhandled exception System.OutOfMemoryException');
  });

  it('ends an unmanaged allocation spree (NativeMemory) with memory_limit', async () => {
    const r = await t.run(
      'using System.Runtime.InteropServices;\nunsafe { while (true) { byte* p = (byte*)NativeMemory.Alloc(1 << 20); if (p == null) throw new OutOfMemoryException(); for (int i = 0; i < (1 << 20); i += 4096) p[i] = 1; } }',
    );
    assert.equal(r.status, 'memory_limit', show(r));
    assert.ok(
      r.peakMemoryBytes !== null &&
        r.peakMemoryBytes > 200 * 1024 * 1024 &&
        r.peakMemoryBytes <= 256 * 1024 * 1024 + 4096,
      `peak ${r.peakMemoryBytes}`,
    );
  });

  it('ends Marshal.AllocHGlobal sprees with memory_limit too', async () => {
    const r = await t.run(
      'using System.Runtime.InteropServices;\nunsafe { while (true) { var p = (byte*)Marshal.AllocHGlobal(1 << 20); for (int i = 0; i < (1 << 20); i += 4096) p[i] = 1; } }',
    );
    assert.equal(r.status, 'memory_limit', show(r));
  });

  it('stops an output flood at the output cap, keeps what was read and marks it truncated', async () => {
    const r = await t.run('while (true) Console.WriteLine("flood flood flood flood flood");');
    assert.equal(r.status, 'output_limit', show(r));
    assert.equal(r.truncated, true);
    const total = Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr);
    assert.equal(total, t.config.limits.outputBytes);
    assert.match(r.stdout, /^flood flood/);
    // The cap kills the sandbox at once: a flood that ran on to the 5-second wall clock would still be
    // output_limit (the cap was passed), so only the run time shows the kill happened.
    assert.ok(r.runMs !== null && r.runMs < 2000, `runMs ${r.runMs} of a 5000 ms wall clock`);
  });

  it('stops a thread bomb at the task limit and says so (pids.events, not an address-space rlimit first)', async () => {
    // Uncaught, the failed thread start is an OutOfMemoryException; only the cgroup's count of refused
    // forks turns it into the task-limit reason. RLIMIT_DATA counts each thread's stack reservation and
    // used to stop the bomb first, at 58 threads, as "out of memory".
    const r = await t.run(
      'for (var i = 0; i < 10_000; i++) new Thread(() => Thread.Sleep(-1)) { IsBackground = true }.Start();',
    );
    assert.equal(r.status, 'runtime_error', show(r));
    assert.equal(
      r.reason,
      `could not start a thread: the limit of ${t.config.limits.maxProcesses} threads and processes was reached`,
      show(r),
    );
  });

  it('holds a run to one core however many threads spin (cpu cgroup), and reports its CPU time', async () => {
    // 16 spinning threads on a 2-core machine would use 2 CPU-seconds per second without the quota.
    const r = await t.run(
      'for (var i = 0; i < 16; i++) new Thread(() => { while (true) { } }) { IsBackground = true }.Start(); Thread.Sleep(-1);',
      { timeoutMs: 2000 },
    );
    assert.equal(r.status, 'timeout', show(r));
    assert.ok(r.cpuMs !== null && r.runMs !== null, show(r));
    // Counted from the hand-over (the runtime's start-up before it is not the program's): one core's
    // worth of the run's wall time, plus a period of the quota for the kill.
    assert.ok(r.cpuMs <= r.runMs * 1.0 + 200, `cpu ${r.cpuMs} ms in ${r.runMs} ms of wall time`);
    assert.ok(r.cpuMs > 0, 'the CPU time was measured');
  });

  it('ends a run that parks memory in socket buffers with memory_limit, before its wall clock', async () => {
    const r = await t.run(
      'using System.Net; using System.Net.Sockets; var l = new TcpListener(IPAddress.Loopback, 0); l.Start(1000); var port = ((IPEndPoint)l.LocalEndpoint).Port; var keep = new List<Socket>(); var buf = new byte[1 << 16];\n' +
        'for (var i = 0; i < 2000; i++) { Socket c; try { c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 4 << 20 }; c.Connect(IPAddress.Loopback, port); var s = l.AcceptSocket(); s.ReceiveBufferSize = 4 << 20; keep.Add(c); keep.Add(s); } catch (SocketException) { break; } c.Blocking = false; try { while (true) c.Send(buf); } catch (SocketException) { } }\n' +
        'Thread.Sleep(-1);',
    );
    assert.equal(r.status, 'memory_limit', show(r));
    assert.equal(r.reason, 'ran out of memory: socket buffers reached their cap (64 MiB)');
    assert.ok((r.runMs ?? Infinity) < 4000, `runMs ${r.runMs}`);
  });

  it('counts stderr against the same cap', async () => {
    const r = await t.run('while (true) Console.Error.WriteLine("err err err err");');
    assert.equal(r.status, 'output_limit', show(r));
    assert.ok(r.stderr.length > 0);
  });

  it('cancels a running program and says so', async () => {
    const handle = t.start('Console.WriteLine("started"); Thread.Sleep(Timeout.Infinite);');
    handle.on((e) => {
      if (e.type === 'output') handle.cancel();
    });
    const r = await handle.result;
    assert.equal(r.status, 'cancelled', show(r));
    assert.ok((r.runMs ?? 0) < 4000);
  });

  it('gives concurrent runs separate memory budgets', async () => {
    // Each holds 150 MiB: together more than one sandbox's 256 MiB, each within its own.
    // Little CPU (each sandbox has one core's worth, and other test files run beside this one).
    const source =
      'var a = new byte[150 << 20]; Array.Fill(a, (byte)1); Thread.Sleep(500); long sum = 0; for (var i = 0; i < a.Length; i += 4096) sum += a[i]; Console.WriteLine(sum * 4096 >> 20);';
    const results = await Promise.all([t.run(source), t.run(source)]);
    for (const r of results) {
      assert.equal(r.status, 'ok', show(r));
      assert.equal(r.stdout, '150\n');
    }
  });

  it("keeps one run's timeout from touching a concurrent run", async () => {
    const [slow, fast] = await Promise.all([
      t.run('while (true) { }', { timeoutMs: 1500 }),
      t.run('Thread.Sleep(200); Console.WriteLine("fine");'),
    ]);
    assert.equal(slow.status, 'timeout', show(slow));
    assert.equal(fast.status, 'ok', show(fast));
  });
});
