// Interactions: /run (code, stdin, a .cs file, or a modal editor), the "Run C#" message context menu,
// the reply's buttons (Cancel, Run again, Delete) and /sharpbox settings.
//
// Discord's clock (discord-api-docs, interactions/receiving-and-responding): the first response must go
// out within 3 s. Anything that can take longer (downloading a file, fair-use admission and guild
// settings in the store) comes after a deferral; answers that need nothing remote (a modal, "no code
// here", a permission refusal) are sent at once.
import {
  InteractionResponseType,
  MessageFlags,
  PermissionFlagsBits,
  Routes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import {
  MODAL_CODE,
  MODAL_STDIN,
  modalOptions,
  RUN_COMMAND,
  RUN_MESSAGE_COMMAND,
  runModal,
  SETTINGS_COMMAND,
  VIEW_MESSAGE_COMMANDS,
} from './commands.js';
import { isViewKind, type CompileOptions, type Optimize } from '../runner/index.js';
import type { BotContext } from './context.js';
import { extractCode } from './extract.js';
import { refusalText } from './refusals.js';
import { acknowledge, defer, ephemeral, refuseDeferred, type InteractionRef } from './reply.js';
import { applyChange, describeSettings, SettingsUnavailable, type SettingsChange } from './settings.js';
import { startDeferred } from './starts.js';

const ATTACHMENT_FETCH_MS = 10_000;

const refOf = (interaction: Interaction & { token: string }): InteractionRef => ({
  id: interaction.id,
  token: interaction.token,
  applicationId: interaction.applicationId,
  channelId: interaction.channelId,
});
const whoOf = (interaction: Interaction) => ({ userId: interaction.user.id, guildId: interaction.guildId });

export async function onInteraction(ctx: BotContext, interaction: Interaction): Promise<void> {
  if (interaction.isChatInputCommand() && interaction.commandName === RUN_COMMAND) return onRun(ctx, interaction);
  const modal = interaction.isModalSubmit() ? modalOptions(interaction.customId) : null;
  if (interaction.isModalSubmit() && modal) {
    if (ctx.sessions.stopping) return ephemeral(ctx.rest, interaction, refusalText({ code: 'SHUTTING_DOWN' }));
    const ref = await defer(ctx.rest, refOf(interaction));
    // The modal's id carries the compile options and the view together (commands.ts ModalChoices).
    const { view, ...options } = modal;
    const code = {
      code: interaction.fields.getTextInputValue(MODAL_CODE),
      stdin: interaction.fields.getTextInputValue(MODAL_STDIN) ?? '',
      options,
    };
    return startDeferred(ctx, ref, whoOf(interaction), code, null, view);
  }
  if (
    interaction.isMessageContextMenuCommand() &&
    (interaction.commandName === RUN_MESSAGE_COMMAND || Object.hasOwn(VIEW_MESSAGE_COMMANDS, interaction.commandName))
  ) {
    if (ctx.sessions.stopping) return ephemeral(ctx.rest, interaction, refusalText({ code: 'SHUTTING_DOWN' }));
    const target = interaction.targetMessage;
    const code = extractCode(target.content);
    if (!code) return ephemeral(ctx.rest, interaction, refusalText({ code: 'NO_CODE' }));
    const ref = await defer(ctx.rest, refOf(interaction));
    // A view's reply is not the message's run: it is not tied to the message (an edit re-runs the run).
    const view = Object.hasOwn(VIEW_MESSAGE_COMMANDS, interaction.commandName)
      ? VIEW_MESSAGE_COMMANDS[interaction.commandName]
      : undefined;
    if (view) return startDeferred(ctx, ref, whoOf(interaction), code, null, view);
    return startDeferred(ctx, ref, whoOf(interaction), code, { channelId: target.channelId, messageId: target.id });
  }
  if (interaction.isButton() && interaction.customId.startsWith('sb:')) return onButton(ctx, interaction);
  if (interaction.isChatInputCommand() && interaction.commandName === SETTINGS_COMMAND)
    return onSettings(ctx, interaction);
}

async function onRun(ctx: BotContext, interaction: ChatInputCommandInteraction): Promise<void> {
  if (ctx.sessions.stopping) return ephemeral(ctx.rest, interaction, refusalText({ code: 'SHUTTING_DOWN' }));
  const file = interaction.options.getAttachment('file');
  const inline = interaction.options.getString('code') ?? '';
  const stdin = interaction.options.getString('stdin') ?? '';
  // Discord offers only the choices (commands.ts); the runner validates again whatever arrives.
  const chosen = interaction.options.getString('view') ?? 'run';
  const view = isViewKind(chosen) ? chosen : undefined;
  const methods = interaction.options.getString('methods') ?? undefined;
  const optimize = interaction.options.getString('optimize');
  const langVersion = interaction.options.getString('lang_version');
  // Passed on as given: the runner refuses a value that is not one (INVALID_INPUT, worded in refusals.ts).
  const options: CompileOptions = {
    ...(optimize === null ? {} : { optimize: optimize as Optimize }),
    ...(langVersion === null ? {} : { langVersion }),
  };
  if (!file && inline.trim().length === 0) {
    await ctx.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      body: { type: InteractionResponseType.Modal, data: runModal({ ...options, ...(view ? { view } : {}) }) },
      auth: false,
    });
    return;
  }
  // Checked before anything is fetched: a file too large or of the wrong kind is refused at once.
  if (file && !/\.cs$/i.test(file.name))
    return ephemeral(ctx.rest, interaction, refusalText({ code: 'NOT_A_CS_FILE' }));
  if (file && file.size > ctx.sourceBytes)
    return ephemeral(
      ctx.rest,
      interaction,
      refusalText({ code: 'FILE_TOO_LARGE', size: file.size, limit: ctx.sourceBytes }),
    );
  const ref = await defer(ctx.rest, refOf(interaction));
  let code = inline;
  if (file) {
    const read = await download(file.url, ctx.sourceBytes);
    if (typeof read !== 'string') return refuseDeferred(ctx.rest, ref, read.refused);
    code = read;
  }
  return startDeferred(ctx, ref, whoOf(interaction), { code, stdin, options }, null, view, methods);
}

