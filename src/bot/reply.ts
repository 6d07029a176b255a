// Where a run's one reply lives, and the raw REST calls that create, edit and delete it. A reply is a
// message answering the code message, or an interaction's original response; either way it is named by
// a ReplyRef that survives a restart (see inflight.ts).
//
// Discord's limits this file keeps (discord-api-docs, interactions/receiving-and-responding): an
// interaction must be answered within 3 s (afterwards 10062), and its token works for 15 minutes (then
// 50027). So interactions are deferred at once, before any download or store round trip; every click on
// the reply's buttons brings a fresh token the session moves to; and once no token is left, the reply is
// edited through its channel with the bot's own token, which does not expire.
import { DiscordAPIError, InteractionResponseType, MessageFlags, Routes, type REST } from 'discord.js';
import type { RenderedReply } from './render.js';

export type ReplyRef = { kind: 'message'; channelId: string; messageId: string } | InteractionReplyRef;

export interface InteractionReplyRef {
  kind: 'interaction';
  applicationId: string;
  token: string;
  /** When Discord issued the token (ms since the epoch): it works for 15 minutes. */
  tokenIssuedAt: number;
  /** The reply as a channel message, learned from the first edit: where edits go once the token is gone. */
  channelId: string | null;
  messageId: string | null;
}

/** How long an interaction token is used: Discord's 15 minutes, less a margin for a slow request. */
export const TOKEN_LIFETIME_MS = 14 * 60_000;

/** Discord answers these when a reply can never be edited again (deleted, expired, no access). */
export const GONE_CODES: ReadonlySet<number> = new Set([
  10003, // Unknown Channel
  10008, // Unknown Message
  10015, // Unknown Webhook
  10062, // Unknown interaction
  50001, // Missing Access
  50013, // Missing Permissions
  50027, // Invalid Webhook Token
]);

/** The Discord error code of a failed REST call, if it was one. */
export function discordCode(err: unknown): number | null {
  return err instanceof DiscordAPIError && typeof err.code === 'number' ? err.code : null;
}

interface Payload {
  body: Record<string, unknown>;
  files: { name: string; data: Buffer }[];
}

const NO_MENTIONS = { parse: [], replied_user: false };

/** The message body Discord expects, with allowed_mentions that parse nothing, on every create and edit. */
export function toPayload(reply: RenderedReply): Payload {
  return {
    body: {
      content: reply.content,
      components: reply.components,
      allowed_mentions: NO_MENTIONS,
      // Listing attachments replaces the message's old ones: an edit without output.txt removes it.
      attachments: reply.files.map((f, i) => ({ id: String(i), filename: f.name })),
    },
    files: reply.files.map((f) => ({ name: f.name, data: f.data })),
  };
}

export interface InteractionRef {
  id: string;
  token: string;
  applicationId: string;
  channelId: string | null;
}

export async function replyToMessage(
  rest: REST,
  channelId: string,
  messageId: string,
  reply: RenderedReply,
): Promise<ReplyRef> {
  const { body, files } = toPayload(reply);
  const created = (await rest.post(Routes.channelMessages(channelId), {
    body: { ...body, message_reference: { message_id: messageId, fail_if_not_exists: false } },
    files,
  })) as { id: string };
  return { kind: 'message', channelId, messageId: created.id };
}

/**
 * Acknowledges an interaction at once ("sharpbox is thinking…"): the first response has to leave within
 * 3 s, and what follows (a file download, fair-use admission in the store) may take longer. The reply
 * is then the interaction's original response, edited like any other.
 */
export async function defer(rest: REST, interaction: InteractionRef): Promise<InteractionReplyRef> {
  const tokenIssuedAt = Date.now();
  await rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: { type: InteractionResponseType.DeferredChannelMessageWithSource },
    auth: false,
  });
  return {
    kind: 'interaction',
    applicationId: interaction.applicationId,
    token: interaction.token,
    tokenIssuedAt,
    channelId: interaction.channelId,
    messageId: null,
  };
}

