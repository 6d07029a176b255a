// (q) The fleet's event delay (issue #15): two service processes as separate OS processes on one real
// redis-server; runs are submitted at 20/s for 30 s through process A's HTTP API while feed clients
// listen on B (the cross-process path: A's hub → XADD → B's XREAD → B's /feed) and on A (A's own feed,
// which also goes through Redis: the like-for-like baseline, same events at the same moment). Delay =
// Date.now() when the client receives an event of A's − its `at`, stamped by A's hub when it emitted it
// (one machine, one clock). The main figure uses processes assembled as src/main.ts does around the
// instant backend (bench/fleetProcess.ts), so it measures the fleet and not the sandbox's CPU; a
// reference line runs the real service (node dist/src/main.js, the local sandbox) at the same offered
// load. Then what the streams and run records hold in Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import WebSocket from 'ws';
import { fleetKeys } from '../src/stream/fleet/keys.js';
import type { FeedMessage } from '../src/stream/protocol.js';
import { ServiceProcess } from '../test/support/botProcess.js';
import { startRedis, type RedisServer } from '../test/support/redis.js';
import { ms, percentile } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADMIN = 'fleet-bench-admin-token-0123456789';
const RATE = 20;
/** 30 s as issue #15 asks; shorter only to try the bench out. */
const SECONDS = Number(process.env.BENCH_FLEET_SECONDS ?? 30);
const GOAL_P99_MS = 50;

/** What every process of the bench is told: one admin, and no fair-use limit in the way of 20 runs/s. */
const COMMON_ENV = {
  ADMIN_TOKEN: ADMIN,
  PORT: '0',
  USER_RUNS_PER_MINUTE: '10000',
  USER_CONCURRENT_RUNS: '1000',
  GLOBAL_MAX_IN_FLIGHT: '100000',
  DISCORD_TOKEN: '',
};

type Report = (label: string, value: string) => void;

interface Member {
  url: string;
  id: string;
  stop(): Promise<void>;
}

/** bench/fleetProcess.ts as its own OS process; resolves once it printed its URL and process id. */
async function spawnInstant(redisUrl: string): Promise<Member> {
  const child: ChildProcess = spawn(process.execPath, [join(root, 'dist', 'bench', 'fleetProcess.js')], {
    cwd: root,
    env: { ...process.env, ...COMMON_ENV, STORE_URL: redisUrl, SANDBOX_QUEUE_MAX: '10000', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const hello = await new Promise<{ url: string; process: string }>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`fleet bench process not up within 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`fleet bench process exited (${code}) before it was up: ${stderr}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      ok(JSON.parse(out.slice(0, nl)) as { url: string; process: string });
    });
  });
  return {
    url: hello.url,
    id: hello.process,
    stop: async () => {
      child.kill('SIGTERM');
      // Every wait has a deadline: a process that does not stop within 15 s is killed.
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The real service (node dist/src/main.js, local sandbox, SANDBOX_SLOTS default) on the fleet. */
async function spawnReal(redisUrl: string): Promise<Member> {
  const s = new ServiceProcess({ ...COMMON_ENV, STORE_URL: redisUrl, LOG_LEVEL: 'info' });
  try {
    const line = await s.waitForLog('sharpbox is up', 120_000);
    return {
      url: String(line.http),
      id: String(line.process),
      stop: async () => {
        s.kill('SIGTERM');
        const t = setTimeout(() => s.kill('SIGKILL'), 30_000);
        await s.exited;
        clearTimeout(t);
      },
    };
  } catch (err) {
    s.kill('SIGKILL');
    await s.exited;
    throw err;
  }
}

const call = (url: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });

interface FeedClient {
  /** Delay of every event of the owner's received, in ms. */
  delays: number[];
  /** How many of them were run events (run.*), the rest heartbeats, samples, counters. */
  runEvents: number;
  /** Run ids whose run.done of the owner's arrived. */
  done: Set<string>;
  /** Date.now() when the last of them arrived. */
  lastDoneAt: number;
  close(): void;
}

/** A feed client on `url` (ticket, then WebSocket) that times every event whose process is `owner`. */
async function feedClient(url: string, owner: string): Promise<FeedClient> {
  const res = await call(url, '/api/feed-tickets');
  if (res.status !== 200 && res.status !== 201) throw new Error(`feed ticket: ${res.status} ${await res.text()}`);
  const { ticket } = (await res.json()) as { ticket: string };
  const ws = new WebSocket(`${url.replace('http', 'ws')}/feed?ticket=${ticket}`);
  const client: FeedClient = { delays: [], runEvents: 0, done: new Set(), lastDoneAt: 0, close: () => ws.terminate() };
  ws.on('message', (data) => {
    const received = Date.now();
    const m = JSON.parse(String(data)) as FeedMessage;
    if (m.type === 'snapshot' || !('process' in m) || m.process?.id !== owner) return;
    client.delays.push(received - m.at);
    if (m.type.startsWith('run.')) client.runEvents += 1;
    if (m.type === 'run.done') {
      client.done.add(m.run.id);
      client.lastDoneAt = received;
    }
  });
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error('feed did not open within 10 s')), 10_000);
    ws.once('open', () => {
      clearTimeout(t);
      ok();
    });
    ws.once('error', fail);
  });
  return client;
}

