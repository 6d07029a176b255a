// The sandbox image (container/Dockerfile, built by scripts/docker-build.sh) run by a real Docker engine
// the way a container group runs it: its own entry (entry.sh → sharpbox-host oneshot), an unprivileged
// user, a read-only root with a tmpfs /tmp, no capabilities, the group's CPU and memory. The code goes
// in and the facts come out through SAS URLs on a real Azurite, made by the aci backend's own clients,
// and the verdict is the aci backend's own (facts.ts), so each status here is what a user would see.
//
// Why --network host and not --network none: OneShot.cs takes its code and returns its result only
// through the SAS URLs (HTTP GET and PUT; there is no file-location mode), and Azurite listens on this
// machine's loopback. A bridge network is no alternative here (the engine runs without one, and nothing
// may be sent to private address ranges).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config.js';
import { createAciClients, type AciClients } from '../../src/runner/backends/aci/clients.js';
import { containerEnv } from '../../src/runner/backends/aci/containerEnv.js';
import { parseFacts, resultFromFacts, resultWithoutFacts } from '../../src/runner/backends/aci/facts.js';
import { runWindow } from '../../src/runner/backends/aci/lifetimes.js';
import type { RunResult } from '../../src/runner/index.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { show } from '../support/runner.js';
import { docker, removeContainer, SANDBOX_IMAGE } from './docker.js';

/** The image's own user (container/Dockerfile); passed explicitly as well, as a hardened runtime would. */
const SANDBOX_USER = '10001';
/** Time for the engine to create and start a container, beyond the run's own limits. */
const START_ALLOWANCE_MS = 30_000;

let azurite: Azurite;
let config: Config;
let clients: AciClients;

before(async () => {
  azurite = await startAzurite();
  config = loadConfig({
    ...process.env,
    SHARPBOX_BACKEND: 'aci',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
    AZURE_RESOURCE_GROUP: 'sharpbox-runs',
    AZURE_LOCATION: 'westeurope',
    ACI_IMAGE: SANDBOX_IMAGE,
    // Never called: `docker run` stands in for Container Instances here. Loopback, so nothing leaves.
    AZURE_ARM_ENDPOINT: 'http://127.0.0.1:9',
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    RUN_TIMEOUT_MS: '3000',
    // A cold Roslyn in a fresh container, on two shared cores.
    COMPILE_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'silent',
  });
  clients = createAciClients(config.aci);
  await clients.container.createIfNotExists();
});

after(async () => {
  await azurite?.stop();
});

interface ImageRun {
  result: RunResult;
  /** The container's exit code (0: it uploaded its facts and left). */
  exitCode: number | null;
  log: string;
}

/** One program through the image: upload, SAS, `docker run`, read the result as the aci backend does. */
async function runInImage(source: string, stdin = ''): Promise<ImageRun> {
  const { limits, aci } = config;
  const id = randomUUID();
  const prefix = `runs/${id}/`;
  const blob = (name: string) => clients.container.getBlockBlobClient(`${prefix}${name}`);
  const name = `sharpbox-sandbox-test-${id.slice(0, 8)}`;
  try {
    await blob('Program.cs').upload(source, Buffer.byteLength(source));
    if (stdin) await blob('stdin.txt').upload(stdin, Buffer.byteLength(stdin));
    const window = runWindow(Date.now(), limits.timeoutMs, { startupAllowanceMs: START_ALLOWANCE_MS, poolIdleMs: aci.poolIdleMs, sweepGraceMs: 0, compileTimeoutMs: limits.compileTimeoutMs });
    const [sourceUrl, stdinUrl, resultUrl] = await Promise.all([
      clients.sasUrl(blob('Program.cs'), 'r', window.sasTtlMinutes),
      stdin ? clients.sasUrl(blob('stdin.txt'), 'r', window.sasTtlMinutes) : null,
      clients.sasUrl(blob('result.json'), 'cw', window.sasTtlMinutes),
    ]);
    // The environment AciBackend.execute gives a container group, from the same builder.
    const env = containerEnv(config.limits, { kind: 'run', timeoutMs: limits.timeoutMs, urls: { source: sourceUrl, stdin: stdinUrl, result: resultUrl } });
    const memory = `${Math.round(aci.memoryGb * 1024)}m`;
    const deadlineMs = limits.timeoutMs + limits.compileTimeoutMs + START_ALLOWANCE_MS;
    const out = await docker(
      [
        'run', '--rm', '--name', name, '--network', 'host',
        '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=256m',
        '--user', `${SANDBOX_USER}:${SANDBOX_USER}`, '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
        '--cpus', String(aci.cpu), '--memory', memory, '--memory-swap', memory, '--pids-limit', '512',
        ...env.flatMap((e) => ['--env', `${e.name}=${'value' in e ? e.value : e.secureValue}`]),
        SANDBOX_IMAGE,
      ],
      deadlineMs,
    );
    assert.equal(out.timedOut, false, `the container did not finish within ${deadlineMs} ms`);
    const facts = await blob('result.json').downloadToBuffer().then((b) => parseFacts(b.toString('utf8')), () => null);
    const result = facts
      ? resultFromFacts(facts, { timeoutMs: limits.timeoutMs, memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses, outputBytes: limits.outputBytes, compileTimeoutMs: limits.compileTimeoutMs })
      : resultWithoutFacts(out.code, aci.memoryGb);
    return { result, exitCode: out.code, log: (out.stdout + out.stderr).slice(-2000) };
  } finally {
    await removeContainer(name);
    for await (const b of clients.container.listBlobsFlat({ prefix })) await clients.container.deleteBlob(b.name);
  }
}

