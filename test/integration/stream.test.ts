// The admin feed, the HTTP API and the dashboard, over real sockets: a real ws client, fetch, and the
// dashboard in real headless Chromium (Debian's, driven by playwright-core), all against the real runner.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRunner, FairRunner, openStore, type Runner, type Store } from '../../src/runner/index.js';
import { RunHub } from '../../src/stream/hub.js';
import { processLabel } from '../../src/stream/fleet/index.js';
import { LocalFleet } from '../../src/stream/fleet/local.js';
import { createMetrics } from '../../src/stream/metrics.js';
import { FEED_CLOSE, type FeedMessage } from '../../src/stream/protocol.js';
import { startHttp, type HttpService } from '../../src/stream/server.js';
import { launchChromium } from '../support/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ADMIN = 'admin-token-for-tests-0123456789';
const API_A = 'api-token-a-0123456789';
const API_B = 'api-token-b-0123456789';

let runner: Runner;
let store: Store;
let hub: RunHub;
let fleet: LocalFleet;
let http: HttpService;

before(async () => {
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'silent',
    PORT: '0',
    ADMIN_TOKEN: ADMIN,
    API_TOKENS: `${API_A},${API_B}`,
    FEED_HEARTBEAT_MS: '300',
    FEED_MAX_BUFFER_BYTES: '4096',
    USER_RUNS_PER_MINUTE: '1000',
    USER_CONCURRENT_RUNS: '50',
  });
  runner = await createRunner(config, { log: createLogger('silent') });
  store = await openStore('memory://');
  hub = new RunHub(runner, processLabel(config));
  fleet = new LocalFleet(config.fleet, hub, runner);
  http = await startHttp(config.http, {
    fair: new FairRunner(runner, store.admissions, config.fairUse),
    fleet,
    metrics: createMetrics(runner),
    log: createLogger('silent'),
  });
});
after(async () => {
  await http?.close();
  await fleet?.stop();
  hub?.stop();
  await runner?.stop(0);
  await store?.close();
});

