// The Discord bot: triggers (code blocks in DMs and auto-run channels, ▶️ reactions, /run with its
// modal and file option, the "Run C#" context menu, edits and deletes of code messages, the reply's
// buttons) turned into RunSessions. Everything Discord-shaped lives in src/bot; the runner knows nothing
// of it.
import { randomBytes } from 'node:crypto';
import {
  Client,
  Events,
  GatewayIntentBits,
  Partials,
  PermissionFlagsBits,
  Routes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type MessageReaction,
  type PartialMessage,
  type PartialMessageReaction,
  type PartialUser,
  type User,
} from 'discord.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { FairRunner } from '../runner/limits.js';
import { commandDefinitions, MODAL_CODE, MODAL_ID, MODAL_STDIN, RUN_COMMAND, RUN_MESSAGE_COMMAND, runModal, SETTINGS_COMMAND } from './commands.js';
import { extractCode, hasCode } from './extract.js';
import { InflightStore } from './inflight.js';
import { refusalText } from './refusals.js';
import { acknowledge, ephemeral, replyToInteraction, replyToMessage } from './reply.js';
import { RunSession, type SessionDeps } from './session.js';
import { applyChange, describeSettings, type GuildSettingsStore, type SettingsChange } from './settings.js';

export const RUN_EMOJI = '▶️';
const MAX_SESSIONS = 2000;
const ATTACHMENT_FETCH_MS = 10_000;
const READY_TIMEOUT_MS = 60_000;
const DM_HELP = 'Send me C# in a code block that starts with ```cs and I will run it. `/run` works too.';

export interface Bot {
  readonly client: Client;
  /** Stops taking new work (triggers are ignored or refused from now on). */
  beginShutdown(): void;
  /** Waits until every reply shows its final state (bounded by timeoutMs). */
  flush(timeoutMs: number): Promise<void>;
  destroy(): Promise<void>;
}

