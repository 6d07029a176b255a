// What every service process puts around its runner, whatever backend it runs: fair use, the run hub,
// the fleet (shared through Redis when the store is Redis) and the HTTP server (dashboard, feed, API).
// One assembly for src/main.ts and for the fleet bench's processes (bench/fleetProcess.ts).
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { FairRunner, type Runner, type Store } from '../runner/index.js';
import { openFleet, processLabel, type Fleet } from './fleet/index.js';
import { RunHub } from './hub.js';
import { createMetrics } from './metrics.js';
import { startHttp, type HttpService } from './server.js';

export interface Stream {
  fair: FairRunner;
  hub: RunHub;
  fleet: Fleet;
  http: HttpService;
  /** After the runner has stopped: the HTTP server, then the fleet's goodbye (nothing left in flight). */
  close(): Promise<void>;
}

export async function startStream(
  config: Config,
  deps: { runner: Runner; store: Store; log: Logger },
): Promise<Stream> {
  const { runner, store, log } = deps;
  const fair = new FairRunner(runner, store.admissions, config.fairUse);
  const hub = new RunHub(runner, processLabel(config));
  const fleet = await openFleet(config.fleet, store, config.fairUse.storeUrl, {
    hub,
    runner,
    log: log.child({ component: 'fleet' }),
  });
  const http = await startHttp(config.http, {
    fair,
    fleet,
    metrics: createMetrics(runner),
    log: log.child({ component: 'http' }),
  });
  return {
    fair,
    hub,
    fleet,
    http,
    close: async () => {
      await http.close();
      await fleet.stop();
      hub.stop();
    },
  };
}