const api = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${http.url}${path}`, {
    ...init,
    headers: {
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
  });

async function submit(code: string, token = ADMIN): Promise<string> {
  const r = await api('/api/runs', { method: 'POST', token, body: JSON.stringify({ code }) });
  assert.equal(r.status, 202, await r.clone().text());
  return ((await r.json()) as { id: string }).id;
}

async function waitDone(
  id: string,
  token = ADMIN,
): Promise<{ state: string; status: string; result: { stdout: string } }> {
  for (let i = 0; i < 400; i++) {
    const body = (await (await api(`/api/runs/${id}`, { token })).json()) as {
      state: string;
      status: string;
      result: { stdout: string };
    };
    if (body.state === 'done') return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the run did not finish');
}

/** Opens the feed; resolves with the socket and the messages it receives, or rejects with the HTTP status. */
function openFeed(
  options: { headers?: Record<string, string>; ticket?: string; autoPong?: boolean } = {},
): Promise<{ ws: WebSocket; messages: FeedMessage[] }> {
  return new Promise((resolvePromise, reject) => {
    const url = `${http.url.replace('http', 'ws')}/feed${options.ticket ? `?ticket=${options.ticket}` : ''}`;
    const ws = new WebSocket(url, { headers: options.headers ?? {}, autoPong: options.autoPong ?? true });
    const messages: FeedMessage[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d)) as FeedMessage));
    ws.on('open', () => resolvePromise({ ws, messages }));
    ws.on('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.on('error', (e) => reject(e));
  });
}

const until = async (check: () => boolean, ms = 15_000, what = 'condition'): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the admin feed', () => {
  it('refuses unauthenticated, wrong, API-token, foreign-origin and reused-ticket connections before the upgrade', async () => {
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 101,
        (e: { status?: number }) => e.status,
      );
    assert.equal(await status(openFeed()), 401);
    assert.equal(await status(openFeed({ headers: { Authorization: 'Bearer nope' } })), 401);
    assert.equal(await status(openFeed({ headers: { Authorization: `Bearer ${API_A}` } })), 401);
    assert.equal(
      await status(openFeed({ headers: { Authorization: `Bearer ${ADMIN}`, Origin: 'https://evil.example' } })),
      403,
    );
    const { ticket } = (await (await api('/api/feed-tickets', { method: 'POST', token: ADMIN })).json()) as {
      ticket: string;
    };
    const first = await openFeed({ ticket });
    first.ws.close();
    assert.equal(await status(openFeed({ ticket })), 401, 'a ticket opens one connection only');
    assert.equal((await api('/api/feed-tickets', { method: 'POST', token: API_A })).status, 403);
  });

  it("sends a snapshot first, then a run's events in order", async () => {
    const { ws, messages } = await openFeed({ headers: { Authorization: `Bearer ${ADMIN}` } });
    await until(() => messages.length > 0);
    assert.equal(messages[0]?.type, 'snapshot');
    const id = await submit('Console.WriteLine("one"); Console.WriteLine("two");');
    await until(() => messages.some((m) => m.type === 'run.done' && m.run.id === id), 15_000, 'run.done');
    const mine = messages
      .filter((m) => ('id' in m && m.id === id) || ('run' in m && m.run.id === id))
      .map((m) => m.type);
    const distinct = mine.filter((t, i) => t !== mine[i - 1]);
    assert.deepEqual(distinct, ['run.queued', 'run.compiling', 'run.started', 'run.output', 'run.done']);
    const done = messages.find((m) => m.type === 'run.done' && m.run.id === id);
    assert.ok(done?.type === 'run.done');
    assert.equal(done.result.stdout, 'one\ntwo\n');
    assert.equal(done.run.labels.api, 'admin');
    assert.equal(done.run.code, 'Console.WriteLine("one"); Console.WriteLine("two");');
    ws.close();
  });

  it('closes a slow consumer without slowing the others', async () => {
    // A server of its own with slow heartbeats, so only the buffer cap can drop the reader.
    const config = loadConfig({
      ...process.env,
      PORT: '0',
      ADMIN_TOKEN: ADMIN,
      FEED_HEARTBEAT_MS: '600000',
      FEED_MAX_BUFFER_BYTES: '65536',
      USER_RUNS_PER_MINUTE: '1000',
      USER_CONCURRENT_RUNS: '50',
    });
    const second = await startHttp(config.http, {
      fair: new FairRunner(runner, store.admissions, config.fairUse),
      fleet,
      metrics: createMetrics(runner),
      log: createLogger('silent'),
    });
    try {
      const open = (): Promise<{ ws: WebSocket; messages: FeedMessage[] }> =>
        new Promise((ok, fail) => {
          const ws = new WebSocket(`${second.url.replace('http', 'ws')}/feed`, {
            headers: { Authorization: `Bearer ${ADMIN}` },
          });
          const messages: FeedMessage[] = [];
          ws.on('message', (d) => messages.push(JSON.parse(String(d)) as FeedMessage));
          ws.on('open', () => ok({ ws, messages }));
          ws.on('error', fail);
        });
      const slow = await open();
      const fast = await open();
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // it stops reading
      // About 16 MiB of output events: far more than the kernel's socket buffers hold for a reader that never reads.
      const ids = await Promise.all(
        Array.from({ length: 16 }, () =>
          submit("var line = new string('x', 200); while (true) Console.WriteLine(line);"),
        ),
      );
      await until(
        () => ids.every((id) => fast.messages.some((m) => m.type === 'run.done' && m.run.id === id)),
        60_000,
        'the fast reader to see every run end',
      );
      const health = (await (await fetch(`${second.url}/healthz`)).json()) as {
        feedDropped: { slowConsumer: number };
        feedClients: number;
      };
      assert.equal(health.feedDropped.slowConsumer, 1, 'the slow reader was dropped');
      assert.equal(health.feedClients, 1, 'the fast one stays');
      assert.equal(fast.ws.readyState, WebSocket.OPEN);
      fast.ws.close();
      slow.ws.terminate();
    } finally {
      await second.close();
    }
  });

  it('drops a peer that stops answering heartbeats', async () => {
    type Health = { feedClients: number; feedDropped: { heartbeat: number } };
    const before = (await (await api('/healthz')).json()) as Health;
    const dead = await openFeed({ headers: { Authorization: `Bearer ${ADMIN}` } });
    (dead.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // no reads, so no pongs
    await new Promise((r) => setTimeout(r, 1200)); // a few 300 ms heartbeats
    const after = (await (await api('/healthz')).json()) as Health;
    assert.equal(after.feedClients, before.feedClients, 'the silent peer is gone');
    assert.equal(after.feedDropped.heartbeat, before.feedDropped.heartbeat + 1, 'dropped for its heartbeat');
    dead.ws.terminate();
  });

  it('tells a peer that reads but never answers pings why it is closed: 4009', async () => {
    const silent = await openFeed({ headers: { Authorization: `Bearer ${ADMIN}` }, autoPong: false });
    const code = await new Promise<number>((resolvePromise) => silent.ws.on('close', (c) => resolvePromise(c)));
    assert.equal(code, FEED_CLOSE.heartbeatTimeout);
  });

  it('serves the dashboard and its script, and nothing else as a file', async () => {
    for (const path of ['/admin', '/admin/', '/admin/style.css', '/admin/app.js'])
      assert.equal((await fetch(`${http.url}${path}`)).status, 200, path);
    // The dashboard's script imports only types from protocol.ts: no page asks for /protocol.js.
    assert.equal((await fetch(`${http.url}/protocol.js`)).status, 404);
  });
});

describe('the HTTP API', () => {
  it('answers 202 with a Location, then the status and the RunResult when done', async () => {
    const r = await api('/api/runs', {
      method: 'POST',
      token: API_A,
      body: JSON.stringify({ code: 'Console.WriteLine(Console.ReadLine());', stdin: 'echo' }),
    });
    assert.equal(r.status, 202);
    const location = r.headers.get('location') as string;
    assert.match(location, /^\/api\/runs\/[0-9a-f-]{36}$/);
    const id = location.split('/').at(-1) as string;
    const done = await waitDone(id, API_A);
    assert.equal(done.status, 'ok');
    assert.equal(done.result.stdout, 'echo\n');
    assert.equal((await api(`/api/runs/${id}`, { token: API_B })).status, 404, 'another token does not see it');
    assert.equal((await api(`/api/runs/${id}`, { token: ADMIN })).status, 200, 'the admin does');
  });

  it('answers a view request with the listing in the RunResult, tagged with its view, and labels the run', async () => {
    const r = await api('/api/runs', {
      method: 'POST',
      token: ADMIN,
      body: JSON.stringify({ code: 'Console.WriteLine("Hello");', view: 'il' }),
    });
    assert.equal(r.status, 202, await r.clone().text());
    const id = ((await r.json()) as { id: string }).id;
    const done = (await waitDone(id)) as unknown as {
      status: string;
      labels: Record<string, string>;
      result: { stdout: string; view: string };
    };
    assert.equal(done.status, 'ok');
    assert.equal(done.result.view, 'il');
    assert.match(done.result.stdout, /ldstr "Hello"/);
    assert.deepEqual(done.labels, { api: 'admin', user: 'admin', view: 'il' });
    const bad = await api('/api/runs', {
      method: 'POST',
      token: ADMIN,
      body: JSON.stringify({ code: 'x', view: 'bytes' }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string; field: string }).field, 'view');
  });

  it('takes optimize and langVersion in the body, and refuses a wrong one with its field', async () => {
    const code = '#if DEBUG\nConsole.WriteLine("DEBUG");\n#endif\n1 + 1';
    const r = await api('/api/runs', {
      method: 'POST',
      token: API_A,
      body: JSON.stringify({ code, optimize: 'debug', langVersion: 'preview' }),
    });
    assert.equal(r.status, 202, await r.clone().text());
    const done = await waitDone(((await r.json()) as { id: string }).id, API_A);
    assert.equal(done.result.stdout, 'DEBUG\n2\n');
    const bad = await api('/api/runs', {
      method: 'POST',
      token: API_A,
      body: JSON.stringify({ code, optimize: 'fast' }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error: 'INVALID_INPUT',
      message: 'optimize must be release or debug',
      retryAfterMs: null,
      field: 'optimize',
      problem: 'not-release-or-debug',
    });
  });

  it('says 401, 400, 413, 415 and 404 where they apply', async () => {
    assert.equal((await api('/api/runs', { method: 'POST', body: JSON.stringify({ code: 'x' }) })).status, 401);
    assert.equal(
      (await api('/api/runs', { method: 'POST', token: 'wrong', body: JSON.stringify({ code: 'x' }) })).status,
      401,
    );
    assert.equal((await api('/api/runs', { method: 'POST', token: ADMIN, body: '{"code": ' })).status, 400);
    assert.equal(
      (await api('/api/runs', { method: 'POST', token: ADMIN, body: JSON.stringify({ code: 42 }) })).status,
      400,
    );
    assert.equal(
      (await api('/api/runs', { method: 'POST', token: ADMIN, body: JSON.stringify({ code: 'x'.repeat(300 * 1024) }) }))
        .status,
      413,
    );
    assert.equal(
      (
        await api('/api/runs', {
          method: 'POST',
          token: ADMIN,
          body: 'code',
          headers: { 'Content-Type': 'text/plain' },
        })
      ).status,
      415,
    );
    assert.equal((await api('/api/runs/00000000-0000-0000-0000-000000000000', { token: ADMIN })).status, 404);
    assert.equal((await api('/api/nothing', { token: ADMIN })).status, 404);
  });

  it('answers a refused run with its status, code, words and facts, and tells the feed the same', async () => {
    const { ws, messages } = await openFeed({ headers: { Authorization: `Bearer ${ADMIN}` } });
    await until(() => messages.length > 0);
    const r = await api('/api/runs', {
      method: 'POST',
      token: API_A,
      body: JSON.stringify({ code: 'x'.repeat(70_000) }),
    });
    assert.equal(r.status, 413);
    assert.deepEqual(await r.json(), {
      error: 'SOURCE_TOO_LARGE',
      message: 'the code is 70000 bytes; the limit is 65536',
      retryAfterMs: null,
      size: 70_000,
      limit: 65_536,
    });
    await until(() => messages.some((m) => m.type === 'refusal'), 5000, 'the refusal on the feed');
    const refusal = messages.find((m) => m.type === 'refusal');
    assert.ok(refusal?.type === 'refusal');
    const { at: _at, labels, seq, process: from, ...rest } = refusal;
    assert.match(seq ?? '', /^\d+$/, 'its place in the log');
    assert.equal(from.id, fleet.self.id, 'the process that refused it');
    assert.deepEqual(rest, {
      v: 2,
      type: 'refusal',
      code: 'SOURCE_TOO_LARGE',
      size: 70_000,
      limit: 65_536,
      message: 'the code is 70000 bytes; the limit is 65536',
    });
    assert.match(labels.api ?? '', /^api-[0-9a-f]{8}$/, 'the token that asked');
    ws.close();
  });

  it('serves /healthz and Prometheus /metrics', async () => {
    const health = (await (await api('/healthz')).json()) as { ok: boolean; backend: string; detail: string };
    assert.equal(health.ok, true);
    assert.equal(health.backend, 'local');
    assert.match(health.detail, /\d+ slots, \d+\/\d+ sandboxes waiting, \d+\/\d+ compile servers free/);
    const metrics = await (await api('/metrics')).text();
    assert.match(metrics, /sharpbox_runs_finished_total\{status="ok"\} \d+/);
    assert.match(metrics, /sharpbox_run_latency_seconds_bucket/);
  });
});

describe('the dashboard', () => {
  it('shows a run appear and finish live in real Chromium, its code on click, and takes a screenshot', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(`${http.url}/admin`);
      await page.fill('#token', ADMIN);
      await page.click('button[type=submit]');
      await page.waitForSelector('#connection.on');
      const id = await submit(
        'Console.WriteLine("hello from the dashboard test"); Thread.Sleep(1500); Console.WriteLine("done");',
      );
      const row = `tr[data-id="${id}"]`;
      await page.waitForSelector(`${row}[data-state="running"]`, { timeout: 15_000 });
      await page.waitForSelector(`${row}[data-state="done"]`, { timeout: 15_000 });
      assert.equal(await page.textContent(`${row} td:nth-child(4)`), 'ok');
      await page.click(row);
      assert.match((await page.textContent('#detail-code')) ?? '', /hello from the dashboard test/);
      assert.match((await page.textContent('#detail-output')) ?? '', /hello from the dashboard test\ndone/);
      await mkdir(join(root, '.artifacts'), { recursive: true });
      await page.screenshot({ path: join(root, '.artifacts', 'admin-dashboard.png') });
    } finally {
      await browser.close();
    }
  });
});
