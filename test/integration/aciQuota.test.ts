// The aci backend against Azure's quotas, on the strict ARM fake with a fast clock (Azure's minutes pass
// in seconds) and the simulated container (test/fakes/armSimContainer.ts: the image's protocol without
// .NET, so that many runs fit in a test): runs over the create budget wait in the queue, told where they
// are and about when they start, and then run; ARM reads stay within the read budget; workers serve many
// runs per create, retire when they should and honour a cancel. After each, no group and no blob remains.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { AciBackend } from '../../src/runner/backends/aci/index.js';
import { createRunner, type Runner, type RunEvent, type RunResult } from '../../src/runner/index.js';
import { FakeArm } from '../fakes/arm.js';
import { simRuntime } from '../fakes/armSimContainer.js';
import { FakeClock } from '../fakes/clock.js';
import { aciTestEnv, fakeTimeBudget, useFakeIdentity } from '../support/aciEnv.js';
import { blobsIn, startAzurite, type Azurite } from '../support/azurite.js';
import { show } from '../support/runner.js';

/** Fake ms per real ms: five minutes of Azure time in five seconds. */
const RATE = 60;
const HELLO = 'Console.WriteLine("Hello");';
let azurite: Azurite;
let arm: FakeArm;
let clock: FakeClock;
const runners: { runner: Runner; backend: AciBackend }[] = [];

