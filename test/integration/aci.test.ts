// The aci backend end to end without Azure: the real @azure/storage-blob against a real Azurite, the
// real @azure/arm-containerinstance against the ARM fake (test/fakes/arm.ts) over HTTPS, signed in by
// DefaultAzureCredential through the fake Entra, as in production. The fake's "container" really runs
// container/entry.sh: it downloads the code from Azurite through the SAS URL, compiles and runs it with
// the runner host, and uploads the result. After every scenario no group and no blob remains.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { AciBackend } from '../../src/runner/backends/aci/index.js';
import { createRunner, type Runner, type RunResult } from '../../src/runner/index.js';
import { FakeArm } from '../fakes/arm.js';
import { AZURE_LIMITS } from '../fakes/armLimits.js';
import { aciTestEnv, useFakeIdentity } from '../support/aciEnv.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { show } from '../support/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let azurite: Azurite;
let arm: FakeArm;
let dir = '';
const runners: Runner[] = [];

function env(over: Record<string, string> = {}): Record<string, string> {
  return aciTestEnv(arm, azurite.connectionString, over);
}

async function aciRunner(over: Record<string, string> = {}): Promise<Runner> {
  const runner = await createRunner(loadConfig({ ...process.env, ...env(over) }), { log: createLogger('silent') });
  runners.push(runner);
  return runner;
}

async function run(runner: Runner, source: string, stdin = ''): Promise<RunResult> {
  const s = runner.submit({ source, stdin });
  assert.ok(s.ok);
  return s.handle.result;
}

async function blobsLeft(): Promise<string[]> {
  const names: string[] = [];
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('sharpbox-runs');
  if (!(await container.exists())) return names;
  for await (const b of container.listBlobsFlat()) names.push(b.name);
  return names;
}