async function download(url: string, limit: number): Promise<string | { refused: string }> {
  let bytes: Buffer;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ATTACHMENT_FETCH_MS) });
    if (!response.ok) return { refused: refusalText({ code: 'FILE_NOT_DOWNLOADED' }) };
    bytes = Buffer.from(await response.arrayBuffer());
  } catch {
    return { refused: refusalText({ code: 'FILE_NOT_DOWNLOADED' }) };
  }
  if (bytes.length > limit) return { refused: refusalText({ code: 'FILE_TOO_LARGE', size: bytes.length, limit }) };
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { refused: refusalText({ code: 'FILE_NOT_UTF8' }) };
  }
}

async function onButton(ctx: BotContext, interaction: ButtonInteraction): Promise<void> {
  const [, action, id] = interaction.customId.split(':');
  const session = ctx.sessions.get(id);
  const owner = session?.userId ?? interaction.message.mentions.repliedUser?.id ?? null;
  const moderator = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false;
  if (interaction.user.id !== owner && !moderator) {
    return ephemeral(
      ctx.rest,
      interaction,
      '🔒 Only the person who ran this code (or someone who can manage messages) can do that.',
    );
  }
  if (action === 'cancel') {
    if (!session || session.done) return ephemeral(ctx.rest, interaction, 'That run is already over.');
    await acknowledge(ctx.rest, interaction);
    session.useToken(interaction.token, interaction.message.id, interaction.channelId);
    return session.cancel();
  }
  if (action === 'rerun') {
    if (ctx.sessions.stopping) return ephemeral(ctx.rest, interaction, refusalText({ code: 'SHUTTING_DOWN' }));
    if (!session) return ephemeral(ctx.rest, interaction, '⌛ This run is too old to run again; post the code again.');
    await acknowledge(ctx.rest, interaction);
    session.useToken(interaction.token, interaction.message.id, interaction.channelId);
    return session.rerun();
  }
  if (action === 'delete') {
    await acknowledge(ctx.rest, interaction);
    if (session) {
      session.useToken(interaction.token, interaction.message.id, interaction.channelId);
      ctx.sessions.forget(session.id);
      return session.deleteReply();
    }
    await ctx.rest.delete(Routes.channelMessage(interaction.channelId, interaction.message.id));
  }
}

async function onSettings(ctx: BotContext, interaction: ChatInputCommandInteraction): Promise<void> {
  if (!interaction.guildId || !interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) {
    return ephemeral(
      ctx.rest,
      interaction,
      "🔒 Only members who can manage this server can change sharpbox's settings.",
    );
  }
  // The settings live in the store (maybe Redis): answer within Discord's 3 s first, privately.
  await ctx.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } },
    auth: false,
  });
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
  let content: string;
  try {
    const current =
      Object.keys(change).length === 0
        ? await ctx.settings.get(interaction.guildId)
        : await ctx.settings.update(interaction.guildId, (s) => applyChange(s, change, ctx.caps));
    content = describeSettings(current, { reactionTrigger: ctx.discord.reactionTrigger, ...ctx.caps });
  } catch (err) {
    if (!(err instanceof SettingsUnavailable)) throw err;
    content = '⚠️ The settings store cannot be reached right now, so nothing was changed. Try again in a minute.';
  }
  await ctx.rest.patch(Routes.webhookMessage(interaction.applicationId, interaction.token, '@original'), {
    body: { content, allowed_mentions: { parse: [] } },
    auth: false,
  });
}