interface Load {
  sent: number;
  accepted: string[];
  refused: number;
  /** Why: HTTP status (or "error") → how many. */
  refusedBy: Map<string, number>;
  /** Seconds from the first submission to the last one's answer. */
  sendSeconds: number;
  startedAt: number;
}

/** RATE runs a second for SECONDS through `url`, each at its own time (not after the previous answer). */
async function offer(url: string, code: (i: number) => string): Promise<Load> {
  const accepted: string[] = [];
  let refused = 0;
  const refusedBy = new Map<string, number>();
  const refuse = (why: string) => {
    refused += 1;
    refusedBy.set(why, (refusedBy.get(why) ?? 0) + 1);
  };
  const startedAt = Date.now();
  const total = RATE * SECONDS;
  const answers: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = startedAt + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    answers.push(
      call(url, '/api/runs', { code: code(i) }).then(
        async (res) => {
          if (res.status === 202) accepted.push(((await res.json()) as { id: string }).id);
          else {
            refuse(`HTTP ${res.status}`);
            await res.body?.cancel();
          }
        },
        () => refuse('error'),
      ),
    );
  }
  await Promise.all(answers);
  return { sent: total, accepted, refused, refusedBy, sendSeconds: (Date.now() - startedAt) / 1000, startedAt };
}

