// The admin feed (/feed, WebSocket): who may open it (checked before the upgrade completes), a snapshot
// of the fleet (or, for a client that says `?since=<seq>` still in the log, what it missed) then every
// event of every process, heartbeats, and a cap on what a client may leave unread. A client is closed
// with the code that says why (protocol.ts FEED_CLOSE), so it knows whether to retry.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HttpConfig } from '../config.js';
import type { Auth } from './auth.js';
import type { Logger } from '../log.js';
import type { Fleet } from './fleet/index.js';
import { compareSeq, isSeq } from './fleet/seq.js';
import { FEED_CLOSE, type FeedMessage } from './protocol.js';

export type FeedConfig = Pick<
  HttpConfig,
  'allowedOrigins' | 'feedMaxClients' | 'feedHeartbeatMs' | 'feedMaxBufferBytes'
>;

export interface FeedStats {
  clients: number;
  /** Clients the feed closed, by why. */
  dropped: { slowConsumer: number; heartbeat: number };
}

/** How long a closed client has to finish the closing handshake before its socket is cut. */
const CLOSE_GRACE_MS = 1000;

export class Feed {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Set<WebSocket>();
  /**
   * Clients still being given their snapshot or replay: the live events that arrive meanwhile wait
   * here, so nothing falls between the snapshot and the live stream.
   */
  private readonly starting = new Map<WebSocket, FeedMessage[]>();
  /** Whether each client answered the last ping. */
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly dropped = { slowConsumer: 0, heartbeat: 0 };
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly config: FeedConfig,
    private readonly auth: Auth,
    private readonly fleet: Fleet,
    private readonly log: Logger,
  ) {
    this.unsubscribe = fleet.subscribe((m) => {
      this.sendAll(m);
      // The fleet's link changed: told why, every client starts again from a snapshot of what is now visible.
      if (m.type === 'fleet.status') this.resyncAll();
    });
    this.heartbeat = setInterval(() => this.beat(), config.feedHeartbeatMs);
    this.heartbeat.unref();
  }

  stats(): FeedStats {
    return { clients: this.clients.size, dropped: { ...this.dropped } };
  }

  /** An HTTP upgrade to /feed: refused with a plain HTTP status, or taken on as a client. */
  async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/feed') return refuse(socket, 404, 'Not Found');
    // Authenticated before the upgrade completes: nothing of the feed reaches an unauthenticated peer.
    const { auth } = this;
    const admin =
      auth.enabled &&
      (auth.fromHeader(req.headers.authorization)?.kind === 'admin' ||
        (await auth.redeemTicket(url.searchParams.get('ticket'))));
    if (!admin) return refuse(socket, 401, 'Unauthorized');
    const origin = req.headers.origin;
    if (
      origin &&
      origin !== `http://${req.headers.host}` &&
      origin !== `https://${req.headers.host}` &&
      !this.config.allowedOrigins.includes(origin)
    ) {
      return refuse(socket, 403, 'Forbidden');
    }
    if (this.clients.size >= this.config.feedMaxClients) return refuse(socket, 503, 'Service Unavailable');
    const since = url.searchParams.get('since');
    if (since !== null && !isSeq(since)) return refuse(socket, 400, 'Bad Request: since is not a feed position');
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.add(ws, since));
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const ws of this.clients) ws.close(FEED_CLOSE.shuttingDown, 'shutting down');
    this.wss.close();
  }

  private async add(ws: WebSocket, since: string | null): Promise<void> {
    this.clients.add(ws);
    this.starting.set(ws, []);
    this.alive.set(ws, true);
    const gone = (): void => {
      this.clients.delete(ws);
      this.starting.delete(ws);
    };
    ws.on('pong', () => this.alive.set(ws, true));
    ws.on('close', gone);
    ws.on('error', gone);
    ws.on('message', () => undefined); // the feed is one-way; commands go through the API
    try {
      const missed = since === null ? null : await this.fleet.replay(since);
      let from: string | null;
      if (missed) {
        for (const m of missed) this.send(ws, JSON.stringify({ ...m, replay: true }));
        from = seqOf(missed.at(-1)) ?? since;
      } else {
        const snapshot = await this.fleet.snapshot();
        this.send(ws, JSON.stringify(snapshot));
        from = snapshot.seq;
      }
      // Live events that came while it was being served, without those it has already had.
      for (const m of this.starting.get(ws) ?? []) {
        const seq = seqOf(m);
        if (seq !== null && from !== null && compareSeq(seq, from) <= 0) continue;
        this.send(ws, JSON.stringify(m));
      }
    } catch (err) {
      this.log.error('feed: could not start a client', { err: err instanceof Error ? err.message : String(err) });
      ws.close(1011, 'internal error');
    } finally {
      this.starting.delete(ws);
    }
  }

  /** One serialization per message for every client (a starting client gets it once it has its start). */
  private sendAll(message: FeedMessage): void {
    let text: string | null = null;
    for (const ws of this.clients) {
      const pending = this.starting.get(ws);
      if (pending) pending.push(message);
      else this.send(ws, (text ??= JSON.stringify(message)));
    }
  }

  private resyncAll(): void {
    for (const ws of [...this.clients]) {
      this.clients.delete(ws);
      this.starting.delete(ws);
      ws.close(FEED_CLOSE.resync, 'fleet changed: reconnect for a fresh snapshot');
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  private send(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.config.feedMaxBufferBytes) {
      // A slow reader is dropped rather than buffered without bound; the others never wait for it.
      this.dismiss(ws, 'slowConsumer', FEED_CLOSE.slowConsumer, 'too slow');
      return;
    }
    ws.send(text);
  }

  private beat(): void {
    for (const ws of this.clients) {
      if (!this.alive.get(ws)) {
        // It did not answer the last ping: told why (a peer that still reads learns to reconnect), then cut.
        this.dismiss(ws, 'heartbeat', FEED_CLOSE.heartbeatTimeout, 'no pong');
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }

  /** Closes a client with the code that says why, and cuts its socket if it does not finish closing soon. */
  private dismiss(ws: WebSocket, why: keyof FeedStats['dropped'], code: number, reason: string): void {
    this.clients.delete(ws);
    this.dropped[why] += 1;
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

function seqOf(m: FeedMessage | undefined): string | null {
  return m && 'seq' in m && typeof m.seq === 'string' ? m.seq : null;
}

function refuse(socket: Socket, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}
