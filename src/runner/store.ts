// The shared store, chosen by one URL (STORE_URL): memory:// (the default), sqlite://PATH (a file that
// survives restarts) or redis://HOST:PORT (shared by several processes or shards), each through Keyv's
// own adapter. It holds rate-limit state, guild settings and the aci backend's Azure budgets.
import Keyv from 'keyv';
import { LocalAdmissionStore, RedisAdmissionStore, type AdmissionStore, type RedisLike } from './admission.js';

export interface Store {
  keyv: Keyv;
  admissions: AdmissionStore;
  kind: 'memory' | 'sqlite' | 'redis';
  close(): Promise<void>;
}

const NAMESPACE = 'sharpbox';

export async function openStore(url: string): Promise<Store> {
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
    const adapter = new KeyvRedis(url, { throwOnConnectError: true, connectionTimeout: 5000 });
    const keyv = new Keyv({ store: adapter, namespace: NAMESPACE, useKeyPrefix: false });
    await keyv.get('probe');
    const client = async (): Promise<RedisLike> => (await adapter.getClient()) as unknown as RedisLike;
    return {
      keyv,
      admissions: new RedisAdmissionStore(client, `${NAMESPACE}:`),
      kind: 'redis',
      close: () => keyv.disconnect(),
    };
  }
  throw new Error(`unsupported store URL '${url}' (expected memory://, sqlite://PATH or redis://HOST:PORT)`);
}
