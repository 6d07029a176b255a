// What the bot does with messages: a C# block in a DM or an auto-run channel runs; elsewhere it gets ▶️,
// and runs when its author (or a trigger role) clicks it; editing a code message re-runs it into the same
// reply; deleting it deletes the reply and cancels the run.
import type { Message, MessageReaction, PartialMessage, PartialMessageReaction, PartialUser, User } from 'discord.js';
import { placeRules, type BotContext } from './context.js';
import { extractCode, hasCode } from './extract.js';
import { refusalText } from './refusals.js';
import { replyToMessage } from './reply.js';
import { startFromMessage } from './starts.js';

export const RUN_EMOJI = '▶️';
const DM_HELP = 'Send me C# in a code block that starts with ```cs and I will run it. `/run` works too.';

const who = (message: Message) => ({
  id: message.id,
  channelId: message.channelId,
  guildId: message.guildId,
  authorId: message.author.id,
});

export async function onMessageCreate(ctx: BotContext, message: Message): Promise<void> {
  if (ctx.sessions.stopping || message.author.bot || message.webhookId) return;
  const place = await placeRules(ctx, message.guildId, message.channelId);
  if (place.autorun) {
    const code = extractCode(message.content);
    if (code) return startFromMessage(ctx, who(message), code);
    if (!message.guildId && message.content.trim().length > 0) {
      await replyToMessage(ctx.rest, message.channelId, message.id, {
        content: DM_HELP,
        files: [],
        components: [],
        allowedMentions: { parse: [], repliedUser: false },
      });
    }
    return;
  }
  if (place.reactions && hasCode(message.content)) await message.react(RUN_EMOJI);
}

async function mayTrigger(message: Message, user: User | PartialUser, triggerRoles: string[]): Promise<boolean> {
  if (user.id === message.author.id) return true;
  if (triggerRoles.length === 0 || !message.guild) return false;
  const member =
    message.guild.members.cache.get(user.id) ?? (await message.guild.members.fetch(user.id).catch(() => null));
  return member?.roles.cache.hasAny(...triggerRoles) ?? false;
}

export async function onReaction(
  ctx: BotContext,
  partialReaction: MessageReaction | PartialMessageReaction,
  user: User | PartialUser,
): Promise<void> {
  if (ctx.sessions.stopping || user.bot || partialReaction.emoji.name !== RUN_EMOJI) return;
  const reaction = partialReaction.partial ? await partialReaction.fetch() : partialReaction;
  const message = reaction.message.partial ? await reaction.message.fetch() : reaction.message;
  if (message.author.bot || ctx.sessions.forSource(message.id)) return; // already has a reply: Run again is on it
  const place = await placeRules(ctx, message.guildId, message.channelId);
  if (!place.reactions || !(await mayTrigger(message, user, place.triggerRoles))) return;
  const code = extractCode(message.content);
  if (code) await startFromMessage(ctx, who(message), code);
}

export async function onMessageUpdate(ctx: BotContext, updated: Message | PartialMessage): Promise<void> {
  if (ctx.sessions.stopping) return;
  const message = updated.partial ? await updated.fetch() : updated;
  if (message.author.bot) return;
  const code = extractCode(message.content);
  const session = ctx.sessions.forSource(message.id);
  if (session) {
    if (!code) return session.refuse(refusalText({ code: 'NO_CODE' }));
    // Discord also sends updates for embeds and pins: only a changed program re-runs.
    if (code.code !== session.code || code.stdin !== session.stdin) await session.rerun(code.code, code.stdin);
    return;
  }
  if (code && (await placeRules(ctx, message.guildId, message.channelId)).autorun)
    await startFromMessage(ctx, who(message), code);
}

export async function onMessageDelete(ctx: BotContext, deleted: Message | PartialMessage): Promise<void> {
  const session = ctx.sessions.forSource(deleted.id);
  if (!session) return;
  ctx.sessions.forget(session.id);
  await session.deleteReply();
}
