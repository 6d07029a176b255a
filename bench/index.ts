// `npm run bench`: sharpbox's speed, measured side by side in one run on this machine.
//   (a) Hello World round trip through the runner API, warm (p50, p95), three ways: spaced (each trip
//       finds its sandbox waiting), back to back from one client, two clients back to back
//   (b) the same through the CLI (a new process that starts its own runner each time)
//   (c) the floor: bare `dotnet exec` of a precompiled Hello World, no sandbox, before and after the rest
//       (a warning when the two differ by more than 20%: the machine was busy)
//   (d) the seed's method: `dotnet new console`, `dotnet build`, `dotnet run`
//   (e) sustained throughput with every slot busy: Hello World, and a CPU-heavy program; beside it, bare
//       `dotnet exec` processes one per core (no sandbox, no compile): the machine's ceiling
//   (f) resident memory of the service and of the compile server, idle and under load
//   (g) the first run after start (cold)
//   (h) Discord: trigger → first reply against the Discord fake
//   (i) fair use under load: 200 submissions from 50 users within 10 s
//   (k) the admin feed: 100 clients while 20 runs/s flow for 30 s, then with a slow client added
//   (j) the aci backend against Azurite and the ARM fake with a 30 s container start-up: our overhead
//   (l) the sizes of the service and sandbox images, if `npm run test:docker` built them
//   (m) the aci backend under the fair-use rate (60 runs/min) for 10 minutes of Azure time against
//       Azure's default quotas, per mode (a group per run, warm pool, workers): bench/aciLoad.ts
//   (n) the .NET 10 SDK's `dotnet run file.cs`: what a C# user would pick today, no sandbox
//   (o) the real service (`node dist/src/main.js`) from outside: spawn → up, and RSS by process
//       (service, compile servers, waiting sandboxes, all), without and with the bot
//   (p) a curated package: compile + run of a Newtonsoft.Json snippet, spaced like (a), beside Hello World
//   (q) the fleet (two service processes on one redis-server): event delay from the owning process to a
//       feed client on the other, 20 runs/s for 30 s, beside the own-process path; Redis memory of the
//       streams and run records after; a reference line with the real sandbox: bench/fleet.ts
//       (`npm run bench:fleet` runs it alone)
// Every target prints met / NOT met.
// and the ratios round trip / floor and seed method / round trip.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { LocalBackend } from '../src/runner/backends/local/index.js';
import type { Runner, RunResult } from '../src/runner/index.js';
import { backendOf, createTestRunner } from '../test/support/runner.js';
import { fairUseLoad } from './load.js';
import { mb, ms, percentile, rssOf, run } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HELLO = 'Console.WriteLine("Hello, World!");';
const CPU_HEAVY =
  'long sum = 0; for (int n = 2; n < 300_000; n++) { bool prime = true; for (int d = 2; (long)d * d <= n; d++) if (n % d == 0) { prime = false; break; } if (prime) sum += n; } Console.WriteLine(sum);';
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 40);
const JSON_SNIPPET =
  '#:package Newtonsoft.Json@13.0.4\nConsole.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { Name = "x", N = 1 }));';

const lines: string[] = [];
function report(label: string, value: string): void {
  const line = `${label.padEnd(72)} ${value}`;
  lines.push(line);
  console.log(line);
}

async function runOnce(runner: Runner, source: string): Promise<{ result: RunResult; ms: number }> {
  const started = performance.now();
  const submitted = runner.submit({ source });
  assert.ok(submitted.ok, submitted.ok ? '' : `refused: ${JSON.stringify(submitted)}`);
  const result = await submitted.handle.result;
  return { result, ms: performance.now() - started };
}

/**
 * The same bare `dotnet exec` as the floor (measureFloor wrote hello.dll), one process per core at a time
 * for `count` runs: how many fresh .NET processes a second this machine can start at all, the ceiling of
 * any design that gives each run a process of its own, and the like-for-like baseline for (e).
 */
