// The shared store, chosen by one URL (STORE_URL): memory:// (the default), sqlite://PATH (a file that
// survives restarts) or redis://HOST:PORT (shared by several processes or shards), each through Keyv's
// own adapter. It holds rate-limit state, guild settings and the aci backend's Azure budgets.
import Keyv from 'keyv';
import {
  FallbackAdmissionStore,
  LocalAdmissionStore,
  RedisAdmissionStore,
  type AdmissionStore,
  type RedisLike,
} from './admission.js';
import type { Logger } from '../log.js';

export interface Store {
  keyv: Keyv;
  admissions: AdmissionStore;
  kind: 'memory' | 'sqlite' | 'redis';
  close(): Promise<void>;
}

const NAMESPACE = 'sharpbox';

export async function openStore(url: string, log?: Logger): Promise<Store> {
  const scheme = url.split(':')[0];
  if (scheme === 'memory') {
    const keyv = new Keyv({ namespace: NAMESPACE });
    return { keyv, admissions: new LocalAdmissionStore(keyv), kind: 'memory', close: async () => undefined };
  }
  if (scheme === 'sqlite') {
    // Adapters load only when chosen (the SQLite one brings a native module).
    const { default: KeyvSqlite } = await import('@keyv/sqlite');
    const adapter = new KeyvSqlite({ uri: url, busyTimeout: 5000 });
    const keyv = new Keyv({ store: adapter, namespace: NAMESPACE });
    await keyv.get('probe'); // fail at start-up, not on the first run, if the file cannot be opened
    return { keyv, admissions: new LocalAdmissionStore(keyv), kind: 'sqlite', close: () => keyv.disconnect() };
  }
  if (scheme === 'redis' || scheme === 'rediss') {
    const { default: KeyvRedis } = await import('@keyv/redis');
    // No offline queue: while Redis is away a command fails at once instead of waiting for its return
    // (a run's admission must not hang); the client reconnects by itself with a capped backoff.
    const adapter = new KeyvRedis(
      {
        url,
        disableOfflineQueue: true,
        socket: { connectTimeout: 5000, reconnectStrategy: (retries: number) => Math.min(2000, 100 * 2 ** retries) },
      },
      { throwOnConnectError: true, throwOnErrors: true, connectionTimeout: 5000 },
    );
    const keyv = new Keyv({ store: adapter, namespace: NAMESPACE, useKeyPrefix: false, throwOnErrors: true });
    await keyv.get('probe');
    const client = async (): Promise<RedisLike> => (await adapter.getClient()) as unknown as RedisLike;
    return {
      keyv,
      // Redis away: this process admits by its own limits (in memory) until it returns, so runs go on.
      admissions: new FallbackAdmissionStore(
        new RedisAdmissionStore(client, `${NAMESPACE}:`),
        new LocalAdmissionStore(new Keyv({ namespace: NAMESPACE })),
        (away, err) =>
          away
            ? log?.warn("fair use: Redis unreachable; this process's own limits apply until it returns", {
                err: err instanceof Error ? err.message : String(err),
              })
            : log?.info('fair use: Redis reachable again; the shared limits apply'),
      ),
      kind: 'redis',
      close: () => keyv.disconnect(),
    };
  }
  throw new Error(`unsupported store URL '${url}' (expected memory://, sqlite://PATH or redis://HOST:PORT)`);
}
