// The service: config → runner → front-ends, with a graceful shutdown. Front-ends (the Discord bot, the
// HTTP API and admin feed) attach here as they are built; today the service keeps the sandbox warm and
// ready and says what it runs.
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { createRunner } from './runner/index.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const runner = await createRunner(config, { log });
  log.info('sharpbox is up', { backend: config.backend, slots: config.slots, frontEnds: [] });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    runner.stop(10_000).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { err: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Keep the process alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sharpbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
