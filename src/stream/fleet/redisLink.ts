// The fleet's connections to Redis (node-redis): one for commands, one for the blocking stream read,
// one for cancel messages (pub/sub needs a connection of its own). Commands fail at once while Redis is
// away (no offline queue: a run's events must not pile up in a client buffer), and each connection
// reconnects by itself with a capped, jittered backoff.
import { createClient } from '@redis/client';

export type Reply = string | number | null | Reply[];

export interface Link {
  /** One command, its raw reply (RESP2: strings, integers, nulls and arrays). */
  cmd(args: readonly string[]): Promise<Reply>;
  /** Called when the command connection is lost (error) and when it is ready again. */
  onState(listener: (ready: boolean, detail: string) => void): void;
  /** The blocking reader's own command (XREAD BLOCK), on its own connection. */
  blocking(args: readonly string[]): Promise<Reply>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** Reconnect backoff: 100 ms doubling to 2 s, with jitter so processes do not reconnect in step. */
function reconnectDelay(retries: number): number {
  return Math.min(2000, 100 * 2 ** retries) * (0.75 + Math.random() * 0.5);
}

export async function openLink(url: string, connectTimeoutMs: number): Promise<Link> {
  const options = {
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: reconnectDelay },
  };
  const main = createClient(options);
  const reader = createClient(options);
  const sub = createClient(options);
  const stateListeners: ((ready: boolean, detail: string) => void)[] = [];
  let ready = false;
  main.on('error', (err: unknown) => {
    // node-redis reports every failed reconnect; the fleet needs to hear of the first only.
    if (!ready) return;
    ready = false;
    for (const l of stateListeners) l(false, err instanceof Error ? err.message : String(err));
  });
  main.on('ready', () => {
    if (ready) return;
    ready = true;
    for (const l of stateListeners) l(true, 'connected');
  });
  // The other two report through the main connection's state; their errors must still be listened to.
  reader.on('error', () => undefined);
  sub.on('error', () => undefined);
  try {
    await Promise.all([main.connect(), reader.connect(), sub.connect()]);
  } catch (err) {
    for (const c of [main, reader, sub]) c.destroy();
    throw err;
  }
  ready = true;
  return {
    cmd: (args) => main.sendCommand([...args]) as Promise<Reply>,
    onState: (l) => void stateListeners.push(l),
    blocking: (args) => reader.sendCommand([...args]) as Promise<Reply>,
    subscribe: async (channel, listener) => {
      await sub.subscribe(channel, (message: string) => listener(message));
    },
    close: async () => {
      // destroy, not quit: a blocked XREAD would hold quit until its timeout.
      for (const c of [main, reader, sub]) c.destroy();
      await Promise.resolve();
    },
  };
}
