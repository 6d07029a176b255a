// The admin dashboard in real headless Chromium against a scripted feed: the test plays the server's side
// of protocol v2 (a snapshot of a fleet of processes, live events, a replay after a break, a resync close)
// over a real WebSocket, and serves the real built page, modules and vendored libraries through the same
// file table as the service (adminFiles.ts), under the same CSP. It reads only what the page shows.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RunResult, RunStatus } from '../../src/runner/index.js';
import { adminFiles, serveAdminFile } from '../../src/stream/adminFiles.js';
import {
  FEED_CLOSE,
  FEED_PROTOCOL_VERSION,
  SAMPLE_INTERVAL_MS,
  type FeedEvent,
  type FeedMessage,
  type ProcessInfo,
  type ProcessLabel,
  type RunSummary,
  type Sample,
  type Snapshot,
} from '../../src/stream/protocol.js';
import { launchChromium } from '../support/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ADMIN = 'admin-token-for-the-dashboard-test';
const WAIT_MS = 10_000;

// ---- The fleet the script describes -------------------------------------------------------------------

const P1: ProcessLabel = { id: 'web-1-4242-a1b2c3d4e5', host: 'web-1', shards: '0,1/4' };
const P2: ProcessLabel = { id: 'web-2-5151-f6a7b8c9d0', host: 'web-2', shards: '2,3/4' };
const P3: ProcessLabel = { id: 'web-3-6262-0123456789', host: 'web-3', shards: null };
const now = Date.now();
/** The newest aligned sample time: processes sample on the same 10 s boundaries. */
const lastAt = Math.floor(now / SAMPLE_INTERVAL_MS) * SAMPLE_INTERVAL_MS;

function info(p: ProcessLabel, alive: boolean, running: number, capacity: number, queued: number): ProcessInfo {
  return {
    ...p,
    backend: 'local',
    version: '0.1.0',
    startedAt: now - 2 * 3600_000,
    lastHeartbeat: alive ? now - 1000 : now - 45_000,
    alive,
    health: { name: 'local', ok: true, detail: '8 slots' },
    counters: { submitted: 50, finished: 40, refused: 3, byStatus: { ok: 30, compile_error: 6, timeout: 4 } },
    stats: {
      running,
      queued,
      capacity,
      gated: false,
      throughputPerSecond: 0.4,
      latencyP50Ms: 120,
      latencyP95Ms: 480,
    },
  };
}

/** P1: a whole hour (360 points); P2: its last 300 intervals, up to when it was lost. */
const series1: Sample[] = Array.from({ length: 360 }, (_, i) => ({
  at: lastAt - (359 - i) * SAMPLE_INTERVAL_MS,
  finished: 1 + (i % 7),
  refused: i % 3,
  byStatus: { ok: i % 7, runtime_error: 1 },
  latencyP50Ms: 100 + i,
  latencyP95Ms: 300 + i,
  queued: i % 5,
  running: 2,
}));
const series2: Sample[] = Array.from({ length: 300 }, (_, i) => ({
  at: lastAt - (299 - i) * SAMPLE_INTERVAL_MS,
  finished: 2 + (i % 3),
  refused: 0,
  byStatus: { ok: 2 + (i % 3) },
  latencyP50Ms: 150,
  latencyP95Ms: 900,
  queued: 1,
  running: 1,
}));

function run(
  id: string,
  on: ProcessLabel,
  who: Record<string, string>,
  state: RunSummary['state'],
  status: RunStatus | null,
  code = 'Console.WriteLine(1);',
): RunSummary {
  const done = state === 'done';
  return {
    id,
    labels: who,
    backend: 'local',
    code,
    state,
    status,
    reason: null,
    submittedAt: now - 120_000 + id.length * 1000,
    startedAt: now - 59_000,
    finishedAt: done ? now - 58_000 : null,
    compileMs: done ? 300 : null,
    runMs: done ? 40 : null,
    peakMemoryBytes: null,
    process: on,
  };
}

const HOSTILE_CODE =
  'using System;\n// <img src=x onerror="window.pwned = 1">\nclass Program {\n  static void Main() => Console.WriteLine("<img src=x onerror=\\"window.pwned = 1\\">");\n}\n';

