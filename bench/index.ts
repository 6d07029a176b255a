// `npm run bench`: sharpbox's speed, measured side by side in one run on this machine.
//   (a) Hello World round trip through the runner API, warm (p50, p95)
//   (b) the same through the CLI (a new process that starts its own runner each time)
//   (c) the floor: bare `dotnet exec` of a precompiled Hello World, no sandbox
//   (d) the seed's method: a fresh console project, `dotnet build` then `dotnet run`
//   (e) sustained throughput with every slot busy: Hello World, and a CPU-heavy program
//   (f) resident memory of the service and of the compile server, idle and under load
//   (g) the first run after start (cold)
//   (h) Discord: trigger → first reply against the Discord fake
//   (i) fair use under load: 200 submissions from 50 users within 10 s
//   (k) the admin feed: 100 clients while 20 runs/s flow for 30 s, then with a slow client added
//   (j) the aci backend against Azurite and the ARM fake with a 30 s container start-up: our overhead
//   (l) the sizes of the service and sandbox images, if `npm run test:docker` built them
//   (m) the aci backend under the fair-use rate (60 runs/min) for 10 minutes of Azure time against
//       Azure's default quotas, per mode (a group per run, warm pool, workers): bench/aciLoad.ts
// and the ratios round trip / floor and seed method / round trip.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
const CPU_HEAVY = 'long sum = 0; for (int n = 2; n < 300_000; n++) { bool prime = true; for (int d = 2; (long)d * d <= n; d++) if (n % d == 0) { prime = false; break; } if (prime) sum += n; } Console.WriteLine(sum);';
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 40);

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
    report('(g) cold: service start (runner ready)', ms(startMs));
    report('(g) cold: first Hello World after start', `${ms(first.ms)} (compile ${first.result.compileMs} ms, run ${first.result.runMs} ms)`);

    const backend = backendOf(runner);
    assert.ok(backend instanceof LocalBackend);
    await backend.idle();
    const idleService = process.memoryUsage().rss;
    const idleCompiler = await rssOf(await backend.compilerPid());

    // (a) warm round trip
    for (let i = 0; i < 5; i++) await runOnce(runner, HELLO);
    const trips: number[] = [];
    const compiles: number[] = [];
    const runs: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      await backend.idle(); // each trip finds its slot's sandbox waiting, as a real request would
      // A different source each time (a comment), so nothing could be served from a cache.
      const { result, ms: t } = await runOnce(runner, `${HELLO} // trip ${i}`);
      assert.equal(result.stdout, 'Hello, World!\n');
      trips.push(t);
      compiles.push(result.compileMs ?? 0);
      runs.push(result.runMs ?? 0);
    }
    const tripP50 = percentile(trips, 50);
    report(`(a) round trip, runner API, warm (n=${ROUND_TRIPS})`, `p50 ${ms(tripP50)} · p95 ${ms(percentile(trips, 95))}`);
    report('    of which compile / run (p50)', `${ms(percentile(compiles, 50))} / ${ms(percentile(runs, 50))}`);

    // (e) throughput with every slot busy, and (f) memory under load
    let peakService = 0;
    let peakCompiler = 0;
    const sampler = setInterval(() => {
      peakService = Math.max(peakService, process.memoryUsage().rss);
      void backend.compilerPid().then(rssOf).then((r) => (peakCompiler = Math.max(peakCompiler, r ?? 0)));
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
    report('(e) throughput, CPU-heavy (primes < 300k), all slots busy (20 runs)', `${cpuRate.toFixed(1)} runs/s`);
    report('(f) service RSS idle / under load', `${mb(idleService)} / ${mb(peakService)}`);
    report('(f) compile server RSS idle / under load', `${mb(idleCompiler)} / ${mb(peakCompiler)}`);
    // Fair use under load
    await backend.idle();
    const load = await fairUseLoad(runner, config);
    report('(i) fair use: 200 submissions from 50 users in 10 s', `answered ${load.answered}/200 (ran ${load.ran}, refused ${load.refused}, failed ${load.failed}) in ${load.seconds.toFixed(1)} s`);
    report('(i) RSS before / after the load; JS heap in use before / after (after GC)', `${mb(load.rssBefore)} / ${mb(load.rssAfter)}; ${mb(load.heapBefore)} / ${mb(load.heapAfter)}`);

    // (k) the admin feed under load
    await backend.idle();
    const { feedUnderLoad } = await import('./feed.js');
    const feed = await feedUnderLoad(runner, 30, 10);
    report('(k) feed: 100 clients, 20 runs/s for 30 s: event delay p50 / p99', `${ms(feed.p50)} / ${ms(feed.p99)} (${feed.events} events, ${feed.runs} runs)`);
    report('(k) feed: the same with one client that never reads: p99', `${ms(feed.p99WithSlow)} (slow client dropped: ${feed.slowDropped})`);

    // Discord: trigger → first reply, against the fake
    // Loaded here, not at the top: the memory figures above are of the runner alone (as in a service).
    const { firstReplyLatency } = await import('./discord.js');
    const discord = await firstReplyLatency(runner, work, 30);
    report('(h) Discord: trigger → first reply (pending), against the fake, n=30', `p50 ${ms(discord.p50)} · p95 ${ms(discord.p95)}`);
    await runner.stop(0);

    // (b) the CLI
    const helloFile = join(work, 'hello.cs');
    await writeFile(helloFile, HELLO);
    const cli: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await run(process.execPath, [join(root, 'bin', 'sharpbox.js'), 'run', helloFile, '--json'], { cwd: root });
      assert.equal(JSON.parse(r.stdout).status, 'ok', r.stderr);
      cli.push(r.ms);
    }
    report('(b) round trip, CLI (new process + runner each time, n=10)', `p50 ${ms(percentile(cli, 50))} · p95 ${ms(percentile(cli, 95))}`);

    // (c) the floor: bare dotnet exec of a precompiled Hello World
    const compiled = await run('dotnet', [join(config.sandbox.hostDir, 'sharpbox-host.dll'), 'compile'], { input: JSON.stringify({ source: HELLO }) });
    const response = JSON.parse(compiled.stdout) as { assembly: string };
    await writeFile(join(work, 'hello.dll'), Buffer.from(response.assembly, 'base64'));
    await writeFile(join(work, 'hello.runtimeconfig.json'), JSON.stringify({ runtimeOptions: { tfm: 'net10.0', framework: { name: 'Microsoft.NETCore.App', version: '10.0.0' } } }));
    const floor: number[] = [];
    for (let i = 0; i < 5; i++) await run('dotnet', [join(work, 'hello.dll')]);
    for (let i = 0; i < 30; i++) {
      const r = await run('dotnet', [join(work, 'hello.dll')]);
      assert.equal(r.stdout, 'Hello, World!\n', r.stderr);
      floor.push(r.ms);
    }
    const floorP50 = percentile(floor, 50);
    report('(c) floor: bare `dotnet exec` of a precompiled Hello World (n=30)', `p50 ${ms(floorP50)} · p95 ${ms(percentile(floor, 95))}`);

    // (d) the seed's method
    const seed: number[] = [];
    for (let i = 0; i < 2; i++) {
      const project = join(work, `seed${i}`);
      const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' };
      const created = await run('dotnet', ['new', 'console', '-o', project, '--force'], { env });
      assert.equal(created.code, 0, created.stderr);
      await writeFile(join(project, 'Program.cs'), HELLO);
      const started = performance.now();
      const build = await run('dotnet', ['build', project, '-nologo', '-v', 'q'], { env });
      assert.equal(build.code, 0, build.stdout + build.stderr);
      const exec = await run('dotnet', ['run', '--project', project, '--no-build'], { env });
      assert.equal(exec.stdout, 'Hello, World!\n', exec.stderr);
      seed.push(performance.now() - started);
    }
    const seedP50 = percentile(seed, 50);
    report('(d) seed method: new console project, dotnet build + dotnet run', `${ms(seedP50)} (median of ${seed.length})`);

    // (j) the aci backend in simulation, with a 30 s container start-up
    const { aciRun } = await import('./aci.js');
    const aci = await aciRun(30_000, false);
    report('(j) aci (simulated, 30 s start-up): end to end / container / ours', `${ms(aci.totalMs)} / ${ms(aci.containerMs)} / ${ms(aci.overheadMs)} (${aci.status})`);
    const warm = await aciRun(30_000, true);
    report('(j) aci with a warm pool (30 s start-up hidden): end to end', `${ms(warm.totalMs)} (${warm.status})`);

    // (m) the aci backend under the fair-use load for 10 minutes of Azure time, in each mode
    const { reportAciLoad } = await import('./aciLoad.js');
    await reportAciLoad(report);

    const { reportImageSizes } = await import('./docker.js');
    await reportImageSizes(report);

    console.log('');
    report('ratio round trip p50 / floor p50 (target ≤ 1.0)', `${(tripP50 / floorP50).toFixed(2)}`);
    report('ratio seed method / round trip p50 (target ≥ 30)', `${(seedP50 / tripP50).toFixed(0)}`);
    report('targets: ≥ 10 Hello World runs/s', helloRate >= 10 ? 'met' : 'NOT met');
    report('targets: Discord first reply p50 ≤ 100 ms', discord.p50 <= 100 ? 'met' : 'NOT met');
    report('targets: feed p99 event delay ≤ 50 ms, with and without a slow client', feed.p99 <= 50 && feed.p99WithSlow <= 50 ? 'met' : 'NOT met');
    report('targets: aci overhead beyond container time ≤ 1 s', aci.overheadMs <= 1000 ? 'met' : 'NOT met');
    report('targets: aci with the warm pool, end to end ≤ 3 s', warm.totalMs <= 3000 ? 'met' : 'NOT met');
    report('targets: service ≤ 150 MB, compile server ≤ 400 MB idle', idleService <= 150e6 && (idleCompiler ?? Infinity) <= 400e6 ? 'met' : 'NOT met');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