before(async () => {
  azurite = await startAzurite();
  arm = await FakeArm.start();
  useFakeIdentity(arm);
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-aci-'));
});
afterEach(async () => {
  arm.reset();
  // Nothing left behind, whatever the scenario.
  assert.deepEqual([...arm.groups.keys()], [], 'container groups left behind');
  assert.deepEqual(await blobsLeft(), [], 'blobs left behind');
});
after(async () => {
  for (const r of runners) await r.stop(0);
  await arm?.stop();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the aci backend', () => {
  it('runs a program: upload, read-only short SAS, create, poll, result, delete', async () => {
    const runner = await aciRunner();
    const before = arm.creates().length;
    const r = await run(runner, 'Console.WriteLine($"Hello from {Console.ReadLine()}!");', 'ACI');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'Hello from ACI!\n');
    const put = arm.creates()[before] as { tags: Record<string, string>; properties: { restartPolicy: string; ipAddress?: unknown; containers: { properties: { environmentVariables: { name: string; value?: string; secureValue?: string }[] } }[] } };
    assert.equal(put.properties.restartPolicy, 'Never');
    assert.equal(put.properties.ipAddress, undefined, 'no public IP');
    assert.deepEqual(Object.keys(put.tags).sort(), ['app', 'createdAt', 'expiresAt', 'instance', 'runId']);
    const vars = Object.fromEntries(put.properties.containers[0]?.properties.environmentVariables.map((e) => [e.name, e]) ?? []);
    for (const name of ['SHARPBOX_SOURCE_URL', 'SHARPBOX_STDIN_URL', 'SHARPBOX_RESULT_URL']) {
      assert.ok(vars[name]?.secureValue && vars[name]?.value === undefined, `${name} is a secure variable`);
    }
    const sas = (name: string) => new URL(vars[name]?.secureValue ?? '').searchParams;
    assert.equal(sas('SHARPBOX_SOURCE_URL').get('sp'), 'r', 'the code is shared read-only');
    assert.equal(sas('SHARPBOX_RESULT_URL').get('sp'), 'cw', 'the result is write-only');
    const lifetime = Date.parse(sas('SHARPBOX_SOURCE_URL').get('se') ?? '') - Date.parse(sas('SHARPBOX_SOURCE_URL').get('st') ?? '');
    assert.ok(lifetime <= 6 * 60_000, `the SAS lives ${lifetime} ms: minutes, not half an hour`);
    // The SAS is dead once the run is over (the blob is gone).
    assert.equal((await fetch(vars.SHARPBOX_SOURCE_URL?.secureValue ?? '')).status, 404);
  });

  it('reports a compile error from the container', async () => {
    const r = await run(await aciRunner(), 'int x = "no";');
    assert.equal(r.status, 'compile_error', show(r));
    assert.equal(r.diagnostics[0]?.id, 'CS0029');
  });

  it('reports a timeout enforced inside the container', async () => {
    const r = await run(await aciRunner({ RUN_TIMEOUT_MS: '1500' }), 'while (true) { }');
    assert.equal(r.status, 'timeout', show(r));
  });

  it("rides out ARM's write throttling on create (429, Retry-After) and still runs", async () => {
    const runner = await aciRunner();
    // A burst of writes before ours, and a slow refill (a token a second, where Azure gives ten), so the
    // bucket is still empty when the run, after its uploads, sends its PUT.
    arm.setLimits({ buckets: { ...AZURE_LIMITS.buckets, writes: { size: 200, refillPerSecond: 1 } } });
    arm.drain('writes');
    const since = arm.log.length;
    const r = await run(runner, 'Console.WriteLine("after throttling");');
    assert.equal(r.status, 'ok', show(r));
    const puts = arm.log.slice(since).filter((l) => l.method === 'PUT');
    assert.equal(puts[0]?.status, 429);
    assert.equal(puts[0]?.headers['Retry-After'], '1');
    assert.equal(puts[1]?.status, 201);
    assert.ok((puts[1]?.at ?? 0) - (puts[0]?.at ?? 0) >= 1000, 'the retry waited for Retry-After');
  });

  it('turns a spent create budget (minutes to wait) into a clear internal_error at once', async () => {
    const runner = await aciRunner();
    arm.exhaust('creates', 'westeurope'); // 100 creates in the last 5 minutes
    const since = arm.log.length;
    const started = Date.now();
    const r = await run(runner, 'Console.WriteLine(1);');
    assert.equal(r.status, 'internal_error', show(r));
    assert.equal(r.reason, 'the cloud sandbox is at capacity; try again in a few minutes');
    const puts = arm.log.slice(since).filter((l) => l.method === 'PUT');
    assert.equal(puts.length, 1, 'no sleeping through a five-minute Retry-After');
    assert.ok(Number(puts[0]?.headers['Retry-After']) > 200);
    assert.ok(Date.now() - started < 5000);
  });

  it('treats a 404 right after create as pending', async () => {
    // While the group is still starting, as it is in Azure when ARM's reads lag behind its write.
    arm.scenario = { notFoundAfterCreate: 2, startupDelayMs: 500 };
    const r = await run(await aciRunner(), 'Console.WriteLine("found");');
    assert.equal(r.status, 'ok', show(r));
  });

  it('reports a failed deployment (LRO Failed) as internal_error and cleans up', async () => {
    arm.scenario = { provisioning: 'Failed' };
    const r = await run(await aciRunner(), 'Console.WriteLine(1);');
    assert.equal(r.status, 'internal_error', show(r));
  });

  it('gives up on a container that never terminates, at the deadline, and deletes it', async () => {
    arm.scenario = { neverStarts: true };
    const started = Date.now();
    const r = await run(await aciRunner({ RUN_TIMEOUT_MS: '500', COMPILE_TIMEOUT_MS: '500', ACI_STARTUP_ALLOWANCE_MS: '1000' }), 'Console.WriteLine(1);');
    assert.equal(r.status, 'internal_error', show(r));
    assert.equal(r.reason, 'the sandbox did not start in time');
    assert.ok(Date.now() - started < 8000);
  });

  it('cancels mid-run: the group is deleted with the program in it', async () => {
    const runner = await aciRunner({ RUN_TIMEOUT_MS: '20000' });
    const s = runner.submit({ source: 'Console.WriteLine("started"); Thread.Sleep(20000);' });
    assert.ok(s.ok);
    const until = Date.now() + 15_000;
    while (![...arm.groups.values()].some((g) => g.container.state === 'Running') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    s.handle.cancel();
    const r = await s.handle.result;
    assert.equal(r.status, 'cancelled', show(r));
  });

  it('sweeps what a killed service left between create and delete, at the next start', async () => {
    const file = join(dir, 'sleepy.cs');
    await writeFile(file, 'Thread.Sleep(30000);');
    const short = { RUN_TIMEOUT_MS: '500', COMPILE_TIMEOUT_MS: '500', ACI_STARTUP_ALLOWANCE_MS: '1000', ACI_SWEEP_GRACE_MS: '0' };
    const cli = spawn(process.execPath, [join(root, 'bin', 'sharpbox.js'), 'run', file, '--json'], { env: { ...process.env, ...env(short) }, stdio: 'ignore' });
    const until = Date.now() + 20_000;
    while (arm.groups.size === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
    assert.equal(arm.groups.size, 1, 'the orphaned group');
    assert.ok((await blobsLeft()).length > 0, 'the orphaned blobs');
    await new Promise((r) => setTimeout(r, 2500)); // past the orphan's expiry (2 s deadline + 0 grace)
    await aciRunner(short); // start-up sweeps
  });

  it('runs on a warm pool group when one is waiting, and refills the pool', async () => {
    const runner = await aciRunner({ ACI_WARM_POOL: '1' });
    const backend = runner.backend;
    assert.ok(backend instanceof AciBackend);
    await backend.poolReady();
    const poolGroup = [...arm.groups.keys()][0];
    const putsBefore = arm.creates().length;
    const r = await run(runner, 'Console.WriteLine("warm");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'warm\n');
    assert.ok(!arm.groups.has(poolGroup as string), 'the pool group ran the program and was deleted');
    assert.equal(arm.creates().length, putsBefore + 1, 'one new group: the refill, not a cold run');
    await backend.poolReady();
    await runner.stop(0); // stopping deletes the waiting pool group too
    runners.splice(runners.indexOf(runner), 1);
  });

  it('runs `sharpbox run FILE --backend aci` against the fakes', async () => {
    const file = join(dir, 'hello.cs');
    await writeFile(file, 'Console.WriteLine("CLI on ACI");');
    const out = await new Promise<string>((resolveOut) => {
      const { SHARPBOX_BACKEND: _b, ...rest } = env();
      void _b;
      const child = spawn(process.execPath, [join(root, 'bin', 'sharpbox.js'), 'run', file, '--backend', 'aci', '--json'], { env: { ...process.env, ...rest } });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', () => resolveOut(stdout));
    });
    const result = JSON.parse(out) as RunResult;
    assert.equal(result.status, 'ok', out);
    assert.equal(result.stdout, 'CLI on ACI\n');
  });
});
