// The bot as two processes, each running one of two gateway shards (DISCORD_SHARDS), sharing fair use
// and guild settings through a real redis-server: each event is handled exactly once, by the shard that
// owns it, and a user's limit holds across both processes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeDiscord, type LoggedRequest } from '../fakes/discord.js';
import { ServiceProcess } from '../support/botProcess.js';
import { startRedis, type RedisServer } from '../support/redis.js';

let fake: FakeDiscord;
let redis: RedisServer;
let dir = '';
const services: ServiceProcess[] = [];
/** Each shard process's HTTP address, indexed by shard. */
let urls: string[] = [];

before(async () => {
  fake = await FakeDiscord.start();
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-shards-'));
  for (const shard of [0, 1]) {
    const s = new ServiceProcess({
      DISCORD_TOKEN: 'fake-token',
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_SHARDS: `${shard}/2`,
      BOT_AUTORUN_CHANNELS: fake.channels.autorun,
      BOT_STATE_FILE: join(dir, `inflight-${shard}.json`),
      STORE_URL: redis.url,
      USER_RUNS_PER_MINUTE: '3',
      USER_CONCURRENT_RUNS: '10',
      SANDBOX_SLOTS: '1',
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    services.push(s);
  }
  await Promise.all(services.map((s) => s.waitForLog('discord bot ready')));
  urls = await Promise.all(services.map(async (s) => String((await s.waitForLog('sharpbox is up')).http)));
});

after(async () => {
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
  await fake?.stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const repliesTo = (since: number, messageId: string): LoggedRequest[] =>
  fake.requests
    .slice(since)
    .filter(
      (r) =>
        r.method === 'POST' &&
        (r.body?.message_reference as { message_id?: string } | undefined)?.message_id === messageId,
    );
const settle = () => new Promise((r) => setTimeout(r, 1500));
/** Runs each shard process has taken so far (its own /metrics): tells which process answered. */
const runsByShard = (): Promise<number[]> =>
  Promise.all(
    urls.map(async (url) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/^sharpbox_runs_submitted_total (\d+)$/m.exec(text)?.[1] ?? NaN);
    }),
  );

describe('the bot across two shard processes', () => {
  it('identifies one shard per process', () => {
    const shards = fake.gatewayOps.filter((o) => o.op === 2).map((o) => (o.d as { shard: [number, number] }).shard);
    assert.deepEqual(shards.map((s) => s.join('/')).sort(), ['0/2', '1/2']);
  });

  it('answers a guild message once, from the shard that owns the guild, and a DM once, from shard 0', async () => {
    // Discord routes a guild's events to shard (guild_id >> 22) % shard count, and DMs to shard 0.
    const owner = Number((BigInt(fake.guildId) >> 22n) % 2n);
    const before = await runsByShard();
    let since = fake.requests.length;
    const guildMsg = fake.post(fake.channels.autorun, fake.users.alice, '```cs\nConsole.WriteLine("guild");\n```');
    await fake.waitFor(() => repliesTo(since, guildMsg.id).length > 0, 20_000, 'the guild reply');
    await settle();
    assert.equal(repliesTo(since, guildMsg.id).length, 1, 'exactly one reply');
    const afterGuild = await runsByShard();
    assert.deepEqual(
      afterGuild.map((n, i) => n - (before[i] ?? NaN)),
      owner === 0 ? [1, 0] : [0, 1],
      `the guild's shard ${owner} ran it`,
    );
    since = fake.requests.length;
    const dm = fake.dm(fake.users.bob, '```cs\nConsole.WriteLine("dm");\n```');
    await fake.waitFor(() => repliesTo(since, dm.id).length > 0, 20_000, 'the DM reply');
    await settle();
    assert.equal(repliesTo(since, dm.id).length, 1, 'exactly one reply');
    const afterDm = await runsByShard();
    assert.deepEqual(
      afterDm.map((n, i) => n - (afterGuild[i] ?? NaN)),
      [1, 0],
      'shard 0 ran the DM',
    );
  });

  it('holds a user to one limit across both processes (the store is shared)', async () => {
    const user = fake.users.mod;
    const contents: string[] = [];
    // Runs alternate between the guild's shard and shard 0 (DMs); the limit is 3 a minute in all.
    for (let i = 0; i < 4; i++) {
      const since = fake.requests.length;
      const msg =
        i % 2 === 0
          ? fake.post(fake.channels.autorun, user, `\`\`\`cs\nConsole.WriteLine(${i});\n\`\`\``)
          : fake.dm(user, `\`\`\`cs\nConsole.WriteLine(${i});\n\`\`\``);
      const reply = await fake.waitFor(() => repliesTo(since, msg.id)[0], 20_000, `reply ${i}`);
      contents.push(String(reply.body?.content ?? ''));
    }
    assert.equal(contents.filter((c) => c.startsWith('🐢')).length, 1, `one refusal: ${JSON.stringify(contents)}`);
    assert.match(contents[3] ?? '', /^🐢 You can start 3 runs a minute/);
  });
});
