// The admin feed under load: 100 feed clients while 20 runs/s flow through the real sandbox for 30 s.
// Event delay = when a client receives an event − when the hub emitted it (`at`). Then the same with one
// deliberately slow client (it never reads) added: the others' delay must not rise.
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import type { Runner } from '../src/runner/index.js';
import { openStore } from '../src/runner/store.js';
import type { FeedMessage } from '../src/stream/protocol.js';
import { startStream } from '../src/stream/start.js';
import { percentile } from './stats.js';

const TOKEN = 'bench-admin-token-0123456789';

export interface FeedFigures {
  p99: number;
  p50: number;
  events: number;
  runs: number;
  p99WithSlow: number;
  eventsWithSlow: number;
  slowDropped: number;
}

export async function feedUnderLoad(runner: Runner, seconds: number, slowSeconds: number): Promise<FeedFigures> {
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    ADMIN_TOKEN: TOKEN,
    FEED_MAX_CLIENTS: '500',
    FEED_MAX_BUFFER_BYTES: '262144',
    USER_RUNS_PER_MINUTE: '10000',
    USER_CONCURRENT_RUNS: '1000',
    GLOBAL_MAX_IN_FLIGHT: '100000',
    LOG_LEVEL: 'silent',
  });
  const store = await openStore('memory://');
  const { fair, http, close } = await startStream(config, { runner, store, log: createLogger('silent') });
  let delays: number[] = [];
  const clients: WebSocket[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: 100 },
        () =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(`${http.url.replace('http', 'ws')}/feed`, {
              headers: { Authorization: `Bearer ${TOKEN}` },
            });
            ws.on('message', (data) => {
              const m = JSON.parse(String(data)) as FeedMessage;
              if (m.type !== 'snapshot' && m.type !== 'counters') delays.push(Date.now() - m.at);
            });
            ws.on('open', () => resolve());
            ws.on('error', reject);
            clients.push(ws);
          }),
      ),
    );
    const flow = async (forSeconds: number): Promise<number> => {
      const pending: Promise<unknown>[] = [];
      const end = Date.now() + forSeconds * 1000;
      for (let i = 0; Date.now() < end; i++) {
        const s = await fair.submit(
          { source: `Console.WriteLine(${i});`, labels: { bench: 'feed' } },
          { user: `feed-${i % 20}`, guild: null },
        );
        if (s.ok) pending.push(s.handle.result);
        await new Promise((r) => setTimeout(r, 50)); // 20 runs a second
      }
      await Promise.all(pending);
      return pending.length;
    };
    const runs = await flow(seconds);
    const first = [...delays];
    delays = [];
    // One client that never reads: it must be dropped, and the others must not notice.
    const slow = new WebSocket(`${http.url.replace('http', 'ws')}/feed`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    await new Promise((r) => slow.on('open', r));
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    await flow(slowSeconds);
    const health = (await (await fetch(`${http.url}/healthz`)).json()) as { feedDropped: { slowConsumer: number } };
    slow.terminate();
    return {
      p99: percentile(first, 99),
      p50: percentile(first, 50),
      events: first.length,
      runs,
      p99WithSlow: percentile(delays, 99),
      eventsWithSlow: delays.length,
      slowDropped: health.feedDropped.slowConsumer,
    };
  } finally {
    for (const c of clients) c.terminate();
    await close();
    await store.close();
  }
}
