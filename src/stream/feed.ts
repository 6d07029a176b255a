// The admin feed (/feed, WebSocket): who may open it (checked before the upgrade completes), a snapshot
// then every hub message to each client, heartbeats, and a cap on what a client may leave unread. A
// client is closed with the code that says why (protocol.ts FEED_CLOSE), so it knows whether to retry.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HttpConfig } from '../config.js';
import type { Auth } from './auth.js';
import type { RunHub } from './hub.js';
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
  /** Whether each client answered the last ping. */
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly dropped = { slowConsumer: 0, heartbeat: 0 };
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly config: FeedConfig,
    private readonly auth: Auth,
    private readonly hub: RunHub,
  ) {
    this.unsubscribe = hub.subscribe((m) => this.sendAll(m));
    this.heartbeat = setInterval(() => this.beat(), config.feedHeartbeatMs);
    this.heartbeat.unref();
  }

  stats(): FeedStats {
    return { clients: this.clients.size, dropped: { ...this.dropped } };
  }

  /** An HTTP upgrade to /feed: refused with a plain HTTP status, or taken on as a client. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/feed') return refuse(socket, 404, 'Not Found');
    // Authenticated before the upgrade completes: nothing of the feed reaches an unauthenticated peer.
    const { auth } = this;
    const admin =
      auth.enabled &&
      (auth.fromHeader(req.headers.authorization)?.kind === 'admin' ||
        auth.redeemTicket(url.searchParams.get('ticket')));
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws));
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const ws of this.clients) ws.close(FEED_CLOSE.shuttingDown, 'shutting down');
    this.wss.close();
  }

  private add(ws: WebSocket): void {
    this.clients.add(ws);
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', () => this.clients.delete(ws));
    ws.on('message', () => undefined); // the feed is one-way; commands go through the API
    this.send(ws, JSON.stringify(this.hub.snapshot()));
  }

  /** One serialization per message for every client. */
  private sendAll(message: FeedMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.clients) this.send(ws, text);
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

function refuse(socket: Socket, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}
