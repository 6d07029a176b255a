// The service: config → runner → front-ends (the Discord bot when DISCORD_TOKEN is set), and a
// graceful shutdown: on SIGTERM stop taking work, let runs finish within SHUTDOWN_GRACE_MS, cancel the
// rest, bring every reply to its final state, then exit.
import { startBot, type Bot } from './bot/index.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { GuildSettingsStore } from './bot/settings.js';
import { createRunner, openStore } from './runner/index.js';
import { startStream } from './stream/start.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const store = await openStore(config.fairUse.storeUrl, log.child({ component: 'store' }));
  // The store first: the aci backend keeps Azure's budgets in it, shared with every process on it.
  const runner = await createRunner(config, { log, admissions: store.admissions });
  // With a Redis store, every process on it shares one feed, snapshot and API (src/stream/fleet).
  const { fair, hub, fleet, http, close } = await startStream(config, { runner, store, log });
  let bot: Bot | null = null;
  if (config.discord.token) {
    bot = await startBot(config, fair, new GuildSettingsStore(store.keyv), log.child({ component: 'bot' }));
  } else {
    log.warn(
      'DISCORD_TOKEN is not set: running without the Discord bot (the runner is up; set DISCORD_TOKEN to connect)',
    );
  }
  log.info('sharpbox is up', {
    backend: config.backend,
    slots: config.slots,
    store: store.kind,
    process: hub.self.id,
    fleet: fleet.status().mode,
    bot: Boolean(bot),
    http: http.url,
  });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal, graceMs: config.service.shutdownGraceMs });
    bot?.beginShutdown();
    await runner.stop(config.service.shutdownGraceMs);
    await bot?.flush(10_000);
    await bot?.destroy();
    // After the runs have ended: the fleet's goodbye tells it nothing of this process is left in flight.
    await close();
    await store.close();
    log.info('stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          log.error('shutdown failed', { err: String(err) });
          process.exit(1);
        },
      );
    });
  }
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
