// The service image (Dockerfile, built by scripts/docker-build.sh) started as README "Running in
// Docker" says: --privileged where the engine can grant it, so bubblewrap and the cgroup v1 caps work
// inside; else README's narrower flags, with which bubblewrap works and the memory cap falls back to
// RLIMIT_DATA. It must answer /healthz and run Hello World through POST /api/runs in the local sandbox,
// inside the container. --network host with HOST=127.0.0.1: the service listens on this machine's
// loopback and on nothing else.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { RunResult } from '../../src/runner/index.js';
import { docker, removeContainer, SERVICE_IMAGE } from './docker.js';

const TOKEN = `docker-test-${randomUUID()}`;
const NAME = `sharpbox-service-test-${randomUUID().slice(0, 8)}`;
/** Start-up: node, the runner, and the compile server warming Roslyn, on two shared cores. */
const START_DEADLINE_MS = 120_000;
/** README's narrower alternative to --privileged. */
const NARROW = [
  '--security-opt',
  'seccomp=unconfined',
  '--security-opt',
  'apparmor=unconfined',
  '--security-opt',
  'systempaths=unconfined',
];
let port = 0;
let privileged = false;

/**
 * Whether the engine can start a --privileged container at all: runc gives such a container every
 * capability the kernel knows, and fails at create ("unable to apply caps") where the engine's own
 * bounding set lacks one, as on this project's machines (no CAP_SYS_RESOURCE).
 */
async function privilegedWorks(): Promise<boolean> {
  const r = await docker(
    ['run', '--rm', '--privileged', '--network', 'none', '--entrypoint', 'true', SERVICE_IMAGE],
    60_000,
  );
  return r.code === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

async function logs(): Promise<string> {
  const r = await docker(['logs', '--tail', '40', NAME], 30_000);
  return (r.stdout + r.stderr).trim();
}

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...init.headers },
    signal: AbortSignal.timeout(10_000),
  });
}

/** Polls until `ready` returns a value or the deadline passes (then fails with the service's log). */
async function until<T>(what: string, deadlineMs: number, ready: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await ready().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > end) assert.fail(`${what} within ${deadlineMs} ms; the service's log:\n${await logs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  port = await freePort();
  privileged = await privilegedWorks();
  const r = await docker(
    [
      'run',
      '--detach',
      '--name',
      NAME,
      ...(privileged ? ['--privileged'] : NARROW),
      '--network',
      'host',
      '--env',
      'HOST=127.0.0.1',
      '--env',
      `PORT=${port}`,
      '--env',
      `ADMIN_TOKEN=${TOKEN}`,
      '--env',
      'SANDBOX_SLOTS=1',
      '--env',
      'COMPILE_SERVERS=1',
      // The container's sandbox uids are this machine's uids (no user namespace), and RLIMIT_NPROC counts
      // per uid across the machine: keep clear of the range a service or test on the host claims.
      '--env',
      'SANDBOX_UID_BASE=3900000',
      SERVICE_IMAGE,
    ],
    60_000,
  );
  assert.equal(r.code, 0, `docker run failed: ${r.stderr}`);
});

after(async () => {
  await removeContainer(NAME);
});

describe('the service image', () => {
  it('starts and answers /healthz with the local sandbox ready', async (t: TestContext) => {
    t.diagnostic(
      privileged
        ? 'started with --privileged'
        : `--privileged refused by this engine; started with ${NARROW.join(' ')}`,
    );
    const health = await until('no healthy /healthz', START_DEADLINE_MS, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
      return res.status === 200 ? ((await res.json()) as { ok: boolean; backend: string; detail: string }) : null;
    });
    assert.equal(health.ok, true);
    assert.equal(health.backend, 'local');
    // --privileged gives the container a writable cgroup hierarchy (v1 controllers on a v1 host, a private
    // v2 namespace the service delegates on a v2 one); without it the service runs on without cgroups
    // (and says so in its log).
    if (!privileged) assert.match(health.detail, /cgroups none/, health.detail);
    else assert.match(health.detail, existsSync('/sys/fs/cgroup/memory') ? /cgroups v1/ : /cgroups v2/, health.detail);
  });

  it('runs Hello World through POST /api/runs in the sandbox inside the container', async () => {
    const posted = await api('/api/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        code: 'Console.WriteLine($"Hello from {Console.ReadLine()} as {Environment.UserName}!");',
        stdin: 'the service image',
      }),
    });
    assert.equal(posted.status, 202, await posted.text());
    const location = posted.headers.get('location') ?? '';
    assert.match(location, /^\/api\/runs\/[0-9a-f-]{36}$/);
    const done = await until('the run did not finish', 60_000, async () => {
      const body = (await (await api(location)).json()) as { state: string; result?: RunResult };
      return body.state === 'done' && body.result ? body.result : null;
    });
    assert.equal(done.status, 'ok', JSON.stringify(done));
    assert.equal(done.stdout, 'Hello from the service image as sandbox!\n');
  });

  it("serves the dashboard with its chart and highlighting libraries from the image's own node_modules", async () => {
    for (const [path, type] of [
      ['/admin', 'text/html'],
      ['/admin/app.js', 'text/javascript'],
      ['/admin/vendor/uplot.js', 'text/javascript'],
      ['/admin/vendor/uplot.css', 'text/css'],
      ['/admin/vendor/prism-csharp.js', 'text/javascript'],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', new RegExp(`^${type}`), path);
      assert.ok((await res.text()).length > 100, path);
    }
  });
});