before(async () => {
  azurite = await startAzurite();
  clock = new FakeClock(Date.now, RATE);
  // 3 s of compile and run in Azure time: 50 ms here.
  arm = await FakeArm.start({ clock, runtime: simRuntime(clock, { compileMs: 1500, runMs: 1500, stdout: 'Hello\n' }) });
  useFakeIdentity(arm);
});
afterEach(async () => {
  for (const { runner, backend } of runners.splice(0)) {
    await runner.stop(0);
    await backend.cleanupsDone();
  }
  // Deletes are long-running on the fake (Deleting, then gone): wait for them to end.
  const until = Date.now() + 10_000;
  while (arm.groups.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual([...arm.groups.keys()], [], 'container groups left behind');
  assert.deepEqual(await blobsLeft(), [], 'blobs left behind');
  arm.reset();
});
after(async () => {
  await arm?.stop();
  await azurite?.stop();
});

function blobsLeft(): Promise<string[]> {
  return blobsIn(azurite.connectionString);
}

/** An aci runner on the fast clock: every time it is configured with is Azure time divided by RATE. */
async function runnerWith(
  over: Record<string, string>,
): Promise<{ runner: Runner; backend: AciBackend; config: Config }> {
  const config = loadConfig({
    ...process.env,
    ...aciTestEnv(arm, azurite.connectionString, {
      RUN_TIMEOUT_MS: '500',
      COMPILE_TIMEOUT_MS: '500',
      ACI_STARTUP_ALLOWANCE_MS: '5000',
      ACI_RESULT_POLL_MS: '50',
      ACI_STATE_POLL_MS: '100',
      ACI_INSPECT_MS: '500',
      ...over,
    }),
  });
  const log = createLogger('silent');
  const backend = new AciBackend(config, log, undefined, fakeTimeBudget(config.aci, clock));
  const runner = await createRunner(config, { backend, log });
  runners.push({ runner, backend });
  return { runner, backend, config };
}

function submit(
  runner: Runner,
  source = HELLO,
): { events: RunEvent[]; result: Promise<RunResult>; cancel: () => void } {
  const s = runner.submit({ source });
  assert.ok(s.ok, JSON.stringify(s));
  const events: RunEvent[] = [];
  s.handle.on((e) => events.push(e));
  return { events, result: s.handle.result, cancel: () => s.handle.cancel() };
}

const creates = () => arm.log.filter((l) => l.method === 'PUT' && l.status < 300);

describe('the aci backend under the create quota', () => {
  it('holds a run over the create budget in the queue, with its place and an estimate, and runs it when the window has room: never an error', async () => {
    const { runner } = await runnerWith({ ACI_CREATES_PER_5MIN: '2' });
    const since = arm.log.length;
    const runs = [submit(runner), submit(runner), submit(runner)];
    const third = runs[2] as (typeof runs)[number];
    const results = await Promise.all(runs.map((r) => r.result));
    for (const r of results) assert.equal(r.status, 'ok', show(r));
    // The third waited for the 5-minute window (5 s here), told so while it waited.
    const told = third.events.filter(
      (e): e is Extract<RunEvent, { type: 'queued' }> => e.type === 'queued' && e.etaMs !== undefined,
    );
    assert.ok(told.length > 0, `queued events: ${JSON.stringify(third.events.filter((e) => e.type === 'queued'))}`);
    const eta = told[0]?.etaMs ?? 0;
    assert.ok(
      eta > clock.realMs(4 * 60_000) && eta <= clock.realMs(5 * 60_000) + 100,
      `estimate ${eta} ms for a 5-minute window at rate ${RATE}`,
    );
    const puts = creates().filter((l) => arm.log.indexOf(l) >= since);
    assert.equal(puts.length, 3);
    // Counted from the first grant, a moment (its uploads) before its PUT.
    assert.ok(
      (puts[2]?.fakeAt ?? 0) - (puts[0]?.fakeAt ?? 0) >= 5 * 60_000 - 10_000,
      `the third create waited for the first to leave the window: ${puts.map((p) => p.fakeAt - (puts[0]?.fakeAt ?? 0)).join(', ')}; ${JSON.stringify(third.events.slice(0, 4))}`,
    );
    assert.equal(arm.log.slice(since).filter((l) => l.status === 429).length, 0, 'Azure never had to refuse');
  });

  it('counts a warm pool member as a create: the pool waits for the budget too', async () => {
    const since = creates().length;
    const { runner, backend } = await runnerWith({
      ACI_CREATES_PER_5MIN: '2',
      ACI_WARM_POOL: '3',
      ACI_POOL_IDLE_MS: '60000',
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(creates().length - since, 2, 'the third member waits for room in the window');
    await backend.poolReady(10_000);
    assert.equal((await submit(runner).result).status, 'ok');
  });
});

describe('the aci backend and ARM reads', () => {
  it('finds results by listing, not by reading each group: 8 runs at once stay within the read budget, no 429', async () => {
    const { runner } = await runnerWith({ ACI_ARM_READS_PER_10S: '100', ACI_CONCURRENCY: '8' });
    const since = arm.log.length;
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => submit(runner).result));
    for (const r of results) assert.equal(r.status, 'ok', show(r));
    const reads = arm.log.slice(since).filter((l) => l.method === 'GET');
    const seconds = (Date.now() - started) / 1000;
    // 100 per 10 s of our own clock (real time here): at most 10 a second whatever the runs.
    assert.ok(reads.length <= 10 * seconds + 100, `${reads.length} reads in ${seconds.toFixed(1)} s`);
    assert.equal(arm.log.slice(since).filter((l) => l.status === 429).length, 0);
    const lists = reads.filter((l) => l.path.endsWith('/containerGroups'));
    assert.ok(lists.length > 0, 'the groups are listed');
  });
});

describe('the aci backend with workers', () => {
  it('serves many runs per group, one after another, and starts a new worker when one has served its runs', async () => {
    const { runner, backend } = await runnerWith({
      ACI_MODE: 'workers',
      ACI_WORKERS: '1',
      ACI_WORKERS_IDLE: '1',
      ACI_WORKER_RUNS: '3',
      ACI_WORKER_LIFETIME_MS: '60000',
    });
    await backend.poolReady(10_000);
    const since = creates().length;
    for (let i = 0; i < 5; i++) assert.equal((await submit(runner).result).status, 'ok');
    // 5 runs, 3 per worker: the first worker (made before) and one more.
    assert.equal(creates().length - since, 1);
  });

  it('holds runs while no worker is free, with an estimate, starts another worker for them, and runs them all', async () => {
    arm.scenario = { startupDelayMs: 30_000 };
    const { runner, backend } = await runnerWith({
      ACI_MODE: 'workers',
      ACI_WORKERS: '2',
      ACI_WORKERS_IDLE: '1',
      ACI_WORKER_RUNS: '20',
      ACI_WORKER_LIFETIME_MS: '60000',
    });
    await backend.poolReady(10_000);
    const since = creates().length;
    const runs = Array.from({ length: 4 }, () => submit(runner));
    const results = await Promise.all(runs.map((r) => r.result));
    for (const r of results) assert.equal(r.status, 'ok', show(r));
    assert.ok(
      runs[1]?.events.some((e) => e.type === 'queued' && e.etaMs !== undefined),
      `the second run was told an estimate: ${JSON.stringify(runs[1]?.events)}`,
    );
    assert.equal(creates().length - since, 1, 'one more worker for the runs waiting');
  });

  it('cancels a run on a worker through its cancel blob; the worker serves the next run', async () => {
    const { runner, backend } = await runnerWith({
      ACI_MODE: 'workers',
      ACI_WORKERS: '1',
      ACI_WORKERS_IDLE: '1',
      RUN_TIMEOUT_MS: '60000',
    });
    await backend.poolReady(10_000);
    const since = creates().length;
    // Ten minutes of Azure time unless cancelled.
    const run = submit(runner, `// sim-run-ms: ${10 * 60_000}\nConsole.WriteLine(1);`);
    await new Promise((r) => setTimeout(r, 500));
    const t = Date.now();
    run.cancel();
    assert.equal((await run.result).status, 'cancelled');
    assert.ok(Date.now() - t < 1000, 'the user hears at once');
    assert.equal((await submit(runner).result).status, 'ok', 'the worker serves the next run');
    assert.equal(creates().length, since, 'no new worker: the same one was freed');
  });
});