describe('the sandbox image (aci backend)', () => {
  it('is set to run as an unprivileged user with its entry script', async () => {
    const r = await docker(['image', 'inspect', '--format', '{{.Config.User}} {{json .Config.Entrypoint}}', SANDBOX_IMAGE], 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${SANDBOX_USER} ["/sharpbox/entry.sh"]`);
  });

  it('runs Hello World with stdin, as the sandbox user, and uploads the result', async () => {
    const run = await runInImage('Console.WriteLine($"Hello from {Console.ReadLine()} as {Environment.UserName}!");', 'Docker');
    assert.equal(run.result.status, 'ok', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.stdout, 'Hello from Docker as sandbox!\n');
    assert.equal(run.exitCode, 0);
  });

  it('reports a compile error with its diagnostic', async () => {
    const run = await runInImage('int x = "no";');
    assert.equal(run.result.status, 'compile_error', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.diagnostics[0]?.id, 'CS0029');
  });

  it('stops a busy loop at the wall-clock limit', async () => {
    const run = await runInImage('Console.WriteLine("spinning"); while (true) { }');
    assert.equal(run.result.status, 'timeout', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.reason, 'timed out after 3 s');
    assert.equal(run.result.stdout, 'spinning\n');
  });

  it('ends a managed allocation spree at the GC heap limit, long before the container memory', async () => {
    // The aci backend gets no cgroup counters back, so the verdict is the exception the program died of
    // (classify.ts never lets a program's own word decide memory_limit); the container survives to
    // upload it.
    const run = await runInImage('var l = new List<byte[]>(); while (true) { var b = new byte[1 << 20]; for (int i = 0; i < b.Length; i += 4096) b[i] = 1; l.Add(b); }');
    assert.equal(run.result.status, 'runtime_error', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.reason, 'unhandled exception System.OutOfMemoryException');
    assert.equal(run.exitCode, 0, 'the container was not killed');
  });

  it('holds a thread spree to RUN_MAX_PROCESSES, its runtime\'s own threads included', async () => {
    // The console first: it starts a thread of its own the first time it writes.
    const run = await runInImage('Console.WriteLine("threads:"); var n = 0; try { while (true) { new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = true }.Start(); n++; } } catch (Exception) { } Console.WriteLine(n);');
    assert.equal(run.result.status, 'ok', `${show(run.result)}\n${run.log}`);
    const threads = Number(run.result.stdout.replace('threads:', '').trim());
    assert.ok(threads > config.limits.maxProcesses / 2 && threads <= config.limits.maxProcesses, `started ${threads} threads (limit ${config.limits.maxProcesses})`);
  });

  it('stops an output flood at the output cap and marks it truncated', async () => {
    const run = await runInImage('while (true) Console.WriteLine("flood flood flood flood flood");');
    assert.equal(run.result.status, 'output_limit', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.truncated, true);
    assert.equal(Buffer.byteLength(run.result.stdout) + Buffer.byteLength(run.result.stderr), config.limits.outputBytes);
  });
});
