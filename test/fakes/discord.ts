// A fake Discord for tests: the real REST routes (/api/v10) and the real Gateway protocol (HELLO,
// IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME), on 127.0.0.1, speaking exactly what the real
// discord.js client sends and expects (shared/research/discord-testing.md). It keeps messages in memory,
// logs every request for assertions, and can inject 429s and gateway disconnects.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIMessage, APIUser, GatewayReceivePayload } from 'discord-api-types/v10';
import { WebSocketServer, type WebSocket } from 'ws';

/** A message as the gateway carries it: with guild_id when it is in a guild. */
export type StoredMessage = APIMessage & { guild_id?: string };

export interface LoggedRequest {
  at: number;
  method: string;
  /** Path below /api/v10, decoded (%40original → @original). */
  path: string;
  auth: string | null;
  body: Record<string, unknown> | null;
  files: { name: string; data: Buffer }[];
  status: number;
  /** The id of the message the request created or edited, when it did. */
  messageId: string | null;
}

interface Failure {
  match: (r: { method: string; path: string }) => boolean;
  status: number;
  retryAfter: number;
  remaining: number;
}

const EPOCH = 1420070400000n;
let counter = 0n;
export function snowflake(): string {
  counter += 1n;
  return String(((BigInt(Date.now()) - EPOCH) << 22n) + (counter % 4096n));
}

const INTENT_MESSAGE_CONTENT = 1 << 15;

/** Every permission bit (Administrator, Manage Messages…). */
export const ALL_PERMISSIONS = String((1n << 50n) - 1n);
/** View, send, read history, add reactions, but not Manage Messages. */
export const MEMBER_PERMISSIONS = String((1 << 10) | (1 << 11) | (1 << 16) | (1 << 6));

export class FakeDiscord {
  readonly requests: LoggedRequest[] = [];
  readonly messages = new Map<string, StoredMessage>();
  readonly gatewayOps: { op: number; d: unknown }[] = [];
  readonly commands: { guildId: string | null; body: unknown }[] = [];
  readonly attachments = new Map<string, Buffer>();
  readonly applicationId = snowflake();
  readonly bot: APIUser = { id: this.applicationId, username: 'sharpbox', discriminator: '0000', global_name: null, avatar: null, bot: true };
  readonly guildId = snowflake();
  readonly channels = { general: snowflake(), autorun: snowflake() };
  readonly users = {
    alice: { id: snowflake(), username: 'alice', discriminator: '0', global_name: 'Alice', avatar: null } as APIUser,
    bob: { id: snowflake(), username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null } as APIUser,
    mod: { id: snowflake(), username: 'mod', discriminator: '0', global_name: 'Mod', avatar: null } as APIUser,
  };
  readonly roles = { runner: snowflake(), moderator: snowflake() };
  private readonly dmChannels = new Map<string, string>();
  private readonly interactions = new Map<string, { original: string | null; followUps: string[] }>();
  private readonly failures: Failure[] = [];
  private sockets = new Set<WebSocket>();
  /** Each identified connection's shard [id, count], for routing dispatches as Discord does. */
  private readonly shardOf = new Map<WebSocket, [number, number]>();
  private seq = 0;
  private intents = 0;
  private readonly sessionId = randomBytes(8).toString('hex');
  private readonly listeners = new Set<() => void>();
  private server!: Server;
  private wss!: WebSocketServer;
  port = 0;

