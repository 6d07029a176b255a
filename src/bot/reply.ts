// Where a run's one reply lives, and the raw REST calls that create, edit and delete it. A reply is a
// message answering the code message, or an interaction's original response; either way it is named by
// a ReplyRef that survives a restart (see inflight.ts).
import { Routes, type REST } from 'discord.js';
import type { RenderedReply } from './render.js';

export type ReplyRef =
  | { kind: 'message'; channelId: string; messageId: string }
  | { kind: 'interaction'; applicationId: string; token: string };

interface Payload {
  body: Record<string, unknown>;
  files: { name: string; data: Buffer }[];
}

const EPHEMERAL = 1 << 6;

/** The message body Discord expects, with allowed_mentions that parse nothing, on every create and edit. */
export function toPayload(reply: RenderedReply): Payload {
  return {
    body: {
      content: reply.content,
      components: reply.components,
      allowed_mentions: { parse: [], replied_user: false },
      // Listing attachments replaces the message's old ones: an edit without output.txt removes it.
      attachments: reply.files.map((f, i) => ({ id: String(i), filename: f.name })),
    },
    files: reply.files.map((f) => ({ name: f.name, data: f.data })),
  };
}

export async function replyToMessage(rest: REST, channelId: string, messageId: string, reply: RenderedReply): Promise<ReplyRef> {
  const { body, files } = toPayload(reply);
  const created = (await rest.post(Routes.channelMessages(channelId), {
    body: { ...body, message_reference: { message_id: messageId, fail_if_not_exists: false } },
    files,
  })) as { id: string };
  return { kind: 'message', channelId, messageId: created.id };
}

export async function replyToInteraction(rest: REST, interaction: { id: string; token: string; applicationId: string }, reply: RenderedReply): Promise<ReplyRef> {
  const { body, files } = toPayload(reply);
  await rest.post(Routes.interactionCallback(interaction.id, interaction.token), { body: { type: 4, data: body }, files, auth: false });
  return { kind: 'interaction', applicationId: interaction.applicationId, token: interaction.token };
}

/** An answer only the clicking user sees (refusals, permission messages). */
export async function ephemeral(rest: REST, interaction: { id: string; token: string }, content: string): Promise<void> {
  await rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: { type: 4, data: { content, flags: EPHEMERAL, allowed_mentions: { parse: [] } } },
    auth: false,
  });
}

/** Acknowledges a button click without changing its message now (the session edits it). */
export async function acknowledge(rest: REST, interaction: { id: string; token: string }): Promise<void> {
  await rest.post(Routes.interactionCallback(interaction.id, interaction.token), { body: { type: 6 }, auth: false });
}

export async function editReply(rest: REST, ref: ReplyRef, reply: RenderedReply): Promise<void> {
  const { body, files } = toPayload(reply);
  if (ref.kind === 'message') await rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body, files });
  else await rest.patch(Routes.webhookMessage(ref.applicationId, ref.token, '@original'), { body, files, auth: false });
}

export async function deleteReply(rest: REST, ref: ReplyRef): Promise<void> {
  if (ref.kind === 'message') await rest.delete(Routes.channelMessage(ref.channelId, ref.messageId));
  else await rest.delete(Routes.webhookMessage(ref.applicationId, ref.token, '@original'), { auth: false });
}