/** Waits until every accepted run's run.done reached the client, up to `deadlineMs`. */
async function drain(client: FeedClient, ids: readonly string[], deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (ids.some((id) => !client.done.has(id)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

interface RedisMemory {
  usedMemory: number;
  xlen: number;
  streamBytes: number;
  runKeys: number;
  runBytes: number;
}

async function redisMemory(url: string): Promise<RedisMemory> {
  const c = createClient({ url });
  await c.connect();
  try {
    const info = String(await c.sendCommand(['INFO', 'memory']));
    const usedMemory = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
    const xlen = Number(await c.sendCommand(['XLEN', fleetKeys.events]));
    // SAMPLES 0: every entry of the stream counted, not an estimate from 5.
    const streamBytes = Number((await c.sendCommand(['MEMORY', 'USAGE', fleetKeys.events, 'SAMPLES', '0'])) ?? 0);
    let runKeys = 0;
    let runBytes = 0;
    let cursor = '0';
    do {
      const [next, keys] = (await c.sendCommand([
        'SCAN',
        cursor,
        'MATCH',
        `${fleetKeys.run('')}*`,
        'COUNT',
        '1000',
      ])) as [string, string[]];
      cursor = next;
      for (const k of keys) {
        runKeys += 1;
        runBytes += Number((await c.sendCommand(['MEMORY', 'USAGE', k, 'SAMPLES', '0'])) ?? 0);
      }
    } while (cursor !== '0');
    return { usedMemory, xlen, streamBytes, runKeys, runBytes };
  } finally {
    await c.quit();
  }
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MiB`;
const why = (load: Load) =>
  load.refusedBy.size === 0 ? '' : ` (${[...load.refusedBy].map(([k, n]) => `${k}: ${n}`).join(', ')})`;
const met = (p99: number) => (p99 <= GOAL_P99_MS ? 'met' : 'NOT met');
const figures = (d: readonly number[]) =>
  `p50 ${ms(percentile(d, 50))} · p95 ${ms(percentile(d, 95))} · p99 ${ms(percentile(d, 99))} · max ${ms(Math.max(...d))}`;

/** The main figure: the instant backend, the fleet's event path alone. */
export async function instantFleet(report: Report): Promise<void> {
  const redis: RedisServer = await startRedis();
  const members: Member[] = [];
  const clients: FeedClient[] = [];
  try {
    members.push(await spawnInstant(redis.url), await spawnInstant(redis.url));
    const [a, b] = members as [Member, Member];
    // Let both heartbeat once and settle before measuring.
    await new Promise((r) => setTimeout(r, 2000));
    const before = await redisMemory(redis.url);
    const cross = await feedClient(b.url, a.id);
    const own = await feedClient(a.url, a.id);
    clients.push(cross, own);
    const load = await offer(a.url, (i) => `Console.WriteLine(${i});`);
    await drain(cross, load.accepted, 30_000);
    await drain(own, load.accepted, 5_000);
    const finished = load.accepted.filter((id) => cross.done.has(id)).length;
    const after = await redisMemory(redis.url);
    const how = `instant backend (~20 ms/run), ${RATE}/s offered for ${SECONDS} s via A's POST /api/runs`;
    report(`(q) fleet, cross-process: A's events on B's /feed (${how})`, figures(cross.delays));
    report("(q) fleet, own process: A's events on A's /feed (through Redis too), same events", figures(own.delays));
    report(
      '(q) fleet load: offered / sent / accepted / refused / finished (run.done on B)',
      `${RATE * SECONDS} / ${load.sent} in ${load.sendSeconds.toFixed(1)} s / ${load.accepted.length} / ${load.refused}${why(load)} / ${finished}`,
    );
    report(
      '(q) fleet rate: offered / achieved (runs finished ÷ first submit → last run.done on B)',
      `${RATE.toFixed(1)}/s / ${(finished / ((cross.lastDoneAt - load.startedAt) / 1000)).toFixed(1)}/s`,
    );
    report(
      "(q) fleet events timed, all of A's (of which run.*): on B / on A",
      `${cross.delays.length} (${cross.runEvents}) / ${own.delays.length} (${own.runEvents})`,
    );
    report(
      '(q) Redis: stream sharpbox:fleet:events after the run, XLEN / MEMORY USAGE SAMPLES 0',
      `${after.xlen} entries / ${mib(after.streamBytes)}`,
    );
    report(
      '(q) Redis: run records sharpbox:fleet:run:* (SCAN + MEMORY USAGE each)',
      `${after.runKeys} keys / ${mib(after.runBytes)}`,
    );
    report(
      '(q) Redis: INFO memory used_memory before load / after / difference',
      `${mib(before.usedMemory)} / ${mib(after.usedMemory)} / ${mib(after.usedMemory - before.usedMemory)}`,
    );
    report(
      `targets: fleet cross-process event delay p99 ≤ ${GOAL_P99_MS} ms (instant backend)`,
      met(percentile(cross.delays, 99)),
    );
  } finally {
    for (const c of clients) c.close();
    for (const m of members) await m.stop();
    await redis.stop();
  }
}

/** The reference line: the real service and its sandbox at the same offered load, on 2 cores. */
export async function realFleet(report: Report): Promise<void> {
  const redis: RedisServer = await startRedis();
  const members: Member[] = [];
  let client: FeedClient | null = null;
  try {
    members.push(await spawnReal(redis.url));
    members.push(await spawnReal(redis.url));
    const [a, b] = members as [Member, Member];
    client = await feedClient(b.url, a.id);
    // One run first: the compile server's first compile is cold, and (g) measures that, not this.
    const warm = await call(a.url, '/api/runs', { code: 'Console.WriteLine("warm");' });
    const warmId = ((await warm.json()) as { id: string }).id;
    await drain(client, [warmId], 60_000);
    client.delays.length = 0;
    const load = await offer(a.url, (i) => `Console.WriteLine(${i});`);
    // The sandbox cannot keep up with 20/s on 2 cores: what is queued gets 60 s, then the rest is cancelled.
    await drain(client, load.accepted, 60_000);
    const left = load.accepted.filter((id) => !client?.done.has(id));
    await Promise.all(left.map((id) => call(a.url, `/api/runs/${id}/cancel`).then((r) => r.body?.cancel())));
    const finished = load.accepted.length - left.length;
    report(
      `(q) reference, REAL sandbox (node dist/src/main.js ×2), under the sandbox's CPU load: A's events on B`,
      figures(client.delays),
    );
    report(
      '(q) reference load: offered / accepted / refused / finished in time / cancelled after 60 s drain',
      `${RATE * SECONDS} / ${load.accepted.length} / ${load.refused}${why(load)} / ${finished} / ${left.length}`,
    );
    report(
      '(q) reference rate: offered / achieved (finished ÷ first submit → last run.done)',
      `${RATE.toFixed(1)}/s / ${(finished / ((client.lastDoneAt - load.startedAt) / 1000)).toFixed(1)}/s`,
    );
    report(
      `targets: fleet cross-process p99 ≤ ${GOAL_P99_MS} ms with the REAL sandbox saturating 2 cores (reference)`,
      met(percentile(client.delays, 99)),
    );
  } finally {
    client?.close();
    for (const m of members) await m.stop();
    await redis.stop();
  }
}

export async function reportFleet(report: Report): Promise<void> {
  await instantFleet(report);
  await realFleet(report);
}
