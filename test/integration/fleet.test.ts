// The fleet: two (then three) real service processes (node dist/src/main.js, the local sandbox) on one
// real redis-server. One feed shows every process's runs with their process; GET and cancel work from
// any process; a reconnecting client replays what it missed; a killed process's runs become interrupted
// within its TTL; Redis lost and back: each process serves its own, says so, and the fleet catches up;
// an event of a newer protocol version is ignored with a log line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import WebSocket from 'ws';
import { FIELD_CHARS, OUTPUT_EVENT_CHARS, RUN_OUTPUT_CHARS } from '../../src/stream/fleet/cap.js';
import type { FeedMessage, Snapshot } from '../../src/stream/protocol.js';
import { ServiceProcess } from '../support/botProcess.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { launchChromium } from '../support/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ADMIN = 'fleet-admin-token-0123456789';
const API_A = 'fleet-api-token-a-0123456789';
const API_B = 'fleet-api-token-b-0123456789';
/** Short, so a test sees a death within seconds (production: 2 s and 10 s). */
const HEARTBEAT_MS = 300;
const TTL_MS = 1500;

let redis: RedisServer & { port: number };
const services: ServiceProcess[] = [];
let urls: string[] = [];
let ids: string[] = [];

function service(): ServiceProcess {
  const s = new ServiceProcess({
    STORE_URL: redis.url,
    ADMIN_TOKEN: ADMIN,
    API_TOKENS: `${API_A},${API_B}`,
    FLEET_HEARTBEAT_MS: String(HEARTBEAT_MS),
    FLEET_TTL_MS: String(TTL_MS),
    FLEET_STREAM_MAX_MB: '1',
    SANDBOX_SLOTS: '1',
    COMPILE_SERVERS: '1',
    RUN_TIMEOUT_MS: '20000',
    USER_RUNS_PER_MINUTE: '1000',
    USER_CONCURRENT_RUNS: '50',
    PORT: '0',
    LOG_LEVEL: 'info',
  });
  services.push(s);
  return s;
}

async function up(s: ServiceProcess): Promise<{ url: string; id: string }> {
  const line = await s.waitForLog('sharpbox is up', 120_000);
  return { url: String(line.http), id: String(line.process) };
}

before(async () => {
  redis = await startRedis();
  const started = await Promise.all([service(), service()].map(up));
  urls = started.map((s) => s.url);
  ids = started.map((s) => s.id);
});

after(async () => {
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
  await redis?.stop();
});