/**
 * After a deferral, a refusal is for the caller's eyes only: the public "thinking…" message goes, and an
 * ephemeral follow-up says why.
 */
export async function refuseDeferred(rest: REST, ref: InteractionReplyRef, content: string): Promise<void> {
  await rest
    .delete(Routes.webhookMessage(ref.applicationId, ref.token, '@original'), { auth: false })
    .catch(() => undefined);
  await rest.post(Routes.webhook(ref.applicationId, ref.token), {
    body: { content, flags: MessageFlags.Ephemeral, allowed_mentions: NO_MENTIONS },
    auth: false,
  });
}

/** An answer only the clicking user sees (refusals, permission messages), as the first response. */
export async function ephemeral(
  rest: REST,
  interaction: { id: string; token: string },
  content: string,
): Promise<void> {
  await rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: {
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { content, flags: MessageFlags.Ephemeral, allowed_mentions: NO_MENTIONS },
    },
    auth: false,
  });
}

/** Acknowledges a button click without changing its message now (the session edits it). */
export async function acknowledge(rest: REST, interaction: { id: string; token: string }): Promise<void> {
  await rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: { type: InteractionResponseType.DeferredMessageUpdate },
    auth: false,
  });
}

/** Whether an interaction reply's token is still good for an edit. */
export function tokenFresh(ref: ReplyRef, now = Date.now()): boolean {
  return ref.kind === 'interaction' && now - ref.tokenIssuedAt < TOKEN_LIFETIME_MS;
}

/**
 * Edits the reply. An interaction reply is edited through its token while it is fresh, and through its
 * channel message once it is not (the bot's own token does not expire). Returns the ref updated with
 * what the edit taught (the reply's message id).
 */
export async function editReply(rest: REST, ref: ReplyRef, reply: RenderedReply): Promise<ReplyRef> {
  const { body, files } = toPayload(reply);
  if (ref.kind === 'message') {
    await rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body, files });
    return ref;
  }
  if (tokenFresh(ref)) {
    const message = (await rest.patch(Routes.webhookMessage(ref.applicationId, ref.token, '@original'), {
      body,
      files,
      auth: false,
    })) as { id?: string; channel_id?: string } | null;
    return { ...ref, messageId: message?.id ?? ref.messageId, channelId: message?.channel_id ?? ref.channelId };
  }
  if (ref.channelId && ref.messageId) {
    await rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body, files });
    return ref;
  }
  throw new TokenExpiredError();
}

/**
 * The last resort when a reply can be edited no more (its token expired and the bot cannot edit the
 * channel message): a fresh channel message that answers the reply, so the result is not lost.
 */
export async function postBeside(rest: REST, ref: ReplyRef, reply: RenderedReply): Promise<ReplyRef | null> {
  const channelId = ref.channelId;
  if (!channelId) return null;
  const { body, files } = toPayload(reply);
  const created = (await rest.post(Routes.channelMessages(channelId), {
    body: {
      ...body,
      ...(ref.messageId ? { message_reference: { message_id: ref.messageId, fail_if_not_exists: false } } : {}),
    },
    files,
  })) as { id: string };
  return { kind: 'message', channelId, messageId: created.id };
}

export async function deleteReply(rest: REST, ref: ReplyRef): Promise<void> {
  if (ref.kind === 'message') await rest.delete(Routes.channelMessage(ref.channelId, ref.messageId));
  else if (tokenFresh(ref))
    await rest.delete(Routes.webhookMessage(ref.applicationId, ref.token, '@original'), { auth: false });
  else if (ref.channelId && ref.messageId) await rest.delete(Routes.channelMessage(ref.channelId, ref.messageId));
}

export class TokenExpiredError extends Error {
  constructor() {
    super('the interaction token expired and the reply has no known channel message');
  }
}
