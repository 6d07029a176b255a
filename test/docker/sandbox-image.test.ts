// The sandbox image (container/Dockerfile, built by scripts/docker-build.sh) run by a real Docker engine
// the way a hardened runtime would run a one-shot container group: its own entry (entry.sh → sharpbox-host
// oneshot), started as the unprivileged sandbox user (the image itself starts as root, as ACI runs it;
// worker-image.test.ts runs it so), a read-only root with a tmpfs /tmp, no capabilities, the group's CPU
// and memory. How the runs get in and out: imageRuns.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { show } from '../support/runner.js';
import { docker, SANDBOX_IMAGE } from './docker.js';
import { runOneShot, startImageEnv, type ImageEnv, type ImageRun } from './imageRuns.js';

/** The image's sandbox user (container/Dockerfile), passed explicitly, as a hardened runtime would. */
const SANDBOX_USER = '10001';
const AS_SANDBOX_USER = [
  '--user',
  `${SANDBOX_USER}:${SANDBOX_USER}`,
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
];

let env: ImageEnv;
let config: ImageEnv['config'];

before(async () => {
  env = await startImageEnv();
  config = env.config;
});

after(async () => {
  await env?.azurite.stop();
});

const runInImage = (source: string, stdin = ''): Promise<ImageRun> => runOneShot(env, AS_SANDBOX_USER, source, stdin);

describe('the sandbox image (aci backend)', () => {
  it('starts its entry script as root, as ACI runs an image without USER (entry.sh drops to the sandbox user)', async () => {
    const r = await docker(
      ['image', 'inspect', '--format', '{{.Config.User}}|{{json .Config.Entrypoint}}', SANDBOX_IMAGE],
      30_000,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '|["/sharpbox/entry.sh"]');
  });

  it('runs Hello World with stdin, as the sandbox user, and uploads the result', async () => {
    const run = await runInImage(
      'Console.WriteLine($"Hello from {Console.ReadLine()} as {Environment.UserName}!");',
      'Docker',
    );
    assert.equal(run.result.status, 'ok', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.stdout, 'Hello from Docker as sandbox!\n');
    assert.equal(run.exitCode, 0);
  });

  it('compiles and runs with an allowed package laid out in the image, which the run cannot change', async () => {
    const run = await runInImage(
      [
        '#:package Newtonsoft.Json@13.0.4',
        'Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { A = 1 }));',
        'try { File.WriteAllText("/sharpbox/host/packages/manifest.json", "{}"); Console.WriteLine("wrote"); }',
        // Not the file's owner, and the image's root is read-only besides: either refusal will do.
        'catch (Exception e) when (e is UnauthorizedAccessException or IOException) { Console.WriteLine("read-only"); }',
      ].join('\n'),
    );
    assert.equal(run.result.status, 'ok', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.stdout, '{"A":1}\nread-only\n');
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
    const run = await runInImage(
      'var l = new List<byte[]>(); while (true) { var b = new byte[1 << 20]; for (int i = 0; i < b.Length; i += 4096) b[i] = 1; l.Add(b); }',
    );
    assert.equal(run.result.status, 'runtime_error', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.reason, 'unhandled exception System.OutOfMemoryException');
    assert.equal(run.exitCode, 0, 'the container was not killed');
  });

  it("holds a thread spree to RUN_MAX_PROCESSES, its runtime's own threads included", async () => {
    // The console first: it starts a thread of its own the first time it writes.
    const run = await runInImage(
      'Console.WriteLine("threads:"); var n = 0; try { while (true) { new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = true }.Start(); n++; } } catch (Exception) { } Console.WriteLine(n);',
    );
    assert.equal(run.result.status, 'ok', `${show(run.result)}\n${run.log}`);
    const threads = Number(run.result.stdout.replace('threads:', '').trim());
    assert.ok(
      threads > config.limits.maxProcesses / 2 && threads <= config.limits.maxProcesses,
      `started ${threads} threads (limit ${config.limits.maxProcesses})`,
    );
  });

  it('stops an output flood at the output cap and marks it truncated', async () => {
    const run = await runInImage('while (true) Console.WriteLine("flood flood flood flood flood");');
    assert.equal(run.result.status, 'output_limit', `${show(run.result)}\n${run.log}`);
    assert.equal(run.result.truncated, true);
    assert.equal(
      Buffer.byteLength(run.result.stdout) + Buffer.byteLength(run.result.stderr),
      config.limits.outputBytes,
    );
  });
});
