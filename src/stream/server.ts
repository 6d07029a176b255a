// The one HTTP server (HOST:PORT): listens, serves the dashboard's static files, and routes the rest to
// the API (api.ts: runs, feed tickets, /healthz, /metrics) and the feed (feed.ts: the /feed WebSocket).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { HttpConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { FairRunner } from '../runner/index.js';
import { Api } from './api.js';
import { Auth } from './auth.js';
import { Feed } from './feed.js';
import { HttpError, json } from './http.js';
import type { Fleet } from './fleet/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const adminPage = { file: join(here, 'admin', 'index.html'), type: 'text/html; charset=utf-8' };
// The dashboard's script imports only types from protocol.ts, so the browser never asks for it.
const STATIC: Record<string, { file: string; type: string }> = {
  '/admin': adminPage,
  '/admin/': adminPage,
  '/admin/style.css': { file: join(here, 'admin', 'style.css'), type: 'text/css; charset=utf-8' },
  '/admin/app.js': { file: join(here, 'admin', 'app.js'), type: 'text/javascript; charset=utf-8' },
};
const STATIC_HEADERS = {
  // The dashboard shows untrusted code and output: no inline script, nothing from elsewhere.
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

export interface HttpService {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startHttp(
  config: HttpConfig,
  deps: { fair: FairRunner; fleet: Fleet; metrics: Registry; log: Logger },
): Promise<HttpService> {
  const { fair, fleet, metrics, log } = deps;
  const auth = new Auth(config.adminToken, config.apiTokens, Date.now, fleet.sharedTickets());
  const feed = new Feed(config, auth, fleet, log);
  const api = new Api(config, { auth, fair, fleet, metrics, feedStats: () => feed.stats() });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const asset = method === 'GET' ? STATIC[path] : undefined;
    if (asset) {
      res.writeHead(200, { 'Content-Type': asset.type, ...STATIC_HEADERS });
      res.end(await readFile(asset.file));
      return;
    }
    const handler = api.route(method, path);
    if (!handler) throw new HttpError(404, 'not found');
    await handler(req, res);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return json(res, err.status, { error: err.message }, err.headers);
      log.error('http handler failed', { err: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    feed.upgrade(req, socket, head).catch((err: unknown) => {
      log.error('feed upgrade failed', { err: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    });
  });

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
      feed.close();
      server.closeIdleConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
