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
import type { ContainerGroup } from '@azure/arm-containerinstance';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createAciClients, type AciClients } from '../../src/runner/backends/aci/clients.js';
import { Cleanups } from '../../src/runner/backends/aci/cleanup.js';
import { HOST_TASKS } from '../../src/runner/backends/aci/containerEnv.js';
import { AciBackend } from '../../src/runner/backends/aci/index.js';
import { EXPIRES_TAG } from '../../src/runner/backends/aci/sweep.js';
import type { Runner, RunResult } from '../../src/runner/index.js';
import { FakeArm } from '../fakes/arm.js';
import { AZURE_LIMITS } from '../fakes/armLimits.js';
import { aciTestEnv, localBudget, useFakeIdentity } from '../support/aciEnv.js';
import { blobsIn, startAzurite, type Azurite } from '../support/azurite.js';
import { backendOf, createTestRunner, show } from '../support/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let azurite: Azurite;
let arm: FakeArm;
let dir = '';
const runners: Runner[] = [];

function env(over: Record<string, string> = {}): Record<string, string> {
  return aciTestEnv(arm, azurite.connectionString, over);
}

async function aciRunner(over: Record<string, string> = {}): Promise<Runner> {
  const runner = await createTestRunner(loadConfig({ ...process.env, ...env(over) }), { log: createLogger('silent') });
  runners.push(runner);
  return runner;
}

/** The aci backend under a runner of this file (private to the runner; test/support/runner.ts keeps it). */
function aciBackendOf(runner: Runner): AciBackend {
  const backend = backendOf(runner);
  assert.ok(backend instanceof AciBackend);
  return backend;
}

/** An aci runner whose SDK clients a test may adjust first (what Azure answers, what the container gets). */
async function patchedRunner(
  over: Record<string, string>,
  patch: (c: AciClients, backend: () => AciBackend) => void,
  log: Logger = createLogger('silent'),
): Promise<{ runner: Runner; backend: AciBackend }> {
  const config = loadConfig({ ...process.env, ...env(over) });
  const backend: AciBackend = new AciBackend(
    config,
    log,
    () => {
      const clients = createAciClients(config.aci);
      patch(clients, () => backend);
      return clients;
    },
    localBudget(config.aci),
  );
  const runner = await createTestRunner(config, { backend, log });
  runners.push(runner);
  return { runner, backend };
}

/** Every GET of a group answers with `change` applied: a state the fake does not produce by itself. */
function changeGroups(c: AciClients, change: (g: ContainerGroup) => ContainerGroup): void {
  const get = c.aci.containerGroups.get.bind(c.aci.containerGroups);
  c.aci.containerGroups.get = async (...args) => change(await get(...args));
}

async function run(runner: Runner, source: string, stdin = ''): Promise<RunResult> {
  const s = runner.submit({ source, stdin });
  assert.ok(s.ok);
  return s.handle.result;
}

function blobsLeft(): Promise<string[]> {
  return blobsIn(azurite.connectionString);
}

