// A fake Discord for tests, as strict as the real one: the real REST routes (/api/v10) and the real
// Gateway protocol (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME) on 127.0.0.1, speaking
// exactly what the real discord.js client sends and expects (shared/research/discord-testing.md), and
// refusing what Discord refuses, with Discord's status codes and JSON error bodies: the message limits
// (discordRules.ts), the interaction deadlines (3 s for the first response, 15 minutes for the token),
// unknown and deleted channels and messages, missing permissions in channels a test marks so, and
// per-route rate limits with their headers (discordRateLimits.ts). Every deadline reads one clock
// (clock.ts): real time, plus whatever a test skips with fake.clock.advance(ms).
//
// It keeps messages in memory, logs every request for assertions, and can inject failures (429s, 5xx)
// and gateway disconnects.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermissionFlagsBits, type APIMessage, type APIUser, type GatewayReceivePayload } from 'discord-api-types/v10';
import { WebSocketServer, type WebSocket } from 'ws';
import { FakeClock } from './clock.js';
import {
  checkFiles,
  commandProblems,
  ERRORS,
  invalidFormBody,
  isEmptyMessage,
  LIMITS,
  messageProblems,
  modalProblems,
  type DiscordError,
} from './discordRules.js';
import { RateLimits, tooMany, type BucketRule, type RouteName } from './discordRateLimits.js';

export { FakeClock } from './clock.js';
export { ERRORS, LIMITS } from './discordRules.js';
export { DEFAULT_RATE_LIMITS, GLOBAL_LIMIT, RateLimits } from './discordRateLimits.js';

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
  /** Discord's JSON error code when the request was refused (10008, 50035…), else null. */
  code: number | null;
  /** The id of the message the request created or edited, when it did. */
  messageId: string | null;
}

export interface FakeDiscordOptions {
  /** The clock every deadline and rate-limit window reads (default: real time, advanceable). */
  clock?: FakeClock;
  /** Per-route bucket sizes instead of the defaults in discordRateLimits.ts. */
  rateLimits?: Partial<Record<RouteName, BucketRule>>;
}

interface Failure {
  match: (r: { method: string; path: string }) => boolean;
  status: number;
  retryAfter: number;
  remaining: number;
}

interface Channel {
  id: string;
  /** 0 guild text, 1 DM. */
  type: 0 | 1;
  name: string;
  /** Permissions a test took from the bot here (a channel overwrite on its role). */
  denied: bigint;
  deleted: boolean;
}

interface Interaction {
  id: string;
  token: string;
  type: number;
  channelId: string;
  /** When the fake sent INTERACTION_CREATE, on the fake's clock. */
  sentAt: number;
  acknowledged: boolean;
  original: string | null;
  followUps: string[];
  /** The message a component interaction came from (type 7 updates it). */
  messageId: string | null;
}

/** What a route handler answers: a JSON body (or none, for 204), or Discord's refusal. */
type Answer = { status: number; json?: unknown } | DiscordError;
type Files = { name: string; data: Buffer }[];

const EPOCH = 1420070400000n;
let counter = 0n;
export function snowflake(): string {
  counter += 1n;
  return String(((BigInt(Date.now()) - EPOCH) << 22n) + (counter % 4096n));
}

const INTENT_MESSAGE_CONTENT = 1 << 15;
const P = PermissionFlagsBits;

/** Every permission bit (Administrator, Manage Messages…). */
export const ALL_PERMISSIONS = String((1n << 50n) - 1n);
/** View, send, read history, add reactions, but not Manage Messages. */
export const MEMBER_PERMISSIONS = String((1 << 10) | (1 << 11) | (1 << 16) | (1 << 6));
/** The bot's own role: what README's invite link asks for (101440: View Channels, Send Messages, Read Message History, Add Reactions, Attach Files). */
export const BOT_PERMISSIONS = String(
  P.ViewChannel | P.SendMessages | P.ReadMessageHistory | P.AddReactions | P.AttachFiles,
);

