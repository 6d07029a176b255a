// Trigger → first reply through the real discord.js client against the Discord fake: the time from the
// fake dispatching a DM with a code block to the bot's reply (pending) arriving at the fake's REST API.
import { join } from 'node:path';
import { startBot } from '../src/bot/index.js';
import { GuildSettingsStore } from '../src/bot/settings.js';
import { FairRunner } from '../src/runner/limits.js';
import { openStore } from '../src/runner/store.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import type { Runner } from '../src/runner/index.js';
import { FakeDiscord } from '../test/fakes/discord.js';
import { percentile } from './stats.js';

export async function firstReplyLatency(
  runner: Runner,
  workDir: string,
  count: number,
): Promise<{ p50: number; p95: number }> {
  const fake = await FakeDiscord.start();
  const config = loadConfig({
    ...process.env,
    DISCORD_TOKEN: 'bench-token',
    DISCORD_API_URL: fake.apiUrl,
    BOT_STATE_FILE: join(workDir, 'inflight.json'),
    LOG_LEVEL: 'error',
  });
  const store = await openStore('memory://');
  const bot = await startBot(
    config,
    new FairRunner(runner, store.admissions, { ...config.fairUse, userRunsPerMinute: 10_000 }),
    new GuildSettingsStore(store.keyv),
    createLogger('error'),
  );
  try {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const since = fake.requests.length;
      const sent = performance.now();
      const msg = fake.dm(fake.users.alice, `\`\`\`cs\nConsole.WriteLine(${i});\n\`\`\``);
      const reply = await fake.waitFor(() =>
        fake.requests
          .slice(since)
          .find(
            (r) =>
              r.method === 'POST' &&
              (r.body?.message_reference as { message_id?: string } | undefined)?.message_id === msg.id,
          ),
      );
      samples.push(reply.at - sent);
      // Let the run finish before the next trigger, so each measures an idle bot.
      await fake.waitFor(() =>
        fake.requests.slice(since).find((r) => r.method === 'PATCH' && /^✅/.test(String(r.body?.content ?? ''))),
      );
    }
    return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
  } finally {
    bot.beginShutdown();
    await bot.flush(5000);
    await bot.destroy();
    await fake.stop();
  }
}