const snapshotRuns = {
  recent: [
    run('r-ok-alice', P1, { user: 'alice' }, 'done', 'ok'),
    run('r-ce-api', P2, { api: 'ci-bot' }, 'done', 'compile_error'),
    run('r-to-bob', P1, { user: 'bob' }, 'done', 'timeout'),
    run('r-xss-mallory', P1, { user: 'mallory' }, 'done', 'ok', HOSTILE_CODE),
    // P2 was lost while this ran: the server hands it over as interrupted.
    run('r-int-p2', P2, { user: 'alice' }, 'interrupted', null),
  ],
  inFlight: [run('r-run-alice', P1, { user: 'alice' }, 'running', null)],
};

function snapshot(seq: string, fleetOk: boolean): Snapshot {
  return {
    type: 'snapshot',
    version: FEED_PROTOCOL_VERSION,
    at: now,
    self: P1,
    fleet: { mode: 'redis', ok: fleetOk, detail: fleetOk ? 'redis ok' : 'redis unreachable' },
    seq,
    processes: [info(P1, true, 3, 8, 2), info(P2, false, 0, 8, 0)],
    series: { [P1.id]: series1, [P2.id]: series2 },
    inFlight: snapshotRuns.inFlight,
    recent: snapshotRuns.recent,
    counters: { submitted: 50, finished: 40, refused: 3, byStatus: { ok: 30, compile_error: 6, timeout: 4 } },
    stats: info(P1, true, 3, 8, 2).stats,
    backend: { name: 'local', ok: true, detail: '8 slots' },
  };
}

let seq = 100;
function event(from: ProcessLabel, e: FeedEvent, replay = false): FeedMessage {
  return { ...e, v: FEED_PROTOCOL_VERSION, process: from, seq: `${++seq}-0`, ...(replay ? { replay: true } : {}) };
}

const okResult: RunResult = {
  status: 'ok',
  exitCode: 0,
  signal: null,
  reason: null,
  stdout: 'hi\n',
  stderr: '',
  truncated: false,
  diagnostics: [],
  compileMs: 300,
  runMs: 40,
  peakMemoryBytes: null,
  cpuMs: null,
};

// ---- The scripted server ------------------------------------------------------------------------------

interface Connection {
  ws: WebSocket;
  params: URLSearchParams;
}

let server: Server;
let base: string;
const connections: Connection[] = [];
let connectionArrived: (() => void) | null = null;
/** While set, ticket requests wait: the page stays disconnected long enough to be looked at. */
let ticketGate: Promise<void> | null = null;

async function nextConnection(count: number): Promise<Connection> {
  const deadline = Date.now() + WAIT_MS;
  while (connections.length < count) {
    if (Date.now() > deadline) throw new Error(`connection ${count} did not arrive`);
    await new Promise<void>((r) => {
      connectionArrived = r;
      setTimeout(r, 200);
    });
  }
  return connections[count - 1] as Connection;
}

function send(c: Connection, m: FeedMessage): void {
  c.ws.send(JSON.stringify(m));
}