export class FakeDiscord {
  readonly requests: LoggedRequest[] = [];
  readonly messages = new Map<string, StoredMessage>();
  readonly gatewayOps: { op: number; d: unknown }[] = [];
  readonly commands: { guildId: string | null; body: unknown }[] = [];
  readonly attachments = new Map<string, Buffer>();
  /** Held before every attachment download is answered (a slow CDN). */
  attachmentDelayMs = 0;
  /** Exceptions inside the fake itself (answered 500): a test can assert there were none. */
  readonly faults: string[] = [];
  readonly applicationId = snowflake();
  readonly bot: APIUser = {
    id: this.applicationId,
    username: 'sharpbox',
    discriminator: '0000',
    global_name: null,
    avatar: null,
    bot: true,
  };
  readonly guildId = snowflake();
  readonly channels = { general: snowflake(), autorun: snowflake() };
  readonly users = {
    alice: { id: snowflake(), username: 'alice', discriminator: '0', global_name: 'Alice', avatar: null } as APIUser,
    bob: { id: snowflake(), username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null } as APIUser,
    mod: { id: snowflake(), username: 'mod', discriminator: '0', global_name: 'Mod', avatar: null } as APIUser,
  };
  readonly roles = { runner: snowflake(), moderator: snowflake(), bot: snowflake() };
  readonly clock: FakeClock;
  readonly rateLimits: RateLimits;
  private readonly channelState = new Map<string, Channel>();
  private readonly dmChannels = new Map<string, string>();
  private readonly interactions = new Map<string, Interaction>();
  /** The roles each user last acted with, for GET /guilds/{id}/members/{id}. */
  private readonly memberRoles = new Map<string, string[]>();
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