  static async start(): Promise<FakeDiscord> {
    const fake = new FakeDiscord();
    await fake.listen();
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws) => this.onSocket(ws));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---- waiting -------------------------------------------------------------------------------

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Waits until `check` returns a value (not undefined/false), re-checking on every request or op. */
  waitFor<T>(check: () => T | undefined | false | null, timeoutMs = 20_000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined || value === false || value === null) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => void attempt();
      this.listeners.add(listener);
      attempt();
    });
  }

  /** Requests made after `since` (an index into `requests`) that write messages: creates and edits. */
  writes(since = 0): LoggedRequest[] {
    return this.requests.slice(since).filter((r) => r.status < 300 && ((r.method === 'POST' && /\/messages$|\/callback$|^\/webhooks\/\d+\/[^/]+$/.test(r.path)) || (r.method === 'PATCH' && /\/messages\//.test(r.path))));
  }

  // ---- failure injection ---------------------------------------------------------------------

  /** The next `count` requests matching answer `status` (429 with Retry-After by default). */
  failNext(match: Failure['match'], count = 1, status = 429, retryAfter = 0.3): void {
    this.failures.push({ match, status, retryAfter, remaining: count });
  }

  /** Drops every gateway connection with a resumable close code: the client reconnects and resumes. */
  dropGateway(code = 4000): void {
    for (const ws of this.sockets) ws.close(code, 'fake: dropped');
  }

  // ---- gateway -------------------------------------------------------------------------------

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.shardOf.delete(ws);
    });
    this.send(ws, { op: 10, d: { heartbeat_interval: 45_000 } });
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> };
      this.gatewayOps.push({ op: msg.op, d: msg.d });
      if (msg.op === 1) this.send(ws, { op: 11 });
      if (msg.op === 2) {
        this.intents = Number(msg.d.intents);
        const shard = (msg.d.shard as [number, number] | undefined) ?? [0, 1];
        this.shardOf.set(ws, shard);
        const mine = this.guildShard(shard[1]) === shard[0];
        this.dispatchTo(ws, 'READY', {
          v: 10,
          user: this.bot,
          guilds: mine ? [{ id: this.guildId, unavailable: true }] : [],
          session_id: `${this.sessionId}-${shard[0]}-${shard[1]}`,
          resume_gateway_url: `ws://127.0.0.1:${this.port}`,
          application: { id: this.applicationId, flags: 0 },
          shard,
        });
        if (mine) this.dispatchTo(ws, 'GUILD_CREATE', this.guildPayload());
      }
      if (msg.op === 6) {
        // A resumed session keeps its shard: the fake writes it into the session id.
        const m = /-(\d+)-(\d+)$/.exec(String((msg.d as { session_id?: string }).session_id ?? ''));
        this.shardOf.set(ws, m ? [Number(m[1]), Number(m[2])] : [0, 1]);
        this.dispatchTo(ws, 'RESUMED', {});
      }
      this.changed();
    });
  }

  private send(ws: WebSocket, payload: Record<string, unknown>): void {
    ws.send(JSON.stringify({ s: null, t: null, ...payload }));
  }

  private dispatchTo(ws: WebSocket, t: string, d: unknown): void {
    this.seq += 1;
    ws.send(JSON.stringify({ op: 0, t, s: this.seq, d } as unknown as GatewayReceivePayload));
  }

  /** Which shard of `count` owns the test guild: (guild_id >> 22) % count, as Discord computes it. */
  guildShard(count: number): number {
    return Number((BigInt(this.guildId) >> 22n) % BigInt(count));
  }

  /** Sends an event to the connection that owns it: its guild's shard, or shard 0 for DMs. */
  dispatch(t: string, d: unknown): void {
    const guildId = (d as { guild_id?: string }).guild_id;
    for (const ws of this.sockets) {
      const [id, count] = this.shardOf.get(ws) ?? [0, 1];
      const owner = guildId ? Number((BigInt(guildId) >> 22n) % BigInt(count)) : 0;
      if (owner === id) this.dispatchTo(ws, t, d);
    }
  }

  get identified(): boolean {
    return this.gatewayOps.some((o) => o.op === 2);
  }

  private guildPayload(): Record<string, unknown> {
    const channel = (id: string, name: string) => ({ id, type: 0, name, position: 0, parent_id: null, permission_overwrites: [] });
    return {
      id: this.guildId,
      name: 'Test Guild',
      owner_id: this.users.mod.id,
      unavailable: false,
      joined_at: '2025-01-01T00:00:00.000Z',
      member_count: 4,
      features: [],
      emojis: [],
      stickers: [],
      threads: [],
      presences: [],
      voice_states: [],
      members: [{ user: this.bot, roles: [], joined_at: '2025-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 }],
      roles: [
        { id: this.guildId, name: '@everyone', permissions: MEMBER_PERMISSIONS, position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
        { id: this.roles.runner, name: 'runner', permissions: MEMBER_PERMISSIONS, position: 1, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
        { id: this.roles.moderator, name: 'moderator', permissions: ALL_PERMISSIONS, position: 2, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
      ],
      channels: [channel(this.channels.general, 'general'), channel(this.channels.autorun, 'csharp')],
    };
  }

  // ---- actors: what users do -----------------------------------------------------------------

  private member(user: APIUser, roles: string[] = []) {
    return { roles, joined_at: '2025-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0, user };
  }

  private blank(message: StoredMessage): StoredMessage {
    // Without the Message Content intent, guild messages arrive with no content (discord-testing.md §7).
    const mentioned = message.mentions?.some((u) => u.id === this.bot.id);
    if (this.intents & INTENT_MESSAGE_CONTENT || !message.guild_id || mentioned || message.author.id === this.bot.id) return message;
    return { ...message, content: '', embeds: [], attachments: [], components: [] };
  }

  /** A user posts a message in a guild channel. */
  post(channelId: string, author: APIUser, content: string, roles: string[] = []): StoredMessage {
    const message = this.newMessage(channelId, author, content, this.guildId);
    const { guild_id: _g, ...rest } = this.blank(message);
    this.dispatch('MESSAGE_CREATE', { ...rest, guild_id: this.guildId, member: { ...this.member(author, roles), user: undefined } });
    return message;
  }

  /** A user sends the bot a direct message. */
  dm(author: APIUser, content: string): StoredMessage {
    let channelId = this.dmChannels.get(author.id);
    if (!channelId) {
      channelId = snowflake();
      this.dmChannels.set(author.id, channelId);
    }
    const message = this.newMessage(channelId, author, content, undefined);
    this.dispatch('MESSAGE_CREATE', { ...message, channel_type: 1 });
    return message;
  }

  /** A message that exists but that the bot never saw (sent before it started, or evicted from its cache). */
  seed(channelId: string, author: APIUser, content: string): StoredMessage {
    return this.newMessage(channelId, author, content, this.guildId);
  }

  edit(messageId: string, content: string): StoredMessage {
    const old = this.messages.get(messageId);
    if (!old) throw new Error(`no message ${messageId}`);
    const updated = { ...old, content, edited_timestamp: new Date().toISOString() };
    this.messages.set(messageId, updated);
    this.dispatch('MESSAGE_UPDATE', this.blank(updated));
    return updated;
  }

  remove(messageId: string): void {
    const old = this.messages.get(messageId);
    if (!old) throw new Error(`no message ${messageId}`);
    this.messages.delete(messageId);
    this.dispatch('MESSAGE_DELETE', { id: messageId, channel_id: old.channel_id, ...(old.guild_id ? { guild_id: old.guild_id } : {}) });
  }

  react(messageId: string, user: APIUser, emoji = '▶️', roles: string[] = []): void {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    this.dispatch('MESSAGE_REACTION_ADD', {
      user_id: user.id,
      channel_id: message.channel_id,
      message_id: messageId,
      guild_id: this.guildId,
      member: this.member(user, roles),
      emoji: { id: null, name: emoji },
      message_author_id: message.author.id,
      burst: false,
      burst_colors: [],
      type: 0,
    });
  }

  private newMessage(channelId: string, author: APIUser, content: string, guildId: string | undefined): StoredMessage {
    const id = snowflake();
    const message = {
      id,
      channel_id: channelId,
      ...(guildId ? { guild_id: guildId } : {}),
      author,
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      type: 0,
      flags: 0,
    } as unknown as StoredMessage;
    this.messages.set(id, message);
    return message;
  }

  /** Stores a file as an attachment served by this fake, as Discord's CDN would. */
  upload(name: string, data: Buffer): { id: string; filename: string; size: number; url: string; proxy_url: string } {
    const id = snowflake();
    this.attachments.set(`${id}/${name}`, data);
    const url = `http://127.0.0.1:${this.port}/attachments/${id}/${encodeURIComponent(name)}`;
    return { id, filename: name, size: data.length, url, proxy_url: url };
  }

  private interaction(type: number, user: APIUser, data: unknown, extra: Record<string, unknown> = {}, opts: { channelId?: string; permissions?: string; roles?: string[] } = {}): { id: string; token: string } {
    const id = snowflake();
    const token = `itoken-${randomBytes(6).toString('hex')}`;
    this.interactions.set(token, { original: null, followUps: [] });
    const channelId = opts.channelId ?? this.channels.general;
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: this.applicationId,
      token,
      version: 1,
      type,
      data,
      guild_id: this.guildId,
      channel_id: channelId,
      channel: { id: channelId, type: 0, name: 'general', guild_id: this.guildId },
      member: { ...this.member(user, opts.roles ?? []), permissions: opts.permissions ?? MEMBER_PERMISSIONS },
      app_permissions: ALL_PERMISSIONS,
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
      attachment_size_limit: 10485760,
      ...extra,
    });
    return { id, token };
  }

  slash(user: APIUser, options: { name: string; type: number; value: string }[], attachments: Record<string, unknown> = {}): { id: string; token: string } {
    const resolved = Object.keys(attachments).length > 0 ? { attachments } : undefined;
    return this.interaction(2, user, { id: snowflake(), name: 'run', type: 1, options, ...(resolved ? { resolved } : {}) });
  }

  /** /sharpbox settings with the given options (channel and role options are resolved as Discord does). */
  settingsCommand(user: APIUser, options: { name: string; type: number; value: string | number | boolean }[], permissions = MEMBER_PERMISSIONS): { id: string; token: string } {
    const channels: Record<string, unknown> = {};
    const roles: Record<string, unknown> = {};
    for (const o of options) {
      if (o.type === 7) channels[String(o.value)] = { id: o.value, type: 0, name: 'channel', permissions: ALL_PERMISSIONS };
      if (o.type === 8) roles[String(o.value)] = { id: o.value, name: 'role', permissions: MEMBER_PERMISSIONS, position: 1, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 };
    }
    const data = { id: snowflake(), name: 'sharpbox', type: 1, options: [{ name: 'settings', type: 1, options }], resolved: { channels, roles } };
    return this.interaction(2, user, data, {}, { permissions });
  }

  messageCommand(user: APIUser, target: StoredMessage): { id: string; token: string } {
    return this.interaction(2, user, { id: snowflake(), name: 'Run C#', type: 3, target_id: target.id, resolved: { messages: { [target.id]: target } } });
  }

  modalSubmit(user: APIUser, customId: string, fields: Record<string, string>): { id: string; token: string } {
    const components = Object.entries(fields).map(([id, value]) => ({ type: 1, components: [{ type: 4, custom_id: id, value }] }));
    return this.interaction(5, user, { custom_id: customId, components });
  }

  click(user: APIUser, message: StoredMessage, customId: string, permissions = MEMBER_PERMISSIONS): { id: string; token: string } {
    return this.interaction(3, user, { custom_id: customId, component_type: 2 }, { message }, { channelId: message.channel_id, permissions });
  }

  /** The message an interaction's original response became (after type 4), if any. */
  originalOf(token: string): StoredMessage | undefined {
    const id = this.interactions.get(token)?.original;
    return id ? this.messages.get(id) : undefined;
  }

  // ---- REST ----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);

    if (url.pathname.startsWith('/attachments/')) {
      const data = this.attachments.get(decodeURIComponent(url.pathname.slice('/attachments/'.length)));
      res.writeHead(data ? 200 : 404, { 'Content-Type': 'application/octet-stream' });
      res.end(data ?? '');
      return;
    }
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v10/, ''));
    const method = req.method ?? 'GET';
    const { body, files } = await parseBody(req, raw);
    const entry: LoggedRequest = { at: performance.now(), method, path, auth: req.headers.authorization ?? null, body, files, status: 0, messageId: null };
    this.requests.push(entry);

    const reply = (status: number, json?: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      const id = (json as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string' && status < 300) entry.messageId = id;
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
      this.changed();
    };

    const failure = this.failures.find((f) => f.remaining > 0 && f.match({ method, path }));
    if (failure) {
      failure.remaining -= 1;
      return reply(failure.status, { message: 'You are being rate limited.', retry_after: failure.retryAfter, global: false }, {
        'Retry-After': String(failure.retryAfter),
        'X-RateLimit-Limit': '5',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset-After': String(failure.retryAfter),
        'X-RateLimit-Bucket': 'fakebucket',
        'X-RateLimit-Scope': 'user',
      });
    }

    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return reply(200, { url: `ws://127.0.0.1:${this.port}`, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } });
    }
    if ((m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path)) && method === 'PUT') {
      const list = (body as unknown as Record<string, unknown>[] | null) ?? [];
      this.commands.push({ guildId: m[2] ?? null, body: list });
      return reply(200, list.map((c) => ({ ...c, id: snowflake(), application_id: this.applicationId, version: snowflake() })));
    }
    if ((m = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'POST') {
      const message = this.botMessage(m[1] as string, body, files);
      return reply(200, message);
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const message = this.messages.get(m[2] as string);
      if (!message) return reply(404, { code: 10008, message: 'Unknown Message' });
      if (method === 'GET') return reply(200, this.blank(message));
      if (method === 'DELETE') {
        this.messages.delete(message.id);
        return reply(204);
      }
      if (method === 'PATCH') return reply(200, this.applyEdit(message, body, files));
    }
    if (/^\/channels\/\d+\/messages\/\d+\/reactions\/.+\/@me$/.test(path) && method === 'PUT') return reply(204);
    if (/^\/channels\/\d+\/typing$/.test(path)) return reply(204);
    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path)) && method === 'POST') {
      const state = this.interactions.get(m[2] as string);
      if (!state) return reply(404, { code: 10062, message: 'Unknown interaction' });
      const type = Number(body?.type);
      const data = (body?.data ?? {}) as Record<string, unknown>;
      if (type === 4 || type === 5) {
        const message = this.botMessage(this.channels.general, type === 4 ? data : { content: '' }, files);
        state.original = message.id;
        entry.messageId = message.id;
      }
      if (type === 7) {
        const target = this.findMessageForComponent(m[2] as string);
        if (target) this.applyEdit(target, data, files);
      }
      entry.status = 204;
      res.writeHead(204);
      res.end();
      this.changed();
      return;
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(path))) {
      const state = this.interactions.get(m[2] as string);
      const message = state?.original ? this.messages.get(state.original) : undefined;
      if (!message) return reply(404, { code: 10008, message: 'Unknown Message' });
      if (method === 'GET') return reply(200, message);
      if (method === 'DELETE') {
        this.messages.delete(message.id);
        return reply(204);
      }
      if (method === 'PATCH') return reply(200, this.applyEdit(message, body, files));
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(path)) && method === 'POST') {
      const state = this.interactions.get(m[2] as string);
      const message = this.botMessage(this.channels.general, body, files);
      state?.followUps.push(message.id);
      return reply(200, message);
    }
    reply(404, { code: 0, message: `fake discord: no route for ${method} ${path}` });
  }

  private readonly componentMessages = new Map<string, string>();

  private findMessageForComponent(token: string): StoredMessage | undefined {
    const id = this.componentMessages.get(token);
    return id ? this.messages.get(id) : undefined;
  }

  /** Records which message a button interaction came from (for type 7 updates). */
  noteComponentMessage(token: string, messageId: string): void {
    this.componentMessages.set(token, messageId);
  }

  private botMessage(channelId: string, body: Record<string, unknown> | null, files: { name: string; data: Buffer }[]): StoredMessage {
    const message = this.newMessage(channelId, this.bot, String(body?.content ?? ''), channelId === this.channels.general || channelId === this.channels.autorun ? this.guildId : undefined);
    return this.applyEdit(message, body, files);
  }

  private applyEdit(message: StoredMessage, body: Record<string, unknown> | null, files: { name: string; data: Buffer }[]): StoredMessage {
    const updated: StoredMessage = {
      ...message,
      ...(body && 'content' in body ? { content: String(body.content ?? '') } : {}),
      ...(body && 'components' in body ? { components: body.components as StoredMessage['components'] } : {}),
      ...(body && 'message_reference' in body ? { message_reference: body.message_reference as StoredMessage['message_reference'] } : {}),
      ...(body && 'attachments' in body ? { attachments: files.map((f) => this.upload(f.name, f.data)) as unknown as StoredMessage['attachments'] } : {}),
      edited_timestamp: message.timestamp === undefined ? null : new Date().toISOString(),
    };
    this.messages.set(message.id, updated);
    return updated;
  }
}

async function parseBody(req: IncomingMessage, raw: Buffer): Promise<{ body: Record<string, unknown> | null; files: { name: string; data: Buffer }[] }> {
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: null, files: [] };
  if (type.startsWith('application/json')) return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, files: [] };
  if (type.startsWith('multipart/form-data')) {
    // undici (Node's fetch) parses multipart for us.
    const form = await new Request('http://127.0.0.1/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(raw) }).formData();
    const files: { name: string; data: Buffer }[] = [];
    let body: Record<string, unknown> | null = null;
    for (const [key, value] of form.entries()) {
      if (key === 'payload_json') body = JSON.parse(String(value)) as Record<string, unknown>;
      else if (typeof value !== 'string') files.push({ name: value.name, data: Buffer.from(await value.arrayBuffer()) });
    }
    return { body, files };
  }
  return { body: null, files: [] };
}
