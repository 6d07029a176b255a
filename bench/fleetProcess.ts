// One service process of the fleet bench (section q), assembled exactly as src/main.ts assembles the
// service (openStore → createRunner → FairRunner → RunHub → openFleet → startHttp) but around the instant
// backend, so 20 runs/s measure the fleet's event path and not the sandbox's CPU. Configured by its
// environment (STORE_URL, ADMIN_TOKEN, …) like the service; prints {"url","process"} as one JSON line on
// stdout when it is up; on SIGTERM it stops as main.ts does.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createRunner, FairRunner, openStore } from '../src/runner/index.js';
import { openFleet, processLabel } from '../src/stream/fleet/index.js';
import { RunHub } from '../src/stream/hub.js';
import { createMetrics } from '../src/stream/metrics.js';
import { startHttp } from '../src/stream/server.js';
import { InstantBackend } from './instantBackend.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const store = await openStore(config.fairUse.storeUrl, log.child({ component: 'store' }));
  const backend = new InstantBackend(config.slots);
  const runner = await createRunner(config, { log, admissions: store.admissions, backend });
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
  process.stdout.write(`${JSON.stringify({ url: http.url, process: hub.self.id, fleet: fleet.status().mode })}\n`);

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    const stop = async () => {
      await runner.stop(5000);
      await http.close();
      await fleet.stop();
      hub.stop();
      await store.close();
    };
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`fleet bench process: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
  // Keep the process alive until the bench stops it.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet bench process failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