const call = (url: string, path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${init.token ?? ADMIN}`, 'Content-Type': 'application/json' },
  });

async function submit(url: string, code: string, token = ADMIN): Promise<string> {
  const res = await call(url, '/api/runs', { method: 'POST', body: JSON.stringify({ code }), token });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

interface Client {
  ws: WebSocket;
  messages: FeedMessage[];
  closed: Promise<number>;
}

async function feed(url: string, since?: string): Promise<Client> {
  const { ticket } = (await (await call(url, '/api/feed-tickets', { method: 'POST' })).json()) as { ticket: string };
  const q = since === undefined ? '' : `&since=${encodeURIComponent(since)}`;
  const ws = new WebSocket(`${url.replace('http', 'ws')}/feed?ticket=${ticket}${q}`);
  const messages: FeedMessage[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as FeedMessage));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  return { ws, messages, closed };
}

async function until<T>(get: () => T | undefined | false | null, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Asks again until the answer passes `ok`. */
async function poll<T>(ask: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await ask();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const getRun = async (url: string, id: string, token = ADMIN) =>
  (await (await call(url, `/api/runs/${id}`, { token })).json()) as { state?: string; result?: { stdout: string } };

const doneOf = (c: Client, id: string) =>
  c.messages.find((m): m is Extract<FeedMessage, { type: 'run.done' }> => m.type === 'run.done' && m.run.id === id);
const lastSeq = (c: Client): string =>
  c.messages
    .map((m) => ('seq' in m && typeof m.seq === 'string' ? m.seq : null))
    .filter((s): s is string => s !== null)
    .at(-1) as string;

/** Runs that sleep in the sandbox until cancelled (the run limit here is 20 s). */
const SLEEPER = 'Console.WriteLine("sleeping"); System.Threading.Thread.Sleep(15000);';

describe('the fleet over Redis', () => {
  it("shows every process's runs in one feed, each labelled with its process, and lists the processes", async () => {
    const client = await feed(urls[0] as string);
    try {
      const snapshot = (await until(() => client.messages[0], 5000, 'a snapshot')) as Snapshot;
      assert.equal(snapshot.type, 'snapshot');
      assert.deepEqual(snapshot.fleet, { mode: 'redis', ok: true, detail: 'every process on this Redis' });
      assert.deepEqual(snapshot.processes.map((p) => p.id).sort(), [...ids].sort());
      assert.equal(snapshot.self.id, ids[0]);
      const onA = await submit(urls[0] as string, 'Console.WriteLine("from A");');
      const onB = await submit(urls[1] as string, 'Console.WriteLine("from B");');
      const [doneA, doneB] = await Promise.all([
        until(() => doneOf(client, onA), 60_000, 'A run.done on A'),
        until(() => doneOf(client, onB), 60_000, "B's run.done on A's feed"),
      ]);
      assert.equal(doneA.process.id, ids[0]);
      assert.equal(doneB.process.id, ids[1]);
      assert.equal(doneB.run.process.id, ids[1], 'the run names B as its process');
      assert.equal(doneB.result.stdout, 'from B\n');
      assert.match(doneB.seq ?? '', /^\d+-\d+$/, 'a Redis stream position');
      // Heartbeats of both processes arrive on one feed.
      await until(
        () =>
          new Set(client.messages.filter((m) => m.type === 'process.heartbeat').map((m) => m.process.id)).size === 2,
        5000,
        'heartbeats of both processes',
      );
      // Each process's time-series point, every 10 s on the same aligned instants.
      const samples = await until(
        () => {
          const s = client.messages.filter((m) => m.type === 'process.sample');
          return new Set(s.map((m) => m.process.id)).size === 2 && s;
        },
        25_000,
        'a time-series point of both processes',
      );
      for (const m of samples) assert.ok(m.type === 'process.sample' && m.sample.at % 10_000 === 0);
    } finally {
      client.ws.close();
    }
  });

  it("shows both processes and B's run on A's dashboard in real Chromium, and cancels it from there", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      await page.goto(`${urls[0] as string}/admin`);
      await page.fill('#token', ADMIN);
      await page.click('button[type=submit]');
      await page.waitForSelector('#connection.on');
      for (const id of ids) await page.waitForSelector(`#processes tr[data-id="${id}"][data-alive="true"]`);
      const id = await submit(urls[1] as string, SLEEPER);
      const row = `#runs tr[data-id="${id}"]`;
      await page.waitForSelector(`${row}[data-state="running"]`, { timeout: 60_000 });
      assert.equal(await page.getAttribute(row, 'data-process'), ids[1], "B's run, shown on A's page");
      await page.click(row);
      await page.waitForSelector('#detail-code span.token');
      await mkdir(join(root, '.artifacts'), { recursive: true });
      await page.screenshot({ path: join(root, '.artifacts', 'admin-fleet-live.png') });
      // Cancel on A's page reaches B through Redis.
      await page.click('#cancel');
      await page.waitForSelector(`${row}[data-state="done"]`, { timeout: 15_000 });
      assert.equal(await page.textContent(`${row} td:nth-child(4)`), 'cancelled');
    } finally {
      await browser.close();
    }
  });

  it('opens the feed on one process with a ticket bought from another, once', async () => {
    const { ticket } = (await (await call(urls[0] as string, '/api/feed-tickets', { method: 'POST' })).json()) as {
      ticket: string;
    };
    const open = (url: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/feed?ticket=${ticket}`);
        ws.once('open', () => {
          ws.close();
          resolve('open');
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    assert.equal(await open(urls[1] as string), 'open', "B redeems A's ticket");
    assert.equal(await open(urls[0] as string), 401, 'single use across the fleet');
  });

  it("caps a run's big output before it reaches the other processes", async () => {
    const client = await feed(urls[0] as string);
    try {
      const id = await submit(urls[1] as string, "Console.Write(new string('x', 100000));");
      const done = await until(() => doneOf(client, id), 60_000, 'the run.done');
      const outputs = client.messages.filter((m) => m.type === 'run.output' && m.id === id);
      assert.ok(outputs.length > 0);
      for (const m of outputs)
        assert.ok(m.type === 'run.output' && m.text.length <= OUTPUT_EVENT_CHARS + 100, `${m.type} capped`);
      assert.equal(done.result.stdout.slice(0, FIELD_CHARS), 'x'.repeat(FIELD_CHARS));
      assert.equal(
        done.result.stdout.slice(FIELD_CHARS),
        `\n…[cut for the fleet: ${100_000 - FIELD_CHARS} more characters]`,
      );
      const carried = outputs.reduce((n, m) => n + (m.type === 'run.output' ? m.text.length : 0), 0);
      assert.ok(carried <= RUN_OUTPUT_CHARS + 200, `${carried} characters of output carried by the fleet`);
      // Its own process still has all of it.
      const own = (await getRun(urls[1] as string, id)) as { result?: { stdout: string } };
      assert.equal(own.result?.stdout.length, 100_000);
    } finally {
      client.ws.close();
    }
  });

  it('answers GET and cancel of a run from the process that does not hold it, scoped to its token', async () => {
    const [a, b] = urls as [string, string];
    const id = await submit(b, SLEEPER, API_A);
    // Running on B, read from A.
    await poll(
      () => getRun(a, id, API_A),
      (r) => r.state === 'running',
      60_000,
      'the run running on B, as A sees it',
    );
    // With its output so far (the admin sees output).
    const midway = await poll(
      async () => (await (await call(a, `/api/runs/${id}`)).json()) as { state?: string; output?: string },
      (r) => r.output === 'sleeping\n',
      10_000,
      "B's run's output so far, read by the admin on A",
    );
    assert.equal(midway.state, 'running');
    assert.equal((await call(a, `/api/runs/${id}`, { token: API_B })).status, 404, 'another token sees nothing');
    const cancelled = await call(a, `/api/runs/${id}/cancel`, { method: 'POST', token: API_A });
    assert.equal(cancelled.status, 200);
    const body = (await cancelled.json()) as { state: string; status: string; result: { status: string } };
    assert.equal(body.state, 'done');
    assert.equal(body.status, 'cancelled');
    assert.equal(body.result.status, 'cancelled');
    const again = await call(a, `/api/runs/${id}/cancel`, { method: 'POST', token: API_A });
    assert.equal(again.status, 409);
    assert.deepEqual(
      { ...((await again.json()) as Record<string, unknown>), result: undefined },
      {
        error: 'the run has already ended (cancelled)',
        id,
        state: 'done',
        status: 'cancelled',
        result: undefined,
      },
    );
    const unknown = await call(a, '/api/runs/00000000-0000-4000-8000-000000000000/cancel', { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'no such run' });
    const other = await call(a, `/api/runs/${id}/cancel`, { method: 'POST', token: API_B });
    assert.equal(other.status, 404, 'another token cannot cancel it');
  });

  it('replays what a reconnecting client missed, from its last position, without a snapshot', async () => {
    const [a, b] = urls as [string, string];
    const first = await feed(b);
    await until(() => first.messages.some((m) => m.type === 'process.heartbeat'), 5000, 'a heartbeat');
    const since = lastSeq(first);
    first.ws.close();
    await first.closed;
    const missed = await submit(a, 'Console.WriteLine("while you were away");');
    // It finishes while nobody listens on B.
    await poll(
      () => getRun(a, missed),
      (r) => r.state === 'done',
      60_000,
      'the missed run to finish',
    );
    const back = await feed(b, since);
    try {
      const replayed = await until(() => doneOf(back, missed), 10_000, 'the missed run.done, replayed');
      assert.equal(replayed.replay, true);
      assert.equal(replayed.process.id, ids[0]);
      assert.ok(!back.messages.some((m) => m.type === 'snapshot'), 'no snapshot: the replay is its start');
      const types = back.messages.filter((m) => 'run' in m && m.run.id === missed).map((m) => m.type);
      assert.deepEqual(types, ['run.queued', 'run.done'], 'from its queueing on');
      const seqs = back.messages.map((m) => ('seq' in m ? m.seq : '')).filter(Boolean) as string[];
      assert.ok(
        seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as string) || s.length > (seqs[i - 1] as string).length),
        'in log order',
      );
      // A position the log does not hold any more (or never did): a fresh snapshot instead.
      const stale = await feed(b, '1-0');
      assert.equal((await until(() => stale.messages[0], 5000, 'a first message')).type, 'snapshot');
      stale.ws.close();
    } finally {
      back.ws.close();
    }
  });

  it('trims the stream by size when big events pass FLEET_STREAM_MAX_MB', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const big = JSON.stringify({ type: 'counters', at: 1, pad: 'z'.repeat(64 * 1024) });
      // One transaction, so no heartbeat's trim falls between the writes and the measure.
      const multi = client.multi();
      for (let i = 0; i < 60; i++) multi.addCommand(['XADD', 'sharpbox:fleet:events', '*', 'v', '1', 'm', big]);
      multi.addCommand(['MEMORY', 'USAGE', 'sharpbox:fleet:events', 'SAMPLES', '0']);
      const replies = (await multi.exec()) as unknown[];
      assert.ok(Number(replies.at(-1)) > 3 * 1024 * 1024, 'over the 1 MiB budget first');
      const usage = async () =>
        Number(await client.sendCommand(['MEMORY', 'USAGE', 'sharpbox:fleet:events', 'SAMPLES', '0']));
      await poll(usage, (bytes) => bytes <= 1.25 * 1024 * 1024, 5000, 'the stream back near 1 MiB');
    } finally {
      client.destroy();
    }
  });

  it('ignores an event of a newer protocol version with a log line, and goes on', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const watcher = await feed(urls[0] as string);
      await client.sendCommand([
        'XADD',
        'sharpbox:fleet:events',
        '*',
        'v',
        '99',
        'm',
        JSON.stringify({ type: 'run.teleported', at: 1 }),
      ]);
      const line = await (services[0] as ServiceProcess).waitForLog(
        'fleet event of another protocol version ignored',
        5000,
      );
      assert.equal(line.version, '99');
      const after = await submit(urls[1] as string, 'Console.WriteLine(1);');
      await until(() => doneOf(watcher, after), 60_000, 'the next run on the feed');
      assert.ok(!watcher.messages.some((m) => (m.type as string) === 'run.teleported'));
      watcher.ws.close();
    } finally {
      client.destroy();
    }
  });

  it("shows a killed process's runs as interrupted within its TTL, and drops it from the list", async () => {
    const c = service();
    const { url: cUrl, id: cId } = await up(c);
    const watcher = await feed(urls[0] as string);
    try {
      const id = await submit(cUrl, SLEEPER, API_A);
      await until(
        () => watcher.messages.some((m) => m.type === 'run.started' && m.id === id),
        60_000,
        'the run started on C',
      );
      const killedAt = Date.now();
      c.kill('SIGKILL');
      await c.exited;
      const gone = await until(
        () =>
          watcher.messages.find(
            (m): m is Extract<FeedMessage, { type: 'process.gone' }> => m.type === 'process.gone' && m.id === cId,
          ),
        TTL_MS + 4 * HEARTBEAT_MS + 3000,
        'process.gone for C',
      );
      const after = Date.now() - killedAt;
      assert.deepEqual(gone.interrupted, [id]);
      assert.equal(gone.clean, false);
      assert.ok(after <= TTL_MS + 2 * HEARTBEAT_MS + 2000, `announced ${after} ms after the kill`);
      assert.equal((await getRun(urls[1] as string, id, API_A)).state, 'interrupted');
      const cancel = await call(urls[1] as string, `/api/runs/${id}/cancel`, { method: 'POST', token: API_A });
      assert.equal(cancel.status, 409);
      const fresh = await feed(urls[1] as string);
      const snapshot = (await until(() => fresh.messages[0], 5000, 'a snapshot')) as Snapshot;
      assert.deepEqual(snapshot.processes.map((p) => p.id).sort(), [...ids].sort(), 'C has left the list');
      assert.equal(snapshot.recent.find((r) => r.id === id)?.state, 'interrupted');
      fresh.ws.close();
    } finally {
      watcher.ws.close();
    }
  });

  it('keeps serving each process when Redis goes away, says so, and catches up when it returns', async () => {
    const [a, b] = urls as [string, string];
    const client = await feed(a);
    // Its snapshot first: a client still being given one is closed (4011) without the status message.
    await until(() => client.messages[0], 5000, 'a snapshot');
    {
      await redis.stop();
      const status = await until(
        () => client.messages.find((m) => m.type === 'fleet.status' && !m.fleet.ok),
        10_000,
        'fleet.status degraded',
      );
      assert.equal(status.type, 'fleet.status');
      assert.equal(await client.closed, 4011, 'told to take a fresh snapshot');
      const health = (await (await call(a, '/healthz')).json()) as {
        ok: boolean;
        fleet: { ok: boolean; detail: string };
      };
      assert.equal(health.ok, true, 'the process itself is healthy');
      assert.equal(health.fleet.ok, false);
      assert.match(health.fleet.detail, /^Redis unreachable/);
    }
    const local = await feed(a);
    const snapshot = (await until(() => local.messages[0], 5000, 'a snapshot')) as Snapshot;
    assert.equal(snapshot.fleet.ok, false);
    assert.deepEqual(
      snapshot.processes.map((p) => p.id),
      [ids[0]],
    );
    // Its own API and feed go on.
    const during = await submit(a, 'Console.WriteLine("while Redis was away");');
    await until(() => doneOf(local, during), 60_000, 'the run, on its own feed');
    assert.equal((await getRun(a, during)).result?.stdout, 'while Redis was away\n');
    assert.equal((await call(b, `/api/runs/${during}`)).status, 404, 'B cannot know of it yet');
    // Redis back (empty: no persistence): the processes reconnect and write what they kept.
    redis = await startRedis(redis.port);
    assert.equal(await local.closed, 4011, 'told to take a fresh snapshot, now of the whole fleet');
    const fromB = await poll(
      () => getRun(b, during),
      (r) => r.state === 'done',
      20_000,
      'the run made while Redis was away, read from B',
    );
    assert.equal(fromB.result?.stdout, 'while Redis was away\n');
    const health = (await (await call(a, '/healthz')).json()) as { fleet: { ok: boolean; processes: number } };
    assert.equal(health.fleet.ok, true);
    assert.equal(health.fleet.processes, 2);
  });
});
