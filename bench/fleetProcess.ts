// One service process of the fleet bench (section q), assembled as src/main.ts assembles the
// service (openStore → createRunner → startStream, src/stream/start.ts) but around the instant
// backend, so 20 runs/s measure the fleet's event path and not the sandbox's CPU. Configured by its
// environment (STORE_URL, ADMIN_TOKEN, …) like the service; prints {"url","process"} as one JSON line on
// stdout when it is up; on SIGTERM it stops as main.ts does.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createRunner, openStore } from '../src/runner/index.js';
import { startStream } from '../src/stream/start.js';
import { InstantBackend } from './instantBackend.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const store = await openStore(config.fairUse.storeUrl, log.child({ component: 'store' }));
  const backend = new InstantBackend(config.slots);
  const runner = await createRunner(config, { log, admissions: store.admissions, backend });
  const { hub, fleet, http, close } = await startStream(config, { runner, store, log });
  process.stdout.write(`${JSON.stringify({ url: http.url, process: hub.self.id, fleet: fleet.status().mode })}\n`);

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    const stop = async () => {
      await runner.stop(5000);
      await close();
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