before(async () => {
  azurite = await startAzurite();
  arm = await FakeArm.start();
  useFakeIdentity(arm);
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-aci-'));
});
afterEach(async () => {
  // Deletes run in the background once a result is back: wait for them (bounded), then nothing may be left.
  for (const r of runners) await aciBackendOf(r).cleanupsDone();
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
    const put = arm.creates()[before] as {
      tags: Record<string, string>;
      properties: {
        restartPolicy: string;
        ipAddress?: unknown;
        containers: {
          properties: { environmentVariables: { name: string; value?: string; secureValue?: string }[] };
        }[];
      };
    };
    assert.equal(put.properties.restartPolicy, 'Never');
    assert.equal(put.properties.ipAddress, undefined, 'no public IP');
    assert.deepEqual(Object.keys(put.tags).sort(), ['app', 'createdAt', 'expiresAt', 'instance', 'runId']);
    const vars = Object.fromEntries(
      put.properties.containers[0]?.properties.environmentVariables.map((e) => [e.name, e]) ?? [],
    );
    for (const name of ['SHARPBOX_SOURCE_URL', 'SHARPBOX_STDIN_URL', 'SHARPBOX_RESULT_URL']) {
      assert.ok(vars[name]?.secureValue && vars[name]?.value === undefined, `${name} is a secure variable`);
    }
    const sas = (name: string) => new URL(vars[name]?.secureValue ?? '').searchParams;
    assert.equal(sas('SHARPBOX_SOURCE_URL').get('sp'), 'r', 'the code is shared read-only');
    assert.equal(sas('SHARPBOX_RESULT_URL').get('sp'), 'cw', 'the result is write-only');
    const lifetime =
      Date.parse(sas('SHARPBOX_SOURCE_URL').get('se') ?? '') - Date.parse(sas('SHARPBOX_SOURCE_URL').get('st') ?? '');
    assert.ok(lifetime <= 6 * 60_000, `the SAS lives ${lifetime} ms: minutes, not half an hour`);
    // The SAS is dead once the run's clean-up is over (the blob is gone).
    await aciBackendOf(runner).cleanupsDone();
    assert.equal((await fetch(vars.SHARPBOX_SOURCE_URL?.secureValue ?? '')).status, 404);
  });

  it("carries the run's compile options to the container: optimize and the language version", async () => {
    const runner = await aciRunner();
    const probe = '#if DEBUG\nConsole.WriteLine("DEBUG");\n#endif\nint[] xs = [1, 2];\nxs.Length';
    const debug = runner.submit({ source: probe, optimize: 'debug' });
    assert.ok(debug.ok);
    const r = await debug.handle.result;
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'DEBUG\n2\n');
    const old = runner.submit({ source: probe, langVersion: '11' });
    assert.ok(old.ok);
    const o = await old.handle.result;
    assert.equal(o.status, 'compile_error', show(o));
    assert.match(o.diagnostics[0]?.message ?? '', /not available in C# 11\.0/);
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

  it("turns Azure's spent create quota (spent by someone else: minutes to wait) into a clear internal_error at once, with when to try again", async () => {
    const runner = await aciRunner();
    arm.exhaust('creates', 'westeurope'); // 100 creates in the last 5 minutes
    const since = arm.log.length;
    const started = Date.now();
    const r = await run(runner, 'Console.WriteLine(1);');
    assert.equal(r.status, 'internal_error', show(r));
    const retry = Number(
      /^the cloud sandbox is at Azure's capacity for now; try again in (\d+) s$/.exec(r.reason ?? '')?.[1],
    );
    assert.ok(retry > 200 && retry <= 300, `the retry time Azure gave: ${r.reason}`);
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
    const r = await run(
      await aciRunner({ RUN_TIMEOUT_MS: '500', COMPILE_TIMEOUT_MS: '500', ACI_STARTUP_ALLOWANCE_MS: '1000' }),
      'Console.WriteLine(1);',
    );
    assert.equal(r.status, 'internal_error', show(r));
    assert.equal(r.reason, 'the sandbox did not start in time');
    assert.ok(Date.now() - started < 8000);
  });

  it('cancels mid-run: the group is deleted with the program in it', async () => {
    const runner = await aciRunner({ RUN_TIMEOUT_MS: '20000' });
    const s = runner.submit({ source: 'Console.WriteLine("started"); Thread.Sleep(20000);' });
    assert.ok(s.ok);
    const until = Date.now() + 15_000;
    const running = (): boolean => [...arm.groups.values()].some((g) => g.container.state === 'Running');
    while (!running() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    // Cancelled mid-run, not before the container started: otherwise this would prove a queued cancel.
    assert.ok(running(), 'the container reached Running before the cancel');
    s.handle.cancel();
    const r = await s.handle.result;
    assert.equal(r.status, 'cancelled', show(r));
  });

  it('sweeps what a killed service left between create and delete, at the next start', async () => {
    const file = join(dir, 'sleepy.cs');
    await writeFile(file, 'Thread.Sleep(30000);');
    const short = {
      RUN_TIMEOUT_MS: '500',
      COMPILE_TIMEOUT_MS: '500',
      ACI_STARTUP_ALLOWANCE_MS: '1000',
      ACI_SWEEP_GRACE_MS: '0',
    };
    const cli = spawn(process.execPath, [join(root, 'bin', 'sharpbox.js'), 'run', file, '--json'], {
      env: { ...process.env, ...env(short) },
      stdio: 'ignore',
    });
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
    const backend = aciBackendOf(runner);
    await backend.poolReady();
    const poolGroup = [...arm.groups.keys()][0];
    const putsBefore = arm.creates().length;
    const r = await run(runner, 'Console.WriteLine("warm");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'warm\n');
    await backend.cleanupsDone();
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
      const child = spawn(
        process.execPath,
        [join(root, 'bin', 'sharpbox.js'), 'run', file, '--backend', 'aci', '--json'],
        { env: { ...process.env, ...rest } },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', () => resolveOut(stdout));
    });
    const result = JSON.parse(out) as RunResult;
    assert.equal(result.status, 'ok', out);
    assert.equal(result.stdout, 'CLI on ACI\n');
  });
});

describe("the aci backend and Azure's states", () => {
  // The fake takes the group there after its (short) start-up, past the create's first LRO poll, so the
  // run sees the state in its own polling of the group, as it would in Azure.
  for (const state of ['Failed', 'Canceled', 'Deleting', 'NotAccessible'] as const) {
    it(`ends a run at once when Azure reports provisioningState ${state}, not after the start-up allowance`, async () => {
      arm.scenario = { provisioning: state, startupDelayMs: 1000 };
      const runner = await aciRunner({ ACI_STARTUP_ALLOWANCE_MS: '60000' });
      const started = Date.now();
      const r = await run(runner, 'Console.WriteLine(1);');
      assert.equal(r.status, 'internal_error', show(r));
      assert.equal(r.reason, `the cloud sandbox failed (Azure reported provisioningState ${state})`);
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    });
  }

  it('ends a run at once when the group is stopped, not after the start-up allowance', async () => {
    arm.scenario = { neverStarts: true };
    const runner = await aciRunner({ ACI_STARTUP_ALLOWANCE_MS: '60000' });
    const started = Date.now();
    const submitted = runner.submit({ source: 'Console.WriteLine(1);' });
    assert.ok(submitted.ok);
    while (arm.groups.size === 0 && Date.now() - started < 10_000) await new Promise((res) => setTimeout(res, 20));
    arm.setState([...arm.groups.keys()][0] as string, { groupState: 'Stopped' });
    const r = await submitted.handle.result;
    assert.equal(r.status, 'internal_error', show(r));
    assert.equal(r.reason, 'the cloud sandbox failed (Azure reported instanceView.state Stopped)');
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });

  it('waits out a group Azure is repairing (Unhealthy) to the deadline, and says so in the log once', async () => {
    arm.scenario = { provisioning: 'Unhealthy', startupDelayMs: 200 };
    const lines: string[] = [];
    const { runner } = await patchedRunner(
      { RUN_TIMEOUT_MS: '500', COMPILE_TIMEOUT_MS: '500', ACI_STARTUP_ALLOWANCE_MS: '1500' },
      () => undefined,
      createLogger('warn', (l) => lines.push(l)),
    );
    const r = await run(runner, 'Console.WriteLine(1);');
    assert.equal(r.reason, 'the sandbox did not start in time', show(r));
    assert.equal(lines.filter((l) => l.includes('in trouble') && l.includes('Unhealthy')).length, 1, lines.join(''));
  });

  it('treats a state it does not know as in progress until the deadline, logged once for all runs', async () => {
    // A value newer than any API version the fake knows: only a client-side change can show it.
    arm.scenario = { neverStarts: true };
    const lines: string[] = [];
    const { runner } = await patchedRunner(
      { RUN_TIMEOUT_MS: '500', COMPILE_TIMEOUT_MS: '500', ACI_STARTUP_ALLOWANCE_MS: '1000' },
      (c) => changeGroups(c, (g) => ({ ...g, provisioningState: 'Hibernating' })),
      createLogger('warn', (l) => lines.push(l)),
    );
    for (let i = 0; i < 2; i++)
      assert.equal((await run(runner, 'Console.WriteLine(1);')).reason, 'the sandbox did not start in time');
    assert.equal(
      lines.filter((l) => l.includes('does not know') && l.includes('Hibernating')).length,
      1,
      lines.join(''),
    );
  });
});

describe('the aci backend off the critical path', () => {
  it('returns the result while the group is still being deleted, and stop() waits for that delete', async () => {
    arm.scenario = { deleteDurationMs: 3000 };
    const runner = await aciRunner();
    const backend = aciBackendOf(runner);
    const r = await run(runner, 'Console.WriteLine("before the delete");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(backend.pendingCleanups, 1, 'the clean-up still running when the result came');
    assert.equal(arm.groups.size, 1, 'the group still there (Deleting for 3 s)');
    await runner.stop(0);
    runners.splice(runners.indexOf(runner), 1);
    assert.equal(arm.groups.size, 0, 'stop() waited for the background delete');
    assert.equal(backend.pendingCleanups, 0);
  });

  it('gives a background delete a deadline, and logs the one that misses it for the sweeper', async () => {
    arm.scenario = { neverStarts: true, deleteDurationMs: 5000 };
    const config = loadConfig({ ...process.env, ...env() });
    const clients = createAciClients(config.aci);
    const rg = config.aci.resourceGroup;
    await clients.aci.containerGroups.beginCreateOrUpdate(rg, 'sb-slowdelete', {
      location: config.aci.location,
      osType: 'Linux',
      restartPolicy: 'Never',
      containers: [{ name: 'runner', image: config.aci.image, resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
    });
    const lines: string[] = [];
    const cleanups = new Cleanups(
      () => ({ aci: clients.aci, container: clients.container, resourceGroup: rg, budget: localBudget(config.aci) }),
      createLogger('error', (l) => lines.push(l)),
      300,
    );
    const started = Date.now();
    cleanups.schedule({ id: 'slow', group: 'sb-slowdelete', prefixes: [] });
    assert.equal(await cleanups.waitAll(5000), true);
    assert.ok(Date.now() - started < 1500, `gave up after ${Date.now() - started} ms`);
    assert.equal(lines.length, 1, lines.join(''));
    assert.match(lines[0] ?? '', /could not delete the container group; the sweeper will.*not done within 0\.3 s/);
    while (arm.groups.size > 0 && Date.now() - started < 10_000) await new Promise((res) => setTimeout(res, 100)); // Azure finishes it anyway
  });
});

describe('the aci container and its storage', () => {
  it('stops at once when storage refuses its SAS (403), and the user hears why', async () => {
    const { runner } = await patchedRunner({ ACI_STARTUP_ALLOWANCE_MS: '60000' }, (c) => {
      const sign = c.sasUrl.bind(c);
      // A SAS storage no longer honours (expired or revoked) looks the same to the container: 403.
      c.sasUrl = async (blob, permissions, ttl) => {
        const url = await sign(blob, permissions, ttl);
        return blob.name.endsWith('/Program.cs') ? url.replace(/sig=[^&]+/, 'sig=revoked') : url;
      };
    });
    const started = Date.now();
    const r = await run(runner, 'Console.WriteLine(1);');
    assert.equal(r.status, 'internal_error', show(r));
    assert.equal(r.reason, "the container's access to storage expired");
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  });

  for (const missing of ['SHARPBOX_FILE_BYTES', 'SHARPBOX_MAX_PROCESSES']) {
    it(`refuses to run without ${missing} (no default of its own), as an image that does not match`, async () => {
      const { runner } = await patchedRunner({}, (c) => {
        const create = c.aci.containerGroups.beginCreateOrUpdate.bind(c.aci.containerGroups);
        c.aci.containerGroups.beginCreateOrUpdate = (rg, name, group, options) =>
          create(
            rg,
            name,
            {
              ...group,
              containers: group.containers.map((k) => ({
                ...k,
                environmentVariables: k.environmentVariables?.filter((e) => e.name !== missing),
              })),
            },
            options,
          );
      });
      const r = await run(runner, 'Console.WriteLine(1);');
      assert.equal(r.status, 'internal_error', show(r));
      assert.equal(r.reason, 'the sandbox image does not match this service (a setting it requires is missing)');
    });
  }

  it('enforces RUN_MAX_PROCESSES inside the container: a thread spree stops at the configured limit', async (t) => {
    const r = await run(
      await aciRunner({ RUN_MAX_PROCESSES: '20' }),
      // The console first: it starts a thread of its own the first time it writes.
      'Console.WriteLine("threads:"); var n = 0; try { while (true) { new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = true }.Start(); n++; } } catch (Exception) { } Console.WriteLine(n);',
    );
    assert.equal(r.status, 'ok', show(r));
    const threads = Number(r.stdout.replace('threads:', '').trim());
    t.diagnostic(`the program started ${threads} threads`);
    // 20 tasks for the program, its runtime's own threads among them (the container holds 20 + HOST_TASKS).
    assert.ok(threads >= 5 && threads <= 20, `started ${threads} threads (limit 20, container ${20 + HOST_TASKS})`);
  });

  it('tags the code and stdin with their expiry, and a sweep between the upload of the result and its download leaves it alone', async () => {
    let seen: { source: Record<string, string>; stdin: Record<string, string>; swept: number } | null = null;
    const { runner } = await patchedRunner({ ACI_SWEEP_GRACE_MS: '0' }, (c, backend) => {
      const container = c.container;
      // Just before the backend downloads the result (the container has uploaded it): a sweep.
      c.container = new Proxy(container, {
        get(target, key) {
          if (key !== 'getBlockBlobClient') return Reflect.get(target, key, target) as unknown;
          return (name: string) => {
            const blob = target.getBlockBlobClient(name);
            if (!name.endsWith('/result.json')) return blob;
            const download = blob.downloadToBuffer.bind(blob) as () => Promise<Buffer>;
            blob.downloadToBuffer = (async () => {
              const prefix = name.slice(0, -'result.json'.length);
              const tags = async (n: string) => (await target.getBlockBlobClient(`${prefix}${n}`).getTags()).tags;
              seen = {
                source: await tags('Program.cs'),
                stdin: await tags('stdin.txt'),
                swept: await backend().sweep(),
              };
              return download();
            }) as typeof blob.downloadToBuffer;
            return blob;
          };
        },
      }) as ContainerClient;
    });
    const put = arm.creates().length;
    const r = await run(runner, 'Console.WriteLine(Console.ReadLine());', 'kept');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'kept\n');
    assert.ok(seen, 'the sweep ran before the download');
    const { source, stdin, swept } = seen as {
      source: Record<string, string>;
      stdin: Record<string, string>;
      swept: number;
    };
    const expiresAt = (arm.creates()[put] as { tags: Record<string, string> }).tags.expiresAt;
    assert.deepEqual(source, { [EXPIRES_TAG]: expiresAt });
    assert.deepEqual(stdin, { [EXPIRES_TAG]: expiresAt });
    assert.equal(swept, 0);
  });

  it('sweeps blobs whose expiry tag has passed, with the untagged result of their run, and nothing else', async () => {
    const runner = await aciRunner();
    const backend = aciBackendOf(runner);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'sharpbox-runs',
    );
    const put = (name: string, tags?: Record<string, string>) =>
      container.getBlockBlobClient(name).upload('x', 1, tags ? { tags } : {});
    const past = new Date(Date.now() - 1000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await put('runs/2026-11-30/old/Program.cs', { [EXPIRES_TAG]: past });
    await put('runs/2026-11-30/old/result.json');
    await put('runs/2026-11-30/live/Program.cs', { [EXPIRES_TAG]: future });
    await put('runs/2026-11-30/live/result.json');
    await put('pool/old-member/assignment.json', { [EXPIRES_TAG]: past });
    assert.equal(await backend.sweep(), 2);
    assert.deepEqual((await blobsLeft()).sort(), [
      'runs/2026-11-30/live/Program.cs',
      'runs/2026-11-30/live/result.json',
    ]);
    for (const name of await blobsLeft()) await container.deleteBlob(name);
  });
});

describe('the warm pool and time', () => {
  it('serves a run after a start-up over 45 s, its SAS outliving the member and its retirement counted from the create', async () => {
    const startup = 46_000;
    const idle = 65_000;
    const allowance = 60_000;
    arm.scenario = { startupDelayMs: startup };
    const before = Date.now();
    const puts = arm.creates().length;
    const runner = await aciRunner({
      ACI_WARM_POOL: '2',
      ACI_POOL_IDLE_MS: String(idle),
      ACI_STARTUP_ALLOWANCE_MS: String(allowance),
    });
    const backend = aciBackendOf(runner);
    while (arm.creates().length < puts + 2 && Date.now() < before + 10_000)
      await new Promise((res) => setTimeout(res, 50));
    const members = [...arm.groups.keys()];
    assert.equal(members.length, 2);
    // The assignment SAS outlives the longest life a member can have: start-up, the wait, then a run.
    const life = allowance + idle + 15_000 + 3000;
    for (const body of arm.creates().slice(puts)) {
      const vars =
        (
          body as {
            properties: {
              containers: { properties: { environmentVariables: { name: string; secureValue?: string }[] } }[];
            };
          }
        ).properties.containers[0]?.properties.environmentVariables ?? [];
      const url = new URL(vars.find((v) => v.name === 'SHARPBOX_ASSIGNMENT_URL')?.secureValue ?? '');
      assert.ok(
        Date.parse(url.searchParams.get('se') ?? '') >= before + life,
        `the assignment SAS expires at ${url.searchParams.get('se')}`,
      );
    }
    await backend.poolReady(allowance);
    assert.ok(Date.now() - before >= startup);
    const r = await run(runner, 'Console.WriteLine("after a slow start");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'after a slow start\n');
    // The member nobody took is retired counted from its create (idle less the handover margin), not
    // from its readiness 46 s later: gone before its container could stop waiting.
    const idleMember = members.find(
      (g) => arm.groups.has(g) && arm.log.every((l) => !(l.method === 'DELETE' && l.path.endsWith(g))),
    );
    assert.ok(idleMember, 'one member still waits');
    while (arm.groups.has(idleMember) && Date.now() < before + idle + 5000)
      await new Promise((res) => setTimeout(res, 200));
    assert.ok(!arm.groups.has(idleMember), 'the idle member was retired');
    assert.ok(
      Date.now() < before + idle,
      `retired ${Date.now() - before} ms after the create (its container waits ${idle} ms from its start)`,
    );
    await runner.stop(0);
    runners.splice(runners.indexOf(runner), 1);
  });
});

/** Stops a runner whose groups outlive its runs (workers, a pool): its stop deletes them. */
async function stopRunner(runner: Runner): Promise<void> {
  await runner.stop(0);
  runners.splice(runners.indexOf(runner), 1);
}

describe('the aci backend with workers (the real image)', () => {
  const uidOf =
    'Console.WriteLine(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:")).Split(\'\\t\')[1]);';

  it('serves runs one after another in one group, each as a user of its own, nothing of one left for the next', async () => {
    const runner = await aciRunner({
      ACI_MODE: 'workers',
      ACI_WORKERS: '1',
      ACI_WORKERS_IDLE: '1',
      ACI_STARTUP_ALLOWANCE_MS: '30000',
    });
    await aciBackendOf(runner).poolReady(30_000);
    const puts = arm.creates().length;
    const first = await run(
      runner,
      `File.WriteAllText("/tmp/left-behind", "secret"); File.WriteAllText("/dev/shm/left", "secret"); ${uidOf}`,
    );
    assert.equal(first.status, 'ok', show(first));
    const second = await run(
      runner,
      `Console.WriteLine(File.Exists("/tmp/left-behind") || File.Exists("/dev/shm/left")); ${uidOf}`,
    );
    assert.equal(second.status, 'ok', show(second));
    assert.equal(first.stdout, '20001\n');
    assert.equal(second.stdout, 'False\n20002\n');
    assert.equal(arm.creates().length, puts, 'both on the worker that was waiting');
    // The job carries the run's compile options.
    const debug = runner.submit({ source: '#if DEBUG\nConsole.WriteLine("DEBUG");\n#endif\n1 + 1', optimize: 'debug' });
    assert.ok(debug.ok);
    const third = await debug.handle.result;
    assert.equal(third.stdout, 'DEBUG\n2\n', show(third));
    await stopRunner(runner);
  });

  it('retires a worker at once after a run that hit a limit, and serves the next run on a new one', async () => {
    const runner = await aciRunner({
      ACI_MODE: 'workers',
      ACI_WORKERS: '1',
      ACI_WORKERS_IDLE: '1',
      RUN_TIMEOUT_MS: '1000',
      ACI_STARTUP_ALLOWANCE_MS: '30000',
    });
    await aciBackendOf(runner).poolReady(30_000);
    const worker = [...arm.groups.keys()][0] as string;
    const spin = await run(runner, 'while (true) { }');
    assert.equal(spin.status, 'timeout', show(spin));
    const next = await run(runner, uidOf);
    assert.equal(next.status, 'ok', show(next));
    assert.equal(next.stdout, '20001\n', 'the first run of a new worker');
    await aciBackendOf(runner).cleanupsDone();
    assert.ok(
      arm.log.some((l) => l.method === 'DELETE' && l.path.endsWith(`/${worker}`)),
      'the worker that ran the spinner was deleted',
    );
    await stopRunner(runner);
  });
});
