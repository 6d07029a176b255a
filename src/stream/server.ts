// The one HTTP server (HOST:PORT): the admin feed (/feed, WebSocket), the dashboard (/admin), the HTTP
// API (/api/runs), /healthz and /metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HttpConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { FairRunner } from '../runner/index.js';
import { Auth, type Principal } from './auth.js';
import type { RunHub } from './hub.js';
import { FEED_CLOSE, type FeedMessage } from './protocol.js';
import { refusalResponse } from './refusals.js';

const here = dirname(fileURLToPath(import.meta.url));
const STATIC: Record<string, { file: string; type: string }> = {
  '/admin': { file: join(here, 'admin', 'index.html'), type: 'text/html; charset=utf-8' },
  '/admin/': { file: join(here, 'admin', 'index.html'), type: 'text/html; charset=utf-8' },
  '/admin/style.css': { file: join(here, 'admin', 'style.css'), type: 'text/css; charset=utf-8' },
  '/admin/app.js': { file: join(here, 'admin', 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/protocol.js': { file: join(here, 'protocol.js'), type: 'text/javascript; charset=utf-8' },
};

export interface HttpService {
  server: Server;
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export async function startHttp(config: HttpConfig, deps: { fair: FairRunner; hub: RunHub; metrics: Registry; log: Logger }): Promise<HttpService> {
  const { fair, hub, metrics, log } = deps;
  const auth = new Auth(config.adminToken, config.apiTokens);
  const owners = new Map<string, string>(); // run id → principal name, for API tokens' own runs
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Set<WebSocket>();
  const dropped = { slowConsumer: 0, heartbeat: 0 };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };

  const principal = (req: IncomingMessage): Principal => {
    if (!auth.enabled) throw new HttpError(503, 'the API is off: set ADMIN_TOKEN');
    const p = auth.fromHeader(req.headers.authorization);
    if (!p) throw new HttpError(401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
    return p;
  };
  const nameOf = (p: Principal): string => (p.kind === 'admin' ? 'admin' : p.name);

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send JSON (Content-Type: application/json)');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.maxBodyBytes) throw new HttpError(413, `the body is over ${config.maxBodyBytes} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > config.maxBodyBytes) throw new HttpError(413, `the body is over ${config.maxBodyBytes} bytes`);
      chunks.push(chunk as Buffer);
    }
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
    } catch {
      throw new HttpError(400, 'the body is not valid JSON');
    }
  };

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && path === '/healthz') {
      const stats = fair.runner.stats();
      const backend = fair.runner.health();
      return json(res, backend.ok ? 200 : 503, { ok: backend.ok, backend: backend.name, detail: backend.detail, ...stats, feedClients: clients.size, feedDropped: dropped });
    }
    if (method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'Content-Type': metrics.contentType });
      res.end(await metrics.metrics());
      return;
    }
    const asset = method === 'GET' ? STATIC[path] : undefined;
    if (asset) {
      res.writeHead(200, {
        'Content-Type': asset.type,
        // The dashboard shows untrusted code and output: no inline script, nothing from elsewhere.
        'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-cache',
      });
      res.end(await readFile(asset.file));
      return;
    }
    if (method === 'POST' && path === '/api/feed-tickets') {
      const p = principal(req);
      if (p.kind !== 'admin') throw new HttpError(403, 'the feed is for the admin token only');
      return json(res, 200, auth.issueTicket());
    }
    if (method === 'POST' && path === '/api/runs') {
      const p = principal(req);
      const body = await readJson(req);
      const b = body as { code?: unknown; stdin?: unknown };
      if (typeof body !== 'object' || body === null || typeof b.code !== 'string' || (b.stdin !== undefined && typeof b.stdin !== 'string')) {
        throw new HttpError(400, 'expected {"code": string, "stdin"?: string}');
      }
      const submitted = await fair.submit({ source: b.code, stdin: b.stdin ?? '', labels: { api: nameOf(p) } }, { user: nameOf(p), guild: null });
      if (!submitted.ok) {
        const refused = refusalResponse(submitted);
        return json(res, refused.status, refused.body, refused.headers);
      }
      owners.set(submitted.handle.id, nameOf(p));
      if (owners.size > 10_000) owners.delete(owners.keys().next().value as string);
      return json(res, 202, { id: submitted.handle.id, state: 'queued' }, { Location: `/api/runs/${submitted.handle.id}` });
    }
    const runPath = /^\/api\/runs\/([0-9a-f-]{36})(\/cancel)?$/.exec(path);
    if (runPath) {
      const p = principal(req);
      const id = runPath[1] as string;
      const run = hub.get(id);
      // An API token sees only its own runs; anything else is "not found", not "forbidden".
      if (!run || (p.kind === 'api' && owners.get(id) !== p.name)) throw new HttpError(404, 'no such run');
      if (method === 'GET' && !runPath[2]) {
        return json(res, 200, { id, state: run.summary.state, status: run.summary.status, result: run.result, ...(p.kind === 'admin' ? { code: run.summary.code, output: run.output, labels: run.summary.labels } : {}) });
      }
      if (method === 'POST' && runPath[2]) {
        hub.cancel(id);
        return json(res, 202, { id, state: run.summary.state });
      }
      throw new HttpError(405, 'method not allowed');
    }
    throw new HttpError(404, 'not found');
  };

  const server = createServer((req, res) => {
    routes(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return json(res, err.status, { error: err.message }, err.headers);
      log.error('http handler failed', { err: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  });

  // ---- the feed --------------------------------------------------------------------------------
  const refuse = (socket: Socket, status: number, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  };
  server.on('upgrade', (req, socket: Socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/feed') return refuse(socket, 404, 'Not Found');
    // Authenticated before the upgrade completes: nothing of the feed reaches an unauthenticated peer.
    const admin = auth.enabled && (auth.fromHeader(req.headers.authorization)?.kind === 'admin' || auth.redeemTicket(url.searchParams.get('ticket')));
    if (!admin) return refuse(socket, 401, 'Unauthorized');
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}` && !config.allowedOrigins.includes(origin)) {
      return refuse(socket, 403, 'Forbidden');
    }
    if (clients.size >= config.feedMaxClients) return refuse(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => onClient(ws));
  });

  // One serialization per message for every client.
  const sendAll = (message: FeedMessage): void => {
    const text = JSON.stringify(message);
    for (const ws of clients) send(ws, text);
  };
  const send = (ws: WebSocket, text: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > config.feedMaxBufferBytes) {
      // A slow reader is dropped rather than buffered without bound; the others never wait for it.
      clients.delete(ws);
      dropped.slowConsumer += 1;
      ws.close(FEED_CLOSE.slowConsumer, 'too slow');
      setTimeout(() => ws.terminate(), 1000).unref();
      return;
    }
    ws.send(text);
  };
  const unsubscribe = hub.subscribe(sendAll);

  const alive = new WeakMap<WebSocket, boolean>();
  const onClient = (ws: WebSocket): void => {
    clients.add(ws);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', () => undefined); // the feed is one-way; commands go through the API
    send(ws, JSON.stringify(hub.snapshot()));
  };
  const heartbeat = setInterval(() => {
    for (const ws of clients) {
      if (!alive.get(ws)) {
        clients.delete(ws);
        dropped.heartbeat += 1;
        ws.terminate(); // it did not answer the last ping
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, config.feedHeartbeatMs);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;
  log.info('http server listening', { url, feed: auth.enabled ? 'on' : 'off (ADMIN_TOKEN not set)' });

  return {
    server,
    url,
    close: async () => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const ws of clients) ws.close(FEED_CLOSE.shuttingDown, 'shutting down');
      server.closeIdleConnections();
      await new Promise<void>((r) => server.close(() => r()));
      wss.close();
    },
  };
}
