// The one HTTP server (HOST:PORT): listens, serves the dashboard's static files, and routes the rest to
// the API (api.ts: runs, feed tickets, /healthz, /metrics) and the feed (feed.ts: the /feed WebSocket).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { HttpConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { FairRunner } from '../runner/index.js';
import { adminFiles, serveAdminFile } from './adminFiles.js';
import { Api } from './api.js';
import { Auth } from './auth.js';
import { Feed } from './feed.js';
import { HttpError, json } from './http.js';
import type { Fleet } from './fleet/index.js';

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
  const files = adminFiles();

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (await serveAdminFile(files, method, path, res)) return;
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