  private constructor(options: FakeDiscordOptions) {
    this.clock = options.clock ?? new FakeClock();
    this.rateLimits = new RateLimits(this.clock, options.rateLimits);
    this.channelState.set(this.channels.general, {
      id: this.channels.general,
      type: 0,
      name: 'general',
      denied: 0n,
      deleted: false,
    });
    this.channelState.set(this.channels.autorun, {
      id: this.channels.autorun,
      type: 0,
      name: 'csharp',
      denied: 0n,
      deleted: false,
    });
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await fake.listen();
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      // A bug in the fake must fail loudly, not leave the bot's request hanging until its REST timeout.
      this.handle(req, res).catch((err: unknown) => {
        this.faults.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ code: 0, message: `fake discord: ${String(err)}` }));
        this.changed();
      });
    });
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
    return this.requests
      .slice(since)
      .filter(
        (r) =>
          r.status < 300 &&
          ((r.method === 'POST' && /\/messages$|\/callback$|^\/webhooks\/\d+\/[^/]+$/.test(r.path)) ||
            (r.method === 'PATCH' && /\/messages\//.test(r.path))),
      );
  }

  /** Requests Discord counts towards its ban of IPs with too many invalid requests (401, 403, 429; rate-limits.mdx), in the last 10 minutes. */
  invalidRequests(): LoggedRequest[] {
    const since = performance.now() - 10 * 60_000;
    return this.requests.filter((r) => r.at >= since && (r.status === 401 || r.status === 403 || r.status === 429));
  }

  // ---- failure injection and channel state ---------------------------------------------------

  /** The next `count` requests matching answer `status` (429 with Retry-After by default). */
  failNext(match: Failure['match'], count = 1, status = 429, retryAfter = 0.3): void {
    this.failures.push({ match, status, retryAfter, remaining: count });
  }

  /** Drops every gateway connection with a resumable close code: the client reconnects and resumes. */
  dropGateway(code = 4000): void {
    for (const ws of this.sockets) ws.close(code, 'fake: dropped');
  }

  /**
   * Takes permissions from the bot in a guild channel (PermissionFlagsBits, e.g. SendMessages), as a
   * deny overwrite on its role would: requests that need them get 403 (50001 Missing Access without
   * View Channel, else 50013 Missing Permissions). Tells the gateway, as Discord does (CHANNEL_UPDATE).
   */
  denyPermissions(channelId: string, ...permissions: bigint[]): void {
    const channel = this.channelState.get(channelId);
    if (!channel || channel.type !== 0) throw new Error(`no guild channel ${channelId}`);
    channel.denied = permissions.reduce((a, b) => a | b, channel.denied);
    this.dispatch('CHANNEL_UPDATE', { ...this.channelPayload(channel), guild_id: this.guildId });
  }

  /** Deletes a channel: every request about it then gets 404 10003 Unknown Channel. */
  deleteChannel(channelId: string): void {
    const channel = this.channelState.get(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    channel.deleted = true;
    if (channel.type === 0)
      this.dispatch('CHANNEL_DELETE', { ...this.channelPayload(channel), guild_id: this.guildId });
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

  private channelPayload(c: Channel): Record<string, unknown> {
    const overwrites = c.denied ? [{ id: this.roles.bot, type: 0, allow: '0', deny: String(c.denied) }] : [];
    return { id: c.id, type: 0, name: c.name, position: 0, parent_id: null, permission_overwrites: overwrites };
  }

  private guildPayload(): Record<string, unknown> {
    const role = (
      id: string,
      name: string,
      permissions: string,
      position: number,
      extra: Record<string, unknown> = {},
    ) => ({
      id,
      name,
      permissions,
      position,
      color: 0,
      hoist: false,
      managed: false,
      mentionable: false,
      flags: 0,
      ...extra,
    });
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
      members: [
        {
          user: this.bot,
          roles: [this.roles.bot],
          joined_at: '2025-01-01T00:00:00.000Z',
          deaf: false,
          mute: false,
          flags: 0,
        },
      ],
      roles: [
        role(this.guildId, '@everyone', MEMBER_PERMISSIONS, 0),
        role(this.roles.runner, 'runner', MEMBER_PERMISSIONS, 1),
        role(this.roles.moderator, 'moderator', ALL_PERMISSIONS, 2),
        role(this.roles.bot, 'sharpbox', BOT_PERMISSIONS, 1, { managed: true, tags: { bot_id: this.bot.id } }),
      ],
      channels: [...this.channelState.values()]
        .filter((c) => c.type === 0 && !c.deleted)
        .map((c) => this.channelPayload(c)),
    };
  }

  // ---- actors: what users do -----------------------------------------------------------------

  private member(user: APIUser, roles: string[] = []) {
    this.memberRoles.set(user.id, roles);
    return { roles, joined_at: '2025-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0, user };
  }

  private blank(message: StoredMessage): StoredMessage {
    // Without the Message Content intent, guild messages arrive with no content (discord-testing.md §7).
    const mentioned = message.mentions?.some((u) => u.id === this.bot.id);
    if (this.intents & INTENT_MESSAGE_CONTENT || !message.guild_id || mentioned || message.author.id === this.bot.id)
      return message;
    return { ...message, content: '', embeds: [], attachments: [], components: [] };
  }

  /** A user posts a message in a guild channel. */
  post(channelId: string, author: APIUser, content: string, roles: string[] = []): StoredMessage {
    const message = this.newMessage(channelId, author, content, this.guildId);
    const { guild_id: _g, ...rest } = this.blank(message);
    this.dispatch('MESSAGE_CREATE', {
      ...rest,
      guild_id: this.guildId,
      member: { ...this.member(author, roles), user: undefined },
    });
    return message;
  }

  /** A user sends the bot a direct message. */
  dm(author: APIUser, content: string): StoredMessage {
    let channelId = this.dmChannels.get(author.id);
    if (!channelId) {
      channelId = snowflake();
      this.dmChannels.set(author.id, channelId);
      this.channelState.set(channelId, { id: channelId, type: 1, name: '', denied: 0n, deleted: false });
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
    const updated = { ...old, content, edited_timestamp: new Date(this.clock.now()).toISOString() };
    this.messages.set(messageId, updated);
    this.dispatch('MESSAGE_UPDATE', this.blank(updated));
    return updated;
  }

  remove(messageId: string): void {
    const old = this.messages.get(messageId);
    if (!old) throw new Error(`no message ${messageId}`);
    this.messages.delete(messageId);
    this.dispatch('MESSAGE_DELETE', {
      id: messageId,
      channel_id: old.channel_id,
      ...(old.guild_id ? { guild_id: old.guild_id } : {}),
    });
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
      timestamp: new Date(this.clock.now()).toISOString(),
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

  private interaction(
    type: number,
    user: APIUser,
    data: unknown,
    extra: Record<string, unknown> = {},
    opts: { channelId?: string; permissions?: string; roles?: string[] } = {},
  ): { id: string; token: string } {
    const id = snowflake();
    const token = `itoken-${randomBytes(6).toString('hex')}`;
    const channelId = opts.channelId ?? this.channels.general;
    const fromMessage = (extra.message as { id?: string } | undefined)?.id ?? null;
    // The 3-second deadline and the 15-minute token start when Discord sends the event.
    this.interactions.set(token, {
      id,
      token,
      type,
      channelId,
      sentAt: this.clock.now(),
      acknowledged: false,
      original: null,
      followUps: [],
      messageId: fromMessage,
    });
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
      attachment_size_limit: LIMITS.fileBytes,
      ...extra,
    });
    return { id, token };
  }

  slash(
    user: APIUser,
    options: { name: string; type: number; value: string }[],
    attachments: Record<string, unknown> = {},
  ): { id: string; token: string } {
    const resolved = Object.keys(attachments).length > 0 ? { attachments } : undefined;
    return this.interaction(2, user, {
      id: snowflake(),
      name: 'run',
      type: 1,
      options,
      ...(resolved ? { resolved } : {}),
    });
  }

  /** /sharpbox settings with the given options (channel and role options are resolved as Discord does). */
  settingsCommand(
    user: APIUser,
    options: { name: string; type: number; value: string | number | boolean }[],
    permissions = MEMBER_PERMISSIONS,
  ): { id: string; token: string } {
    const channels: Record<string, unknown> = {};
    const roles: Record<string, unknown> = {};
    for (const o of options) {
      if (o.type === 7)
        channels[String(o.value)] = { id: o.value, type: 0, name: 'channel', permissions: ALL_PERMISSIONS };
      if (o.type === 8)
        roles[String(o.value)] = {
          id: o.value,
          name: 'role',
          permissions: MEMBER_PERMISSIONS,
          position: 1,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        };
    }
    const data = {
      id: snowflake(),
      name: 'sharpbox',
      type: 1,
      options: [{ name: 'settings', type: 1, options }],
      resolved: { channels, roles },
    };
    return this.interaction(2, user, data, {}, { permissions });
  }

  messageCommand(user: APIUser, target: StoredMessage, name = 'Run C#'): { id: string; token: string } {
    return this.interaction(2, user, {
      id: snowflake(),
      name,
      type: 3,
      target_id: target.id,
      resolved: { messages: { [target.id]: target } },
    });
  }

  modalSubmit(user: APIUser, customId: string, fields: Record<string, string>): { id: string; token: string } {
    const components = Object.entries(fields).map(([id, value]) => ({
      type: 1,
      components: [{ type: 4, custom_id: id, value }],
    }));
    return this.interaction(5, user, { custom_id: customId, components });
  }

  click(
    user: APIUser,
    message: StoredMessage,
    customId: string,
    permissions = MEMBER_PERMISSIONS,
  ): { id: string; token: string } {
    return this.interaction(
      3,
      user,
      { custom_id: customId, component_type: 2 },
      { message },
      { channelId: message.channel_id, permissions },
    );
  }

  /** The message an interaction's original response became (after type 4 or 5), if any. */
  originalOf(token: string): StoredMessage | undefined {
    const id = this.interactions.get(token)?.original;
    return id ? this.messages.get(id) : undefined;
  }

  /** Records which message a component interaction came from (click() does it itself). */
  noteComponentMessage(token: string, messageId: string): void {
    const state = this.interactions.get(token);
    if (state) state.messageId = messageId;
  }

  // ---- REST ----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);

    if (url.pathname.startsWith('/attachments/')) {
      // Discord's CDN can be slow: a test may hold downloads back (the bot must have answered by then).
      if (this.attachmentDelayMs > 0) await new Promise((r) => setTimeout(r, this.attachmentDelayMs));
      const data = this.attachments.get(decodeURIComponent(url.pathname.slice('/attachments/'.length)));
      res.writeHead(data ? 200 : 404, { 'Content-Type': 'application/octet-stream' });
      res.end(data ?? '');
      return;
    }
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v10/, ''));
    const method = req.method ?? 'GET';
    const { body, files } = await parseBody(req, raw);
    const entry: LoggedRequest = {
      at: performance.now(),
      method,
      path,
      auth: req.headers.authorization ?? null,
      body,
      files,
      status: 0,
      code: null,
      messageId: null,
    };
    this.requests.push(entry);

    const reply = (status: number, json?: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      const id = (json as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string' && status < 300) entry.messageId = id;
      const code = (json as { code?: unknown } | undefined)?.code;
      if (status >= 400 && typeof code === 'number') entry.code = code;
      res.writeHead(status, json === undefined ? headers : { 'Content-Type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
      this.changed();
    };

    const route = this.route(method, path, url, body, files, entry);

    const failure = this.failures.find((f) => f.remaining > 0 && f.match({ method, path }));
    if (failure) {
      failure.remaining -= 1;
      if (failure.status !== 429)
        return reply(failure.status, { code: 0, message: `${failure.status}: injected by the test` });
      const limited = tooMany(failure.retryAfter, false, {
        'X-RateLimit-Limit': String(this.rateLimits.rules[route.name].limit),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': ((this.clock.now() + failure.retryAfter * 1000) / 1000).toFixed(3),
        'X-RateLimit-Reset-After': failure.retryAfter.toFixed(3),
        'X-RateLimit-Bucket': RateLimits.bucketHash(route.name),
        'X-RateLimit-Scope': 'user',
      });
      return reply(429, limited.body, limited.headers);
    }

    // Interaction endpoints "are not bound to the application's Global Rate Limit" (interactions/receiving-and-responding.mdx).
    const auth = req.headers.authorization;
    if (auth && route.name !== 'interaction.callback' && !route.name.startsWith('webhook.')) {
      const global = this.rateLimits.takeGlobal(auth);
      if (global) return reply(429, global.body, global.headers);
    }
    const bucket = this.rateLimits.take(route.name, route.major);
    if (bucket.limited) return reply(429, bucket.limited.body, bucket.limited.headers);
    const answer = route.run();
    if ('body' in answer) return reply(answer.status, answer.body, bucket.headers);
    return reply(answer.status, answer.json, bucket.headers);
  }

  /** Which route a request is (its rate-limit bucket and top-level resource) and what it does. */
  private route(
    method: string,
    path: string,
    url: URL,
    body: Record<string, unknown> | null,
    files: Files,
    entry: LoggedRequest,
  ): { name: RouteName; major: string; run: () => Answer } {
    let m: RegExpExecArray | null;
    const ok = (json?: unknown): Answer => ({ status: json === undefined ? 204 : 200, json });
    if (method === 'GET' && path === '/gateway/bot') {
      return {
        name: 'gateway',
        major: '',
        run: () =>
          ok({
            url: `ws://127.0.0.1:${this.port}`,
            shards: 1,
            session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
          }),
      };
    }
    if ((m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path)) && method === 'PUT') {
      const guildId = m[2] ?? null;
      return {
        name: 'commands',
        major: guildId ?? '',
        run: () => {
          const list = (body as unknown as Record<string, unknown>[] | null) ?? [];
          const problems = commandProblems(list);
          if (problems.length > 0) return invalidFormBody(problems);
          this.commands.push({ guildId, body: list });
          return ok(
            list.map((c) => ({ ...c, id: snowflake(), application_id: this.applicationId, version: snowflake() })),
          );
        },
      };
    }
    if ((m = /^\/guilds\/(\d+)\/members\/(\d+)$/.exec(path)) && method === 'GET') {
      const [, guildId, userId] = m as unknown as [string, string, string];
      return { name: 'guild.member', major: guildId, run: () => this.getMember(guildId, userId) };
    }
    if ((m = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'POST') {
      const channelId = m[1] as string;
      return { name: 'message.create', major: channelId, run: () => this.createMessage(channelId, body, files) };
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const [, channelId, messageId] = m as unknown as [string, string, string];
      const name: RouteName =
        method === 'GET'
          ? 'message.get'
          : method === 'PATCH'
            ? 'message.edit'
            : method === 'DELETE'
              ? 'message.delete'
              : 'other';
      return { name, major: channelId, run: () => this.channelMessage(method, channelId, messageId, body, files) };
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/.+\/@me$/.exec(path)) && method === 'PUT') {
      const [, channelId, messageId] = m as unknown as [string, string, string];
      return { name: 'reaction.add', major: channelId, run: () => this.addReaction(channelId, messageId) };
    }
    if ((m = /^\/channels\/(\d+)\/typing$/.exec(path)) && method === 'POST') {
      const channelId = m[1] as string;
      return {
        name: 'typing',
        major: channelId,
        run: () => this.inChannel(channelId, P.ViewChannel | P.SendMessages, () => ok()),
      };
    }
    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path)) && method === 'POST') {
      const [, id, token] = m as unknown as [string, string, string];
      return { name: 'interaction.callback', major: id, run: () => this.callback(id, token, body, files, entry) };
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/.exec(path))) {
      const [, appId, token, messageId] = m as unknown as [string, string, string, string | undefined];
      const name: RouteName = messageId === undefined ? 'webhook.execute' : 'webhook.message';
      return {
        name,
        major: `${appId}:${token}`,
        run: () => this.webhook(method, appId, token, messageId, body, files, url),
      };
    }
    return {
      name: 'other',
      major: '',
      run: () => ({ status: 404, json: { code: 0, message: `fake discord: no route for ${method} ${path}` } }),
    };
  }

  /** The bot's permissions in a channel: its roles', less what a test denied; a DM allows what a DM allows. */
  private botPermissions(channel: Channel): bigint {
    if (channel.type === 1)
      return P.ViewChannel | P.SendMessages | P.ReadMessageHistory | P.AddReactions | P.AttachFiles | P.EmbedLinks;
    return (BigInt(MEMBER_PERMISSIONS) | BigInt(BOT_PERMISSIONS)) & ~channel.denied;
  }

  /** Runs `then` if the channel exists and the bot has `needed` there, else Discord's refusal. */
  private inChannel(channelId: string, needed: bigint, then: (channel: Channel) => Answer): Answer {
    const channel = this.channelState.get(channelId);
    if (!channel || channel.deleted) return ERRORS.unknownChannel;
    const has = this.botPermissions(channel);
    if (!(has & P.ViewChannel)) return ERRORS.missingAccess;
    if ((has & needed) !== needed) return ERRORS.missingPermissions;
    return then(channel);
  }

  private getMember(guildId: string, userId: string): Answer {
    const user = [...Object.values(this.users), this.bot].find((u) => u.id === userId);
    if (guildId !== this.guildId) return { status: 404, body: { code: 10004, message: 'Unknown Guild' } };
    if (!user) return { status: 404, body: { code: 10007, message: 'Unknown Member' } };
    const roles = user.id === this.bot.id ? [this.roles.bot] : (this.memberRoles.get(user.id) ?? []);
    return {
      status: 200,
      json: { user, roles, joined_at: '2025-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 },
    };
  }

  private createMessage(channelId: string, body: Record<string, unknown> | null, files: Files): Answer {
    const reference = body?.message_reference as { message_id?: string; fail_if_not_exists?: boolean } | undefined;
    // resources/channel.mdx (Create Message): a reply needs Read Message History, a file Attach Files.
    const needed = P.SendMessages | (reference ? P.ReadMessageHistory : 0n) | (files.length > 0 ? P.AttachFiles : 0n);
    return this.inChannel(channelId, needed, (channel) => {
      const refused = this.checkMessage(body, files, []);
      if (refused) return refused;
      if (isEmptyMessage(body ?? {}, files.length)) return ERRORS.emptyMessage;
      const target = reference?.message_id ? this.messages.get(reference.message_id) : undefined;
      // message_reference: fail_if_not_exists defaults to true (resources/message.mdx, Message Reference).
      if (
        reference?.message_id &&
        (!target || target.channel_id !== channelId) &&
        reference.fail_if_not_exists !== false
      ) {
        return invalidFormBody([
          { path: ['message_reference'], code: 'REPLIES_UNKNOWN_MESSAGE', message: 'Unknown message' },
        ]);
      }
      const message = this.botMessage(channel.id, body, files);
      return { status: 200, json: message };
    });
  }

  private channelMessage(
    method: string,
    channelId: string,
    messageId: string,
    body: Record<string, unknown> | null,
    files: Files,
  ): Answer {
    const needed =
      method === 'GET' ? P.ReadMessageHistory : method === 'PATCH' && files.length > 0 ? P.AttachFiles : 0n;
    return this.inChannel(channelId, needed, (channel) => {
      const message = this.messages.get(messageId);
      if (!message || message.channel_id !== channelId) return ERRORS.unknownMessage;
      if (method === 'GET') return { status: 200, json: this.blank(message) };
      const own = message.author.id === this.bot.id;
      if (method === 'DELETE') {
        // Someone else's message: Manage Messages in a guild, and never in a DM (50003).
        if (!own && channel.type === 1) return ERRORS.dmAction;
        if (!own && !(this.botPermissions(channel) & P.ManageMessages)) return ERRORS.missingPermissions;
        this.messages.delete(message.id);
        return { status: 204 };
      }
      if (method === 'PATCH') {
        if (!own) return ERRORS.otherAuthor;
        return this.editMessage(message, body, files, []);
      }
      return { status: 405, body: { code: 0, message: '405: Method Not Allowed' } };
    });
  }

  private addReaction(channelId: string, messageId: string): Answer {
    return this.inChannel(channelId, P.ReadMessageHistory | P.AddReactions, () => {
      const message = this.messages.get(messageId);
      if (!message || message.channel_id !== channelId) return ERRORS.unknownMessage;
      return { status: 204 };
    });
  }

  /** The message limits, in the order Discord checks them: file sizes (413), then the form (50035). */
  private checkMessage(body: Record<string, unknown> | null, files: Files, prefix: string[]): DiscordError | null {
    const tooLarge = checkFiles(files);
    if (tooLarge) return tooLarge;
    const problems = messageProblems(body, files, prefix);
    return problems.length > 0 ? invalidFormBody(problems) : null;
  }

  private editMessage(
    message: StoredMessage,
    body: Record<string, unknown> | null,
    files: Files,
    prefix: string[],
  ): Answer {
    const refused = this.checkMessage(body, files, prefix);
    if (refused) return refused;
    const after = this.applyEdit(message, body, files, false);
    if (isEmptyMessage(after, 0)) return ERRORS.emptyMessage;
    this.messages.set(message.id, after);
    return { status: 200, json: after };
  }

  private callback(
    id: string,
    token: string,
    body: Record<string, unknown> | null,
    files: Files,
    entry: LoggedRequest,
  ): Answer {
    const state = this.interactions.get(token);
    if (!state || state.id !== id) return ERRORS.unknownInteraction;
    const age = this.clock.now() - state.sentAt;
    if (age > LIMITS.interactionTokenMs) return ERRORS.unknownInteraction;
    if (state.acknowledged) return ERRORS.alreadyAcknowledged;
    // "If the 3 second deadline is exceeded, the token will be invalidated" (interactions/receiving-and-responding.mdx).
    if (age > LIMITS.initialResponseMs) return ERRORS.unknownInteraction;
    const type = Number(body?.type);
    const data = (body?.data ?? null) as Record<string, unknown> | null;
    if (type === 9) {
      const problems = modalProblems(data);
      if (problems.length > 0) return invalidFormBody(problems);
    } else if (type === 4 || type === 7) {
      const refused = this.checkMessage(data, files, ['data']);
      if (refused) return refused;
      if (type === 4 && isEmptyMessage(data ?? {}, files.length)) return ERRORS.emptyMessage;
    } else if (type !== 5 && type !== 6) {
      return invalidFormBody([
        { path: ['type'], code: 'BASE_TYPE_CHOICES', message: `Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.` },
      ]);
    }
    if (type === 4 || type === 5) {
      // A deferred response (5) shows as a message "thinking" until @original is edited.
      const message = this.botMessage(state.channelId, type === 4 ? data : { content: '' }, files);
      state.original = message.id;
      entry.messageId = message.id;
    }
    if (type === 7) {
      const target = state.messageId ? this.messages.get(state.messageId) : undefined;
      if (target) this.messages.set(target.id, this.applyEdit(target, data, files, false));
    }
    state.acknowledged = true;
    return { status: 204 };
  }

  private webhook(
    method: string,
    appId: string,
    token: string,
    messageId: string | undefined,
    body: Record<string, unknown> | null,
    files: Files,
    url: URL,
  ): Answer {
    if (appId !== this.applicationId) return ERRORS.unknownWebhook;
    const state = this.interactions.get(token);
    // "Interaction tokens are valid for 15 minutes" (interactions/receiving-and-responding.mdx).
    if (!state || this.clock.now() - state.sentAt > LIMITS.interactionTokenMs) return ERRORS.invalidWebhookToken;
    if (messageId === undefined) {
      if (method !== 'POST') return { status: 405, body: { code: 0, message: '405: Method Not Allowed' } };
      const refused = this.checkMessage(body, files, []);
      if (refused) return refused;
      if (isEmptyMessage(body ?? {}, files.length)) return ERRORS.emptyMessage;
      const message = this.botMessage(state.channelId, body, files);
      state.followUps.push(message.id);
      // Without ?wait=true a webhook answers 204 with no message.
      return url.searchParams.get('wait') === 'true' ? { status: 200, json: message } : { status: 204 };
    }
    const id = messageId === '@original' ? state.original : state.followUps.includes(messageId) ? messageId : null;
    const message = id ? this.messages.get(id) : undefined;
    if (!message) return ERRORS.unknownMessage;
    if (method === 'GET') return { status: 200, json: message };
    if (method === 'DELETE') {
      this.messages.delete(message.id);
      return { status: 204 };
    }
    if (method === 'PATCH') return this.editMessage(message, body, files, []);
    return { status: 405, body: { code: 0, message: '405: Method Not Allowed' } };
  }

  private botMessage(channelId: string, body: Record<string, unknown> | null, files: Files): StoredMessage {
    const channel = this.channelState.get(channelId);
    const message = this.newMessage(
      channelId,
      this.bot,
      String(body?.content ?? ''),
      channel?.type === 0 ? this.guildId : undefined,
    );
    const created = this.applyEdit(message, body, files, true);
    this.messages.set(created.id, created);
    return created;
  }

  /** The message as it is after `body` (not stored: the caller stores it once it passed the checks). */
  private applyEdit(
    message: StoredMessage,
    body: Record<string, unknown> | null,
    files: Files,
    creating: boolean,
  ): StoredMessage {
    return {
      ...message,
      ...(body && 'content' in body ? { content: String(body.content ?? '') } : {}),
      ...(body && 'components' in body ? { components: body.components as StoredMessage['components'] } : {}),
      ...(body && 'embeds' in body ? { embeds: body.embeds as StoredMessage['embeds'] } : {}),
      ...(body && 'message_reference' in body
        ? { message_reference: body.message_reference as StoredMessage['message_reference'] }
        : {}),
      // resources/message.mdx (Edit Message): the attachments listed are kept, new files added; others are removed.
      ...(body && 'attachments' in body
        ? { attachments: files.map((f) => this.upload(f.name, f.data)) as unknown as StoredMessage['attachments'] }
        : {}),
      edited_timestamp: creating ? null : new Date(this.clock.now()).toISOString(),
    };
  }
}

async function parseBody(
  req: IncomingMessage,
  raw: Buffer,
): Promise<{ body: Record<string, unknown> | null; files: Files }> {
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: null, files: [] };
  if (type.startsWith('application/json'))
    return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, files: [] };
  if (type.startsWith('multipart/form-data')) {
    // undici (Node's fetch) parses multipart for us.
    const form = await new Request('http://127.0.0.1/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(raw),
    }).formData();
    const files: Files = [];
    let body: Record<string, unknown> | null = null;
    for (const [key, value] of form.entries()) {
      if (key === 'payload_json') body = JSON.parse(String(value)) as Record<string, unknown>;
      else if (typeof value !== 'string')
        files.push({ name: value.name, data: Buffer.from(await value.arrayBuffer()) });
    }
    return { body, files };
  }
  return { body: null, files: [] };
}
