// Which fleet a process joins: the Redis one when the store is Redis (every process on it), else itself.
import type { FleetConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Runner, Store } from '../../runner/index.js';
import type { RunHub } from '../hub.js';
import type { Fleet } from './fleet.js';
import { LocalFleet } from './local.js';
import { RedisFleet } from './redis.js';

export type { Fleet, CancelOutcome } from './fleet.js';
export { processLabel } from './info.js';

export async function openFleet(
  config: FleetConfig,
  store: Pick<Store, 'kind'>,
  storeUrl: string,
  deps: { hub: RunHub; runner: Runner; log: Logger },
): Promise<Fleet> {
  if (store.kind === 'redis') return RedisFleet.open(config, storeUrl, deps);
  return new LocalFleet(config, deps.hub, deps.runner);
}
