// Starting a run and showing it: the one place that creates a reply and hands it to its session.
import type { CompileOptions, ViewKind } from '../runner/index.js';
import type { BotContext } from './context.js';
import type { RenderedReply } from './render.js';
import { refuseDeferred, replyToMessage, type InteractionReplyRef, type ReplyRef } from './reply.js';
import type { RunSession } from './session.js';

/** Posts the session's first state with `post` and attaches the reply; a run nobody could see is stopped. */
async function show(
  ctx: BotContext,
  session: RunSession,
  post: () => Promise<ReplyRef>,
  shown?: RenderedReply,
): Promise<void> {
  let ref: ReplyRef;
  try {
    ref = await post();
  } catch (err) {
    // No reply (no permission to post there, say): nobody would see the run, so it does not go on.
    session.cancel();
    ctx.sessions.forget(session.id);
    throw err;
  }
  await session.attach(ref, shown);
}

/** A run for a code message: the reply answers the message (a refusal too: the author sees why). */
export async function startFromMessage(
  ctx: BotContext,
  message: { id: string; channelId: string; guildId: string | null; authorId: string },
  code: { code: string; stdin: string },
): Promise<void> {
  const session = ctx.sessions.create({
    userId: message.authorId,
    guildId: message.guildId,
    code: code.code,
    stdin: code.stdin,
    source: { channelId: message.channelId, messageId: message.id },
  });
  const first = await session.start();
  await show(ctx, session, () => replyToMessage(ctx.rest, message.channelId, message.id, first), first);
}

/**
 * A run for an interaction that was already deferred (`ref` is its original response): admitted now,
 * shown by editing that response; a refusal replaces it with an answer only the caller sees.
 */
export async function startDeferred(
  ctx: BotContext,
  ref: InteractionReplyRef,
  who: { userId: string; guildId: string | null },
  code: { code: string; stdin: string; options?: CompileOptions },
  source: RunSession['source'],
  view?: ViewKind,
  methods?: string,
): Promise<void> {
  const session = ctx.sessions.create({
    userId: who.userId,
    guildId: who.guildId,
    code: code.code,
    stdin: code.stdin,
    ...(code.options === undefined ? {} : { options: code.options }),
    source,
    ...(view ? { view } : {}),
    ...(methods === undefined ? {} : { methods }),
  });
  const first = await session.start();
  if (session.done) {
    ctx.sessions.forget(session.id);
    return refuseDeferred(ctx.rest, ref, first.content);
  }
  await show(ctx, session, () => Promise.resolve(ref));
}