async function measureFloorThroughput(work: string, count: number): Promise<number> {
  const dll = join(work, 'hello.dll');
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: availableParallelism() }, async () => {
      while (next++ < count) {
        const r = await run('dotnet', [dll]);
        assert.equal(r.stdout, 'Hello, World!\n', r.stderr);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** 30 runs of a bare `dotnet exec` of a precompiled Hello World (after 5 to warm the disk cache): the floor. */
async function measureFloor(config: ReturnType<typeof loadConfig>, work: string): Promise<number[]> {
  const dll = join(work, 'hello.dll');
  const compiled = await run('dotnet', [join(config.sandbox.hostDir, 'sharpbox-host.dll'), 'compile'], {
    input: JSON.stringify({ source: HELLO }),
  });
  const response = JSON.parse(compiled.stdout) as { assembly: string };
  await writeFile(dll, Buffer.from(response.assembly, 'base64'));
  await writeFile(
    join(work, 'hello.runtimeconfig.json'),
    JSON.stringify({
      runtimeOptions: { tfm: 'net10.0', framework: { name: 'Microsoft.NETCore.App', version: '10.0.0' } },
    }),
  );
  const floor: number[] = [];
  for (let i = 0; i < 5; i++) await run('dotnet', [dll]);
  for (let i = 0; i < 30; i++) {
    const r = await run('dotnet', [dll]);
    assert.equal(r.stdout, 'Hello, World!\n', r.stderr);
    floor.push(r.ms);
  }
  return floor;
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'error', SANDBOX_QUEUE_MAX: '1000' });
  console.log(`sharpbox bench · ${config.slots} slots · ${new Date().toISOString()}`);
  const work = await mkdtemp(join(tmpdir(), 'sharpbox-bench-'));
  try {
    // (g) cold start and first run
    const coldStart = performance.now();
    const runner = await createTestRunner(config, { log: createLogger('error') });
    const startMs = performance.now() - coldStart;
    const first = await runOnce(runner, HELLO);
    assert.equal(first.result.status, 'ok');
    report('(g) cold: runner start in this process (createRunner; the whole service: (o))', ms(startMs));
    report(
      '(g) cold: first Hello World after start',
      `${ms(first.ms)} (compile ${first.result.compileMs} ms, run ${first.result.runMs} ms)`,
    );

    const backend = backendOf(runner);
    assert.ok(backend instanceof LocalBackend);
    await backend.idle();
    const idleService = process.memoryUsage().rss;
    const idleCompiler = await rssOf(await backend.compilerPid());

    // (c) the floor first (and again at the end: a noisy machine shows as a difference)
    const floorBefore = await measureFloor(config, work);

    // (a) warm round trips, three ways
    for (let i = 0; i < 5; i++) await runOnce(runner, HELLO);
    const trip = async (i: number): Promise<{ ms: number; compile: number; run: number }> => {
      // A different source each time (a comment), so nothing could be served from a cache.
      const { result, ms: t } = await runOnce(runner, `${HELLO} // trip ${i}`);
      assert.equal(result.stdout, 'Hello, World!\n');
      return { ms: t, compile: result.compileMs ?? 0, run: result.runMs ?? 0 };
    };
    const spaced: { ms: number; compile: number; run: number }[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      await backend.idle(); // each trip finds its slot's sandbox waiting, as a request after a pause does
      spaced.push(await trip(i));
    }
    const backToBack: number[] = [];
    await backend.idle();
    for (let i = 0; i < ROUND_TRIPS; i++) backToBack.push((await trip(1000 + i)).ms);
    const twoClients: number[] = [];
    await backend.idle();
    await Promise.all(
      [0, 1].map(async (c) => {
        for (let i = 0; i < ROUND_TRIPS / 2; i++) twoClients.push((await trip(2000 + c * 1000 + i)).ms);
      }),
    );
    const tripP50 = percentile(
      spaced.map((t) => t.ms),
      50,
    );
    const b2bP50 = percentile(backToBack, 50);
    report(
      `(a) round trip, runner API, spaced (each finds a sandbox waiting), n=${ROUND_TRIPS}`,
      `p50 ${ms(tripP50)} · p95 ${ms(
        percentile(
          spaced.map((t) => t.ms),
          95,
        ),
      )}`,
    );
    report(
      '    of which compile / run (p50)',
      `${ms(
        percentile(
          spaced.map((t) => t.compile),
          50,
        ),
      )} / ${ms(
        percentile(
          spaced.map((t) => t.run),
          50,
        ),
      )}`,
    );
    report(
      `(a) round trip, back to back from one client, n=${ROUND_TRIPS}`,
      `p50 ${ms(b2bP50)} · p95 ${ms(percentile(backToBack, 95))}`,
    );
    report(
      `(a) round trip, two clients back to back, n=${ROUND_TRIPS}`,
      `p50 ${ms(percentile(twoClients, 50))} · p95 ${ms(percentile(twoClients, 95))}`,
    );

    // (e) throughput with every slot busy, and (f) memory under load
    let peakService = 0;
    let peakCompiler = 0;
    const sampler = setInterval(() => {
      peakService = Math.max(peakService, process.memoryUsage().rss);
      void backend
        .compilerPid()
        .then(rssOf)
        .then((r) => (peakCompiler = Math.max(peakCompiler, r ?? 0)));
    }, 50);
    const throughput = async (source: string, count: number): Promise<number> => {
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: count }, () => runOnce(runner, source)));
      for (const r of results) assert.equal(r.result.status, 'ok', JSON.stringify(r.result));
      return count / ((performance.now() - started) / 1000);
    };
    const helloRate = await throughput(HELLO, 100);
    const cpuRate = await throughput(CPU_HEAVY, 20);
    clearInterval(sampler);
    report('(e) throughput, Hello World, all slots busy (100 runs)', `${helloRate.toFixed(1)} runs/s`);
    const floorRate = await measureFloorThroughput(work, 60);
    report(
      `(e) baseline: bare \`dotnet exec\` Hello World, ${availableParallelism()} at a time (one per core), no sandbox (60 runs)`,
      `${floorRate.toFixed(1)} runs/s`,
    );
    report('(e) throughput, CPU-heavy (primes < 300k), all slots busy (20 runs)', `${cpuRate.toFixed(1)} runs/s`);
    report(
      '(f) this process (runner only, not the service: see (o)) RSS idle / under load',
      `${mb(idleService)} / ${mb(peakService)}`,
    );
    report('(f) compile server RSS idle / under load', `${mb(idleCompiler)} / ${mb(peakCompiler)}`);
    // Fair use under load
    await backend.idle();
    const load = await fairUseLoad(runner, config);
    report(
      '(i) fair use: 200 submissions from 50 users in 10 s',
      `answered ${load.answered}/200 (ran ${load.ran}, refused ${load.refused}, failed ${load.failed}, crashed ${load.crashed}) in ${load.seconds.toFixed(1)} s`,
    );
    report(
      '(i) RSS before / after the load; JS heap in use before / after (after GC)',
      `${mb(load.rssBefore)} / ${mb(load.rssAfter)}; ${mb(load.heapBefore)} / ${mb(load.heapAfter)}`,
    );

    // (k) the admin feed under load
    await backend.idle();
    const { feedUnderLoad } = await import('./feed.js');
    const feed = await feedUnderLoad(runner, 30, 10);
    report(
      '(k) feed: 100 clients, 20 runs/s for 30 s: event delay p50 / p99',
      `${ms(feed.p50)} / ${ms(feed.p99)} (${feed.events} events, ${feed.runs} runs)`,
    );
    report(
      '(k) feed: the same with one client that never reads: p99',
      `${ms(feed.p99WithSlow)} (slow client dropped: ${feed.slowDropped})`,
    );

    // Discord: trigger → first reply, against the fake
    // Loaded here, not at the top: the memory figures above are of the runner alone (as in a service).
    const { firstReplyLatency } = await import('./discord.js');
    const discord = await firstReplyLatency(runner, work, 30);
    report(
      '(h) Discord: trigger → first reply (pending), against the fake, n=30',
      `p50 ${ms(discord.p50)} · p95 ${ms(discord.p95)}`,
    );

    // (p) a curated package, spaced like (a); Hello World alternates with it so both figures come from the
    // same stretch of the machine's load. Three warm-up runs first: the compile server reads a package's
    // metadata on its first use.
    for (let i = 0; i < 3; i++) await runOnce(runner, JSON_SNIPPET);
    const packageTrips: number[] = [];
    const packageSplit: { compile: number; run: number }[] = [];
    const helloTrips: number[] = [];
    for (let i = 0; i < 20; i++) {
      await backend.idle();
      const p = await runOnce(runner, `${JSON_SNIPPET} // trip ${i}`);
      assert.equal(p.result.stdout, '{"Name":"x","N":1}\n', JSON.stringify(p.result));
      packageTrips.push(p.ms);
      packageSplit.push({ compile: p.result.compileMs ?? 0, run: p.result.runMs ?? 0 });
      await backend.idle();
      helloTrips.push((await trip(4000 + i)).ms);
    }
    const packageP50 = percentile(packageTrips, 50);
    const helloP50 = percentile(helloTrips, 50);
    report(
      '(p) Newtonsoft.Json snippet (#:package): compile + run, runner API, spaced, n=20',
      `p50 ${ms(packageP50)} · p95 ${ms(percentile(packageTrips, 95))}`,
    );
    // Compile costs what Hello World's does (the compile server warms up with this package); the run
    // pays for Newtonsoft.Json's own first call (reflection, Reflection.Emit, a dozen more framework
    // assemblies), which no sandbox can have ready before it knows the program.
    report(
      '    of which compile / run (p50)',
      `${ms(
        percentile(
          packageSplit.map((t) => t.compile),
          50,
        ),
      )} / ${ms(
        percentile(
          packageSplit.map((t) => t.run),
          50,
        ),
      )}`,
    );
    report(
      '(p) Hello World, the same way, alternating with it, n=20',
      `p50 ${ms(helloP50)} · p95 ${ms(percentile(helloTrips, 95))}`,
    );
    report(
      '(p) ratio package / Hello World p50 (target ≤ 3)',
      `${(packageP50 / helloP50).toFixed(2)} ${packageP50 / helloP50 <= 3 ? 'met' : 'NOT met'}`,
    );
    await runner.stop(0);

    // (b) the CLI
    const helloFile = join(work, 'hello.cs');
    await writeFile(helloFile, HELLO);
    const cli: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await run(process.execPath, [join(root, 'bin', 'sharpbox.js'), 'run', helloFile, '--json'], {
        cwd: root,
      });
      assert.equal(JSON.parse(r.stdout).status, 'ok', r.stderr);
      cli.push(r.ms);
    }
    report(
      '(b) round trip, CLI (new process + runner each time, n=10)',
      `p50 ${ms(percentile(cli, 50))} · p95 ${ms(percentile(cli, 95))}`,
    );

    // (c) the floor again, after everything else
    const floorAfter = await measureFloor(config, work);
    const floorP50 = percentile([...floorBefore, ...floorAfter], 50);
    const floorDrift = Math.abs(percentile(floorAfter, 50) - percentile(floorBefore, 50)) / percentile(floorBefore, 50);
    report(
      '(c) floor: bare `dotnet exec` of a precompiled Hello World, before / after (n=30 each)',
      `p50 ${ms(percentile(floorBefore, 50))} / ${ms(percentile(floorAfter, 50))} · p95 ${ms(percentile(floorBefore, 95))} / ${ms(percentile(floorAfter, 95))}`,
    );
    if (floorDrift > 0.2)
      report(
        '    WARNING: the floor moved by more than 20% during the bench',
        `${(floorDrift * 100).toFixed(0)}%: the machine was busy; ratios below are not reliable`,
      );

    // (d) the seed's method, all of it: a new console project, build, run
    const seed: number[] = [];
    const dotnetEnv = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' };
    for (let i = 0; i < 2; i++) {
      const project = join(work, `seed${i}`);
      const started = performance.now();
      const created = await run('dotnet', ['new', 'console', '-o', project, '--force'], { env: dotnetEnv });
      assert.equal(created.code, 0, created.stderr);
      await writeFile(join(project, 'Program.cs'), HELLO);
      const build = await run('dotnet', ['build', project, '-nologo', '-v', 'q'], { env: dotnetEnv });
      assert.equal(build.code, 0, build.stdout + build.stderr);
      const exec = await run('dotnet', ['run', '--project', project, '--no-build'], { env: dotnetEnv });
      assert.equal(exec.stdout, 'Hello, World!\n', exec.stderr);
      seed.push(performance.now() - started);
    }
    const seedP50 = percentile(seed, 50);
    report(
      '(d) seed method: dotnet new console + dotnet build + dotnet run',
      `${ms(seedP50)} (median of ${seed.length})`,
    );

    // (n) what a C# user would pick today: the .NET 10 SDK's file-based `dotnet run file.cs`, new content each time, no sandbox
    const fileBased: number[] = [];
    for (let i = 0; i < 12; i++) {
      const file = join(work, 'snippet.cs');
      await writeFile(file, `${HELLO} // ${i}`);
      const r = await run('dotnet', ['run', file], { env: dotnetEnv, cwd: work });
      assert.equal(r.stdout, 'Hello, World!\n', r.stderr);
      if (i >= 2) fileBased.push(r.ms); // the first two warm the SDK's build server
    }
    const fileP50 = percentile(fileBased, 50);
    report(
      '(n) `dotnet run file.cs` (.NET 10 file-based program, new content each time, no sandbox), warm, n=10',
      `p50 ${ms(fileP50)} · p95 ${ms(percentile(fileBased, 95))}`,
    );

    // (o) the real service process from outside: start, and memory by process, without and with the bot
    const { measureService } = await import('./serviceProcess.js');
    for (const withBot of [false, true]) {
      const m = await measureService(withBot, work);
      const label = withBot ? 'with the bot (Discord fake)' : 'without the bot';
      report(`(o) \`node dist/src/main.js\` ${label}: spawn → "up"`, ms(m.startMs));
      report(
        `(o) ${label}, idle RSS: service / compile servers / waiting sandboxes / all`,
        `${mb(m.serviceRss)} / ${mb(m.compilerRss)} (${m.compilers}) / ${mb(m.sandboxRss)} (${m.sandboxes}) / ${mb(m.totalRss)}`,
      );
    }

    // (q) the fleet over Redis: cross-process event delay, Redis memory; then the real sandbox's line
    const { reportFleet } = await import('./fleet.js');
    await reportFleet(report);

    // (j) the aci backend in simulation, with a 30 s container start-up
    const { aciRun } = await import('./aci.js');
    const aci = await aciRun(30_000, false);
    report(
      '(j) aci (simulated, 30 s start-up): end to end / container / ours',
      `${ms(aci.totalMs)} / ${ms(aci.containerMs)} / ${ms(aci.overheadMs)} (${aci.status})`,
    );
    const warm = await aciRun(30_000, true);
    report('(j) aci with a warm pool (30 s start-up hidden): end to end', `${ms(warm.totalMs)} (${warm.status})`);

    // (m) the aci backend under the fair-use load for 10 minutes of Azure time, in each mode
    const { reportAciLoad } = await import('./aciLoad.js');
    await reportAciLoad(report);

    const { reportImageSizes } = await import('./docker.js');
    await reportImageSizes(report);

    console.log('');
    const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    report(
      'ratio spaced round trip p50 / floor p50 (target ≤ 0.6)',
      `${(tripP50 / floorP50).toFixed(2)} ${met(tripP50 / floorP50 <= 0.6)}`,
    );
    report(
      'ratio back-to-back round trip p50 / floor p50 (target ≤ 1.0)',
      `${(b2bP50 / floorP50).toFixed(2)} ${met(b2bP50 / floorP50 <= 1.0)}`,
    );
    report(
      'ratio seed method / spaced round trip p50 (target ≥ 30)',
      `${(seedP50 / tripP50).toFixed(0)} ${met(seedP50 / tripP50 >= 30)}`,
    );
    report(
      'ratio `dotnet run file.cs` / spaced round trip p50 (target ≥ 5)',
      `${(fileP50 / tripP50).toFixed(1)} ${met(fileP50 / tripP50 >= 5)}`,
    );
    report(
      'ratio throughput / bare `dotnet exec` throughput, Hello World (the ceiling of a process per run)',
      `${(helloRate / floorRate).toFixed(2)}`,
    );
    report('targets: ≥ 30 Hello World runs/s on this machine', met(helloRate >= 30));
    report('targets: Discord first reply p50 ≤ 100 ms', discord.p50 <= 100 ? 'met' : 'NOT met');
    report(
      'targets: feed p99 event delay ≤ 50 ms, with and without a slow client',
      feed.p99 <= 50 && feed.p99WithSlow <= 50 ? 'met' : 'NOT met',
    );
    report('targets: aci overhead beyond container time ≤ 1 s', aci.overheadMs <= 1000 ? 'met' : 'NOT met');
    report('targets: aci with the warm pool, end to end ≤ 3 s', warm.totalMs <= 3000 ? 'met' : 'NOT met');
    report(
      'targets: service ≤ 150 MB, compile server ≤ 400 MB idle (in-process runner)',
      met(idleService <= 150e6 && (idleCompiler ?? Infinity) <= 400e6),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
