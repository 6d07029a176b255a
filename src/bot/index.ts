// The Discord bot's wiring: the client, its events routed to the handlers (triggers.ts for messages and
// reactions, interactions.ts for commands and buttons), the commands registered, and the replies a
// crashed predecessor left in flight recovered. Everything Discord-shaped lives in src/bot; the runner
// knows nothing of it.
import { Client, Events, GatewayIntentBits, Partials, Routes, type Message, type PartialMessage } from 'discord.js';
import type { Config, FairUseConfig, RunLimits } from '../config.js';
import type { Logger } from '../log.js';
import { isViewKind, type FairRunner } from '../runner/index.js';
import { commandDefinitions } from './commands.js';
import type { BotContext } from './context.js';
import { InflightStore } from './inflight.js';
import { onInteraction } from './interactions.js';
import { SessionRegistry } from './registry.js';
import type { SessionDeps } from './session.js';
import type { GuildSettingsStore } from './settings.js';
import { onMessageCreate, onMessageDelete, onMessageUpdate, onReaction } from './triggers.js';

export { RUN_EMOJI } from './triggers.js';
const READY_TIMEOUT_MS = 60_000;

export interface Bot {
  readonly client: Client;
  /** Stops taking new work (triggers are ignored or refused from now on). */
  beginShutdown(): void;
  /** Waits until every reply shows its final state (bounded by timeoutMs). */
  flush(timeoutMs: number): Promise<void>;
  destroy(): Promise<void>;
}

/** What the bot reads of the configuration: its own section, and the limits it tells users about. */
export type BotConfig = Pick<Config, 'discord'> & {
  limits: Pick<RunLimits, 'outputBytes' | 'sourceBytes'>;
  fairUse: Pick<FairUseConfig, 'userRunsPerMinute' | 'guildRunsPerMinute'>;
};

