// Guild settings while the store (Redis) is away: reads keep what was last read (a server keeps its
// auto-run channels through an outage), and a change is refused as SettingsUnavailable, never lost
// silently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { DEFAULT_SETTINGS, GuildSettingsStore, SettingsUnavailable } from '../../src/bot/settings.js';

function flakyKeyv(): { keyv: Keyv; down: (d: boolean) => void } {
  const data = new Map<string, unknown>();
  let isDown = false;
  const check = (): void => {
    if (isDown) throw new Error('The client is offline');
  };
  const store = {
    opts: {},
    namespace: undefined,
    get: async (k: string) => (check(), data.get(k)),
    set: async (k: string, v: unknown) => (check(), data.set(k, v), true),
    delete: async (k: string) => (check(), data.delete(k)),
    clear: async () => (check(), data.clear()),
    on: () => store,
  } as unknown as KeyvStoreAdapter;
  return { keyv: new Keyv({ store, throwOnErrors: true }), down: (d) => (isDown = d) };
}

describe('guild settings through a store outage', () => {
  it('reads the last known settings while the store is away, and refuses changes with SettingsUnavailable', async () => {
    const { keyv, down } = flakyKeyv();
    const settings = new GuildSettingsStore(keyv);
    await settings.update('g1', (s) => ({ ...s, autorunChannels: ['c1'] }));
    down(true);
    assert.deepEqual((await settings.get('g1')).autorunChannels, ['c1'], 'last known, not the defaults');
    assert.deepEqual(await settings.get('g2'), DEFAULT_SETTINGS, 'never read: the defaults');
    await assert.rejects(
      settings.update('g1', (s) => ({ ...s, autorunChannels: [] })),
      (err) => err instanceof SettingsUnavailable && /offline/.test(err.message),
    );
    down(false);
    assert.deepEqual((await settings.get('g1')).autorunChannels, ['c1'], 'the refused change was not made');
  });
});