export async function startBot(config: Config, fair: FairRunner, settings: GuildSettingsStore, log: Logger): Promise<Bot> {
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
    ...(discord.shards === 'auto' ? { shards: 'auto' as const } : discord.shards ? { shards: discord.shards.ids, shardCount: discord.shards.count } : {}),
  });
  const rest = client.rest;
  const inflight = new InflightStore(discord.stateFile);
  const submit: SessionDeps['submit'] = async (request, who) => {
    const s = await settings.get(who.guild);
    return fair.submit(request, who, { userRunsPerMinute: s.userRunsPerMinute, guildRunsPerMinute: s.guildRunsPerMinute });
  };
  const deps: SessionDeps = { rest, submit, inflight, log, editIntervalMs: discord.editIntervalMs, outputCapBytes: config.limits.outputBytes };
  /** Where code runs without ▶️, and whether ▶️ is offered elsewhere: the service's settings and the guild's. */
  const placeRules = async (guildId: string | null, channelId: string) => {
    const s = await settings.get(guildId);
    return {
      autorun: !guildId || discord.autorunChannels.includes(channelId) || s.autorunChannels.includes(channelId),
      reactions: s.reactionTrigger ?? discord.reactionTrigger,
      triggerRoles: [...discord.triggerRoles, ...s.triggerRoles],
    };
  };
  const sessions = new Map<string, RunSession>();
  const bySource = new Map<string, string>();
  let stopping = false;

  const register = (session: RunSession): RunSession => {
    sessions.set(session.id, session);
    if (session.source) bySource.set(session.source.messageId, session.id);
    // Forget the oldest finished sessions beyond the cap (their buttons then answer "too old").
    for (const [id, s] of sessions) {
      if (sessions.size <= MAX_SESSIONS) break;
      if (s.done) forget(id);
    }
    return session;
  };
  const forget = (id: string): void => {
    const s = sessions.get(id);
    sessions.delete(id);
    if (s?.source && bySource.get(s.source.messageId) === id) bySource.delete(s.source.messageId);
  };
  const newSession = (userId: string, guildId: string | null, code: string, stdin: string, source: RunSession['source']): RunSession =>
    register(new RunSession(deps, { id: randomBytes(6).toString('hex'), userId, guildId, code, stdin, source }));

  const startFromMessage = async (message: Message, code: { code: string; stdin: string }): Promise<void> => {
    const session = newSession(message.author.id, message.guildId, code.code, code.stdin, { channelId: message.channelId, messageId: message.id });
    let ref;
    try {
      ref = await replyToMessage(rest, message.channelId, message.id, await session.start());
    } catch (err) {
      // No reply (no permission to post there, say): nobody would see the run, so it does not go on.
      session.cancel();
      forget(session.id);
      throw err;
    }
    await session.attach(ref);
  };

  const startFromInteraction = async (interaction: Interaction & { token: string }, code: string, stdin: string, source: RunSession['source']): Promise<void> => {
    if (stopping) return ephemeral(rest, interaction, refusalText({ code: 'SHUTTING_DOWN' }));
    const session = newSession(interaction.user.id, interaction.guildId, code, stdin, source);
    const first = await session.start();
    if (session.done) {
      forget(session.id);
      return ephemeral(rest, interaction, first.content); // refusals are for the caller's eyes only
    }
    let ref;
    try {
      ref = await replyToInteraction(rest, { id: interaction.id, token: interaction.token, applicationId: interaction.applicationId }, first);
    } catch (err) {
      session.cancel();
      forget(session.id);
      throw err;
    }
    await session.attach(ref);
  };

  const canTriggerWithReaction = async (message: Message, user: User | PartialUser, triggerRoles: string[]): Promise<boolean> => {
    if (user.id === message.author.id) return true;
    if (triggerRoles.length === 0 || !message.guild) return false;
    const member = message.guild.members.cache.get(user.id) ?? (await message.guild.members.fetch(user.id).catch(() => null));
    return member?.roles.cache.hasAny(...triggerRoles) ?? false;
  };

  const onMessageCreate = async (message: Message): Promise<void> => {
    if (stopping || message.author.bot || message.webhookId) return;
    const place = await placeRules(message.guildId, message.channelId);
    if (place.autorun) {
      const code = extractCode(message.content);
      if (code) return startFromMessage(message, code);
      if (!message.guildId && message.content.trim().length > 0) await replyToMessage(rest, message.channelId, message.id, { content: DM_HELP, files: [], components: [], allowedMentions: { parse: [], repliedUser: false } });
      return;
    }
    if (place.reactions && hasCode(message.content)) await message.react(RUN_EMOJI);
  };

  const onReaction = async (partialReaction: MessageReaction | PartialMessageReaction, user: User | PartialUser): Promise<void> => {
    if (stopping || user.bot || partialReaction.emoji.name !== RUN_EMOJI) return;
    const reaction = partialReaction.partial ? await partialReaction.fetch() : partialReaction;
    const message = reaction.message.partial ? await reaction.message.fetch() : reaction.message;
    if (message.author.bot || bySource.has(message.id)) return; // already has a reply: Run again is on it
    const place = await placeRules(message.guildId, message.channelId);
    if (!place.reactions || !(await canTriggerWithReaction(message, user, place.triggerRoles))) return;
    const code = extractCode(message.content);
    if (code) await startFromMessage(message, code);
  };

  const onMessageUpdate = async (updated: Message | PartialMessage): Promise<void> => {
    if (stopping) return;
    const message = updated.partial ? await updated.fetch() : updated;
    if (message.author.bot) return;
    const code = extractCode(message.content);
    const sessionId = bySource.get(message.id);
    const session = sessionId ? sessions.get(sessionId) : undefined;
    if (session) {
      if (!code) return session.refuse(refusalText({ code: 'NO_CODE' }));
      // Discord also sends updates for embeds and pins: only a changed program re-runs.
      if (code.code !== session.code || code.stdin !== session.stdin) await session.rerun(code.code, code.stdin);
      return;
    }
    if (code && (await placeRules(message.guildId, message.channelId)).autorun) await startFromMessage(message, code);
  };

  const onMessageDelete = async (deleted: Message | PartialMessage): Promise<void> => {
    const sessionId = bySource.get(deleted.id);
    const session = sessionId ? sessions.get(sessionId) : undefined;
    if (!session) return;
    forget(session.id);
    await session.deleteReply();
  };

  const readAttachment = async (interaction: ChatInputCommandInteraction): Promise<string | { refused: string } | null> => {
    const file = interaction.options.getAttachment('file');
    if (!file) return null;
    const limit = config.limits.sourceBytes;
    if (!/\.cs$/i.test(file.name)) return { refused: refusalText({ code: 'NOT_A_CS_FILE' }) };
    if (file.size > limit) return { refused: refusalText({ code: 'FILE_TOO_LARGE', size: file.size, limit }) };
    const response = await fetch(file.url, { signal: AbortSignal.timeout(ATTACHMENT_FETCH_MS) });
    if (!response.ok) return { refused: refusalText({ code: 'FILE_NOT_DOWNLOADED' }) };
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > limit) return { refused: refusalText({ code: 'FILE_TOO_LARGE', size: bytes.length, limit }) };
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { refused: refusalText({ code: 'FILE_NOT_UTF8' }) };
    }
  };

  const onButton = async (interaction: ButtonInteraction): Promise<void> => {
    const [, action, id] = interaction.customId.split(':');
    const session = id ? sessions.get(id) : undefined;
    const owner = session?.userId ?? interaction.message.mentions.repliedUser?.id ?? null;
    const moderator = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false;
    if (interaction.user.id !== owner && !moderator) {
      return ephemeral(rest, interaction, '🔒 Only the person who ran this code (or someone who can manage messages) can do that.');
    }
    if (action === 'cancel') {
      if (!session || session.done) return ephemeral(rest, interaction, 'That run is already over.');
      await acknowledge(rest, interaction);
      return session.cancel();
    }
    if (action === 'rerun') {
      if (stopping) return ephemeral(rest, interaction, refusalText({ code: 'SHUTTING_DOWN' }));
      if (!session) return ephemeral(rest, interaction, '⌛ This run is too old to run again; post the code again.');
      await acknowledge(rest, interaction);
      return session.rerun();
    }
    if (action === 'delete') {
      await acknowledge(rest, interaction);
      if (session) {
        forget(session.id);
        return session.deleteReply();
      }
      await rest.delete(Routes.channelMessage(interaction.channelId, interaction.message.id));
    }
  };

  const onInteraction = async (interaction: Interaction): Promise<void> => {
    if (interaction.isChatInputCommand() && interaction.commandName === RUN_COMMAND) {
      if (stopping) return ephemeral(rest, interaction, refusalText({ code: 'SHUTTING_DOWN' }));
      const file = await readAttachment(interaction);
      if (file !== null && typeof file === 'object') return ephemeral(rest, interaction, file.refused);
      const code = file ?? interaction.options.getString('code') ?? '';
      const stdin = interaction.options.getString('stdin') ?? '';
      if (code.trim().length === 0) {
        await rest.post(Routes.interactionCallback(interaction.id, interaction.token), { body: { type: 9, data: runModal() }, auth: false });
        return;
      }
      return startFromInteraction(interaction, code, stdin, null);
    }
    if (interaction.isModalSubmit() && interaction.customId === MODAL_ID) {
      return startFromInteraction(interaction, interaction.fields.getTextInputValue(MODAL_CODE), interaction.fields.getTextInputValue(MODAL_STDIN) ?? '', null);
    }
    if (interaction.isMessageContextMenuCommand() && interaction.commandName === RUN_MESSAGE_COMMAND) {
      const target = interaction.targetMessage;
      const code = extractCode(target.content);
      if (!code) return ephemeral(rest, interaction, refusalText({ code: 'NO_CODE' }));
      return startFromInteraction(interaction, code.code, code.stdin, { channelId: target.channelId, messageId: target.id });
    }
    if (interaction.isButton() && interaction.customId.startsWith('sb:')) return onButton(interaction);
    if (interaction.isChatInputCommand() && interaction.commandName === SETTINGS_COMMAND) return onSettings(interaction);
  };

  const onSettings = async (interaction: ChatInputCommandInteraction): Promise<void> => {
    if (!interaction.guildId || !interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) {
      return ephemeral(rest, interaction, '🔒 Only members who can manage this server can change sharpbox\'s settings.');
    }
    const o = interaction.options;
    const change: SettingsChange = {};
    const channel = o.getChannel('autorun_channel');
    if (channel) change.autorunChannel = { channelId: channel.id, on: o.getBoolean('autorun') ?? true };
    const reactions = o.getBoolean('reactions');
    if (reactions !== null) change.reactionTrigger = reactions;
    const role = o.getRole('trigger_role');
    if (role) change.triggerRole = { roleId: role.id, on: o.getBoolean('trigger') ?? true };
    const userRate = o.getInteger('user_runs_per_minute');
    if (userRate !== null) change.userRunsPerMinute = userRate;
    const guildRate = o.getInteger('guild_runs_per_minute');
    if (guildRate !== null) change.guildRunsPerMinute = guildRate;
    const caps = { userRunsPerMinute: config.fairUse.userRunsPerMinute, guildRunsPerMinute: config.fairUse.guildRunsPerMinute };
    const current = Object.keys(change).length === 0 ? await settings.get(interaction.guildId) : await settings.update(interaction.guildId, (s) => applyChange(s, change, caps));
    return ephemeral(rest, interaction, describeSettings(current, { reactionTrigger: discord.reactionTrigger, ...caps }));
  };

  // Every handler is guarded: one failing trigger is logged, never an unhandled rejection.
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) =>
    (...args: A): void => {
      fn(...args).catch((err: unknown) => log.error('bot handler failed', { handler: name, err: err instanceof Error ? err.message : String(err) }));
    };
  client.on(Events.MessageCreate, guard('messageCreate', onMessageCreate));
  client.on(Events.MessageReactionAdd, guard('messageReactionAdd', onReaction));
  client.on(Events.MessageUpdate, guard('messageUpdate', (_old: Message | PartialMessage, updated: Message | PartialMessage) => onMessageUpdate(updated)));
  client.on(Events.MessageDelete, guard('messageDelete', onMessageDelete));
  client.on(Events.InteractionCreate, guard('interactionCreate', onInteraction));
  client.on(Events.ShardResume, (shard) => log.info('gateway resumed', { shard }));
  client.on(Events.ShardDisconnect, (event, shard) => {
    if (event.code === 4014) log.error('Discord refused the privileged Message Content intent: enable it in the Developer Portal (Bot → Privileged Gateway Intents) or set BOT_MESSAGE_CONTENT=off');
    else if (event.code === 4004) log.error('Discord refused DISCORD_TOKEN (authentication failed)');
    else log.warn('gateway disconnected', { shard, code: event.code });
  });
  client.on(Events.Error, (err) => log.error('discord client error', { err: err.message }));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(discord.token);
  // A refused intent or token closes the gateway for good; do not wait forever for READY.
  let readyTimer: NodeJS.Timeout | undefined;
  const readyOrTimeout = await Promise.race([ready.then(() => true), new Promise<false>((r) => (readyTimer = setTimeout(() => r(false), READY_TIMEOUT_MS)))]);
  clearTimeout(readyTimer);
  if (!readyOrTimeout) {
    await client.destroy();
    throw new Error(`Discord did not get ready within ${READY_TIMEOUT_MS / 1000} s (see the log for why)`);
  }
  const appId = client.application?.id ?? client.user?.id;
  if (!appId) throw new Error('Discord sent no application id in READY');
  const definitions = commandDefinitions(config.limits.sourceBytes);
  await rest.put(discord.guildId ? Routes.applicationGuildCommands(appId, discord.guildId) : Routes.applicationCommands(appId), { body: definitions });

  // Replies of runs a previous process left in flight (it crashed or was killed) say so now.
  for (const record of await inflight.takeLeftovers()) {
    const session = register(new RunSession(deps, { id: record.session, userId: record.userId, guildId: record.guildId ?? null, code: record.code, stdin: record.stdin, source: record.source }));
    session.interrupted(record.reply);
  }
  log.info('discord bot ready', { user: client.user?.tag, shards: client.ws.shards.map((s) => s.id), commands: discord.guildId ? `guild ${discord.guildId}` : 'global', autorunChannels: discord.autorunChannels.length });

  return {
    client,
    beginShutdown: () => {
      stopping = true;
    },
    flush: async (timeoutMs) => {
      const all = Promise.all([...sessions.values()].map((s) => s.settled()));
      await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs))]);
    },
    destroy: () => client.destroy(),
  };
}