before(async () => {
  const files = adminFiles();
  let tickets = 0;
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    void (async () => {
      if (await serveAdminFile(files, req.method ?? 'GET', path, res)) return;
      if (req.method === 'POST' && path === '/api/feed-tickets') {
        if (req.headers.authorization !== `Bearer ${ADMIN}`) {
          res.writeHead(401).end();
          return;
        }
        if (ticketGate) await ticketGate;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ticket: `ticket-${++tickets}`, expiresInMs: 30_000 }));
        return;
      }
      res.writeHead(404).end();
    })();
  });
  const wss = new WebSocketServer({ server, path: '/feed' });
  wss.on('connection', (ws, req) => {
    connections.push({ ws, params: new URL(req.url ?? '/', 'http://localhost').searchParams });
    connectionArrived?.();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

// ---- Reading the page ---------------------------------------------------------------------------------

const ids = (page: Page, selector: string): Promise<string[]> =>
  page.$$eval(selector, (rows) => rows.map((r) => (r as HTMLElement).dataset.id ?? ''));

async function chart(page: Page, id: string): Promise<{ points: number; last: string }> {
  return page.$eval(`#chart-${id}`, (f) => ({
    points: Number((f as HTMLElement).dataset.points),
    last: (f as HTMLElement).dataset.last ?? '',
  }));
}

async function filterRuns(page: Page, status: string, who: string, process: string): Promise<string[]> {
  await page.selectOption('#filter-status', status);
  await page.fill('#filter-who', who);
  await page.selectOption('#filter-process', process);
  return (await ids(page, '#runs tbody tr')).sort();
}

describe('the dashboard of a fleet', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('lists the processes, charts their hour, filters runs, highlights code safely, and rides out breaks', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const violations: string[] = [];
    const problems: string[] = [];
    await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportViolation(v: string): void }).reportViolation(
          `${e.violatedDirective} ${e.blockedURI}`,
        ),
      );
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('response', (r) => {
      // The service has no favicon either; anything else the page asks for must be there.
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });

    await page.goto(`${base}/admin`);
    await page.fill('#token', ADMIN);
    await page.click('button[type=submit]');
    const first = await nextConnection(1);
    assert.equal(first.params.get('ticket'), 'ticket-1');
    assert.equal(first.params.has('since'), false, 'a first connection asks for a snapshot');
    send(first, snapshot('100-0', true));
    await page.waitForSelector('#connection.on');
    await page.waitForSelector('#processes tbody tr[data-alive="false"]');

    // The process list: one alive, one gone, each with its figures.
    assert.deepEqual(await ids(page, '#processes tbody tr[data-alive="true"]'), [P1.id]);
    assert.deepEqual(await ids(page, '#processes tbody tr[data-alive="false"]'), [P2.id]);
    const p1Cells = await page.$$eval(`#processes tr[data-id="${P1.id}"] td`, (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(p1Cells.slice(1, 6), ['web-1', '0,1/4', 'local', '0.1.0', '2 h 0 min']);
    assert.match(p1Cells[0] ?? '', /^web-1-4…2c3d4e5 \(serving this page\)$/);
    assert.deepEqual(p1Cells.slice(7), ['3/8', '2', 'ok', 'alive']);
    assert.equal(await page.textContent(`#processes tr[data-id="${P2.id}"] td:last-child`), 'gone');
    assert.equal(await page.textContent('#process-count'), '1 alive · 1 gone');

    // The run table: the process holding each run, the lost process's run interrupted.
    assert.equal(await page.textContent('#runs thead th:last-child'), 'process');
    assert.equal(await page.textContent('#runs tr[data-id="r-ce-api"] td:last-child'), 'web-2 · …b8c9d0');
    assert.equal(await page.getAttribute('#runs tr[data-id="r-ce-api"]', 'data-process'), P2.id);
    assert.equal(await page.getAttribute('#runs tr[data-id="r-int-p2"]', 'data-state'), 'interrupted');
    assert.equal(await page.textContent('#runs tr[data-id="r-ok-alice"] td:nth-child(4)'), 'ok');

    // The charts: one uPlot canvas each, the fleet's curve over the union of the processes' points.
    assert.equal(await page.locator('#charts figure.chart').count(), 5);
    assert.equal(await page.locator('#charts figure.chart .uplot canvas').count(), 5);
    for (const id of ['throughput', 'latency', 'queue', 'refusals', 'status'])
      assert.equal((await chart(page, id)).points, 360, `${id}: P1's 360 points, P2's 300 among them`);
    const l1 = series1[359] as Sample;
    const l2 = series2[299] as Sample;
    // Fleet = the sum at the same `at`; latency = the slowest process's, and labelled so.
    assert.equal((await chart(page, 'throughput')).last, String((l1.finished + l2.finished) / 10));
    assert.equal((await chart(page, 'queue')).last, `${l1.queued + l2.queued} ${l1.running + l2.running}`);
    assert.equal((await chart(page, 'refusals')).last, String(l1.refused + l2.refused));
    assert.equal((await chart(page, 'latency')).last, `${l1.latencyP50Ms} ${l2.latencyP95Ms}`);
    assert.match((await page.textContent('#chart-latency .u-legend')) ?? '', /p95 \(slowest process\)/);
    // By status, in the order ok, compile_error, runtime_error, …
    assert.equal(
      (await chart(page, 'status')).last,
      `${(l1.byStatus.ok ?? 0) + (l2.byStatus.ok ?? 0)} 0 ${l1.byStatus.runtime_error} 0 0 0 0 0`,
    );
    // One process: its own points.
    await page.selectOption('#chart-scope', P2.id);
    assert.equal((await chart(page, 'throughput')).points, 300);
    assert.equal((await chart(page, 'latency')).last, `${l2.latencyP50Ms} ${l2.latencyP95Ms}`);
    assert.doesNotMatch((await page.textContent('#chart-latency .u-legend')) ?? '', /slowest/);
    assert.equal(await page.getAttribute('#status-totals li[data-status="compile_error"]', 'data-count'), '6');
    await page.selectOption('#chart-scope', 'fleet');
    assert.equal((await chart(page, 'throughput')).points, 360);

    // Filters, client-side: status, who, process, and together.
    assert.deepEqual(await filterRuns(page, 'compile_error', '', ''), ['r-ce-api']);
    assert.deepEqual(await filterRuns(page, '', 'ALI', ''), ['r-int-p2', 'r-ok-alice', 'r-run-alice']);
    assert.deepEqual(await filterRuns(page, '', 'ci-b', ''), ['r-ce-api']);
    assert.deepEqual(await filterRuns(page, '', '', P2.id), ['r-ce-api', 'r-int-p2']);
    assert.deepEqual(await filterRuns(page, 'interrupted', '', ''), ['r-int-p2']);
    assert.deepEqual(await filterRuns(page, 'in-flight', '', ''), ['r-run-alice']);
    assert.deepEqual(await filterRuns(page, 'ok', 'alice', P1.id), ['r-ok-alice']);
    assert.equal(await page.textContent('#run-count'), '1 of 6 runs');
    assert.equal((await filterRuns(page, '', '', '')).length, 6);

    // The code pane: C# tokens as spans; the hostile markup in it stays text.
    await page.click('#runs tr[data-id="r-xss-mallory"]');
    await page.waitForSelector('#detail-code span.token');
    const keywords = await page.$$eval('#detail-code span.token.keyword', (s) => s.map((e) => e.textContent));
    assert.ok(keywords.includes('class') && keywords.includes('static') && keywords.includes('void'), String(keywords));
    assert.equal(
      await page.textContent('#detail-code span.token.comment'),
      '// <img src=x onerror="window.pwned = 1">',
    );
    assert.equal(await page.locator('#detail-code img').count(), 0);
    assert.equal(await page.textContent('#detail-code'), HOSTILE_CODE);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);

    // Live: a process joins, a run goes through it, a sample arrives, the process is lost mid-run.
    send(first, event(P3, { type: 'process.heartbeat', at: Date.now(), info: info(P3, true, 0, 4, 0) }));
    send(
      first,
      event(P3, {
        type: 'run.queued',
        at: Date.now(),
        run: run('r-p3-carol', P3, { user: 'carol' }, 'queued', null),
        position: 1,
      }),
    );
    await page.waitForSelector('#runs tr[data-id="r-p3-carol"][data-state="queued"]');
    send(first, event(P3, { type: 'run.started', at: Date.now(), id: 'r-p3-carol' }));
    await page.waitForSelector('#runs tr[data-id="r-p3-carol"][data-state="running"]');
    assert.equal(await page.textContent('#process-count'), '2 alive · 1 gone');
    const next: Sample = { ...l1, at: lastAt + SAMPLE_INTERVAL_MS, finished: 5, refused: 1, queued: 0, running: 1 };
    send(first, event(P1, { type: 'process.sample', at: Date.now(), sample: next }));
    // P2 has no point at the new `at`: the fleet's is P1's alone.
    await page.waitForSelector('#chart-throughput[data-last="0.5"]');
    // An hour is kept: P1's oldest point made way, and P2's 300 still fall within the hour.
    assert.equal((await chart(page, 'throughput')).points, 360);
    assert.equal((await chart(page, 'queue')).last, '0 1');
    send(
      first,
      event(P1, {
        type: 'run.done',
        at: Date.now(),
        run: run('r-run-alice', P1, { user: 'alice' }, 'done', 'ok'),
        result: okResult,
      }),
    );
    await page.waitForSelector('#runs tr[data-id="r-run-alice"][data-state="done"]');
    send(
      first,
      event(P1, { type: 'process.gone', at: Date.now(), id: P3.id, interrupted: ['r-p3-carol'], clean: false }),
    );
    await page.waitForSelector('#runs tr[data-id="r-p3-carol"][data-state="interrupted"]');
    assert.equal(await page.textContent(`#processes tr[data-id="${P3.id}"] td:last-child`), 'gone (lost)');
    assert.equal(await page.textContent('#process-count'), '1 alive · 2 gone');

    // The fleet's link degrades and comes back: a banner saying why, then none.
    assert.equal(await page.isHidden('#banner'), true);
    send(first, {
      type: 'fleet.status',
      at: Date.now(),
      fleet: { mode: 'redis', ok: false, detail: 'redis unreachable: ECONNREFUSED' },
    });
    await page.waitForSelector('#banner[data-reason="degraded"]:not([hidden])');
    assert.match((await page.textContent('#banner')) ?? '', /redis unreachable: ECONNREFUSED/);
    send(first, { type: 'fleet.status', at: Date.now(), fleet: { mode: 'redis', ok: true, detail: 'redis ok' } });
    await page.waitForSelector('#banner', { state: 'hidden' });

    // A break: the banner says so; the reconnect asks to replay from the last position, and the replay
    // (no snapshot) fills in what was missed.
    const lastSeq = `${seq}-0`;
    let openGate = (): void => {};
    ticketGate = new Promise<void>((r) => (openGate = r));
    first.ws.close(1001, 'going away');
    await page.waitForSelector('#banner[data-reason="disconnected"]:not([hidden])');
    assert.match((await page.textContent('#banner')) ?? '', /Feed disconnected: closed \(1001: going away\)/);
    assert.equal(await page.textContent('#connection'), 'reconnecting…');
    ticketGate = null;
    openGate();
    const second = await nextConnection(2);
    assert.equal(second.params.get('since'), lastSeq);
    send(
      second,
      event(
        P1,
        { type: 'run.queued', at: Date.now(), run: run('r-missed', P1, { user: 'dave' }, 'queued', null), position: 1 },
        true,
      ),
    );
    await page.waitForSelector('#runs tr[data-id="r-missed"]');
    await page.waitForSelector('#banner', { state: 'hidden' });
    assert.equal((await ids(page, '#runs tbody tr')).length, 8, 'the replay added to what the page held');

    await page.click('#runs tr[data-id="r-xss-mallory"]');
    await mkdir(join(root, '.artifacts'), { recursive: true });
    await page.screenshot({ path: join(root, '.artifacts', 'admin-fleet.png'), fullPage: true });

    // A resync close: reconnect at once, without since, and take the fresh snapshot.
    second.ws.close(FEED_CLOSE.resync, 'fleet link changed');
    const third = await nextConnection(3);
    assert.equal(third.params.has('since'), false, 'after a resync the page asks for a snapshot');
    send(third, snapshot('300-0', false));
    await page.waitForSelector('#banner[data-reason="degraded"]:not([hidden])');
    assert.match((await page.textContent('#banner')) ?? '', /redis unreachable/);
    await page.waitForSelector('#runs tr[data-id="r-missed"]', { state: 'detached' });
    assert.equal(await page.locator('#runs tr[data-id="r-missed"]').count(), 0, 'the snapshot replaced the state');

    assert.deepEqual(problems, []);
    assert.deepEqual(violations, []);
    // The listener does see a violation: markup with an inline style is refused by this CSP.
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<div style="color: red">x</div>'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(violations.length, 1);
    assert.match(violations[0] ?? '', /^style-src/);
    await page.close();
  });
});