export async function startBot(
  config: BotConfig,
  fair: FairRunner,
  settings: GuildSettingsStore,
  log: Logger,
): Promise<Bot> {
  const { discord } = config;
  if (!discord.token) throw new Error('startBot needs DISCORD_TOKEN');
  const client = new Client({
    // Message Content is privileged: without it (BOT_MESSAGE_CONTENT=off) guild code blocks are invisible,
    // but DMs, mentions, /run, the modal, files and the context menu all still work.
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.GuildMessageReactions,
      GatewayIntentBits.DirectMessages,
      ...(discord.messageContent ? [GatewayIntentBits.MessageContent] : []),
    ],
    // Messages sent before start-up (or evicted from the cache) still trigger on edit, delete and ▶️.
    partials: [Partials.Message, Partials.Channel, Partials.Reaction],
    rest: { api: discord.apiUrl },
    allowedMentions: { parse: [], repliedUser: false },
    // Several processes can share the gateway: each runs some shards (DISCORD_SHARDS=0,1/4), and they
    // share fair use and guild settings through the store (STORE_URL=redis://…).
    ...(discord.shards === 'auto'
      ? { shards: 'auto' as const }
      : discord.shards
        ? { shards: discord.shards.ids, shardCount: discord.shards.count }
        : {}),
  });
  const rest = client.rest;
  const inflight = new InflightStore(discord.stateFile);
  const submit: SessionDeps['submit'] = async (request, who) => {
    const s = await settings.get(who.guild);
    return fair.submit(request, who, {
      userRunsPerMinute: s.userRunsPerMinute,
      guildRunsPerMinute: s.guildRunsPerMinute,
    });
  };
  const deps: SessionDeps = {
    rest,
    submit,
    inflight,
    log,
    editIntervalMs: discord.editIntervalMs,
    outputCapBytes: config.limits.outputBytes,
  };
  const sessions = new SessionRegistry(deps);
  const ctx: BotContext = {
    rest,
    log,
    sessions,
    discord,
    sourceBytes: config.limits.sourceBytes,
    caps: {
      userRunsPerMinute: config.fairUse.userRunsPerMinute,
      guildRunsPerMinute: config.fairUse.guildRunsPerMinute,
    },
    settings,
  };

  // Every handler is guarded: one failing trigger is logged, never an unhandled rejection.
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) =>
    (...args: A): void => {
      fn(...args).catch((err: unknown) =>
        log.error('bot handler failed', { handler: name, err: err instanceof Error ? err.message : String(err) }),
      );
    };
  client.on(
    Events.MessageCreate,
    guard('messageCreate', (message: Message) => onMessageCreate(ctx, message)),
  );
  client.on(
    Events.MessageReactionAdd,
    guard('messageReactionAdd', (reaction, user) => onReaction(ctx, reaction, user)),
  );
  client.on(
    Events.MessageUpdate,
    guard('messageUpdate', (_old: Message | PartialMessage, updated: Message | PartialMessage) =>
      onMessageUpdate(ctx, updated),
    ),
  );
  client.on(
    Events.MessageDelete,
    guard('messageDelete', (message: Message | PartialMessage) => onMessageDelete(ctx, message)),
  );
  client.on(
    Events.InteractionCreate,
    guard('interactionCreate', (interaction) => onInteraction(ctx, interaction)),
  );
  client.on(Events.ShardResume, (shard) => log.info('gateway resumed', { shard }));
  client.on(Events.ShardDisconnect, (event, shard) => {
    if (event.code === 4014)
      log.error(
        'Discord refused the privileged Message Content intent: enable it in the Developer Portal (Bot → Privileged Gateway Intents) or set BOT_MESSAGE_CONTENT=off',
      );
    else if (event.code === 4004) log.error('Discord refused DISCORD_TOKEN (authentication failed)');
    else log.warn('gateway disconnected', { shard, code: event.code });
  });
  client.on(Events.Error, (err) => log.error('discord client error', { err: err.message }));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(discord.token);
  // A refused intent or token closes the gateway for good; do not wait forever for READY.
  let readyTimer: NodeJS.Timeout | undefined;
  const readyOrTimeout = await Promise.race([
    ready.then(() => true),
    new Promise<false>((r) => (readyTimer = setTimeout(() => r(false), READY_TIMEOUT_MS))),
  ]);
  clearTimeout(readyTimer);
  if (!readyOrTimeout) {
    await client.destroy();
    throw new Error(`Discord did not get ready within ${READY_TIMEOUT_MS / 1000} s (see the log for why)`);
  }
  const appId = client.application?.id ?? client.user?.id;
  if (!appId) throw new Error('Discord sent no application id in READY');
  const definitions = commandDefinitions(config.limits.sourceBytes);
  await rest.put(
    discord.guildId ? Routes.applicationGuildCommands(appId, discord.guildId) : Routes.applicationCommands(appId),
    { body: definitions },
  );

  // Replies of runs a previous process left in flight (it crashed or was killed) say so now.
  for (const record of await inflight.takeLeftovers()) {
    const session = sessions.create({
      id: record.session,
      userId: record.userId,
      guildId: record.guildId ?? null,
      code: record.code,
      stdin: record.stdin,
      ...(record.options === undefined ? {} : { options: record.options }),
      source: record.source,
      // A record is our own file, but one from another version may carry anything: views are checked.
      ...(isViewKind(record.view) ? { view: record.view } : {}),
      ...(typeof record.methods === 'string' ? { methods: record.methods } : {}),
    });
    session.interrupted(record.reply);
  }
  log.info('discord bot ready', {
    user: client.user?.tag,
    shards: client.ws.shards.map((s) => s.id),
    commands: discord.guildId ? `guild ${discord.guildId}` : 'global',
    autorunChannels: discord.autorunChannels.length,
  });

  return {
    client,
    beginShutdown: () => {
      sessions.stopping = true;
    },
    flush: (timeoutMs) => sessions.settled(timeoutMs),
    destroy: () => client.destroy(),
  };
}
