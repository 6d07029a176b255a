// The HTTP API: runs (POST /api/runs, GET /api/runs/:id, POST /api/runs/:id/cancel), feed tickets
// (POST /api/feed-tickets), and the status table (/healthz, /metrics). The admin token sees everything;
// an API token sees only the runs it started.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { HttpConfig } from '../config.js';
import type { FairRunner, Optimize, RunRequest } from '../runner/index.js';
import type { Auth, Principal } from './auth.js';
import type { FeedStats } from './feed.js';
import { HttpError, json, readJson } from './http.js';
import type { RunHub } from './hub.js';
import { refusalResponse } from './refusals.js';

export interface ApiDeps {
  auth: Auth;
  fair: FairRunner;
  hub: RunHub;
  metrics: Registry;
  /** The feed's own figures, shown beside the runner's in /healthz. */
  feedStats(): FeedStats;
}

/** Run ids remembered per owner at most; the oldest is forgotten first (its owner then gets 404). */
const OWNERS_MAX = 10_000;
const RUN_PATH = /^\/api\/runs\/([0-9a-f-]{36})(\/cancel)?$/;

export class Api {
  /** run id → the principal that started it, so an API token finds only its own runs. */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly config: Pick<HttpConfig, 'maxBodyBytes'>,
    private readonly deps: ApiDeps,
  ) {}

  /** The API's handler for this request, or null when the path is not one of its own. */
  route(method: string, path: string): ((req: IncomingMessage, res: ServerResponse) => void | Promise<void>) | null {
    if (method === 'GET' && path === '/healthz') return (_req, res) => this.health(res);
    if (method === 'GET' && path === '/metrics') return (_req, res) => this.metrics(res);
    if (method === 'POST' && path === '/api/feed-tickets') return (req, res) => this.ticket(req, res);
    if (method === 'POST' && path === '/api/runs') return (req, res) => this.submit(req, res);
    const runPath = RUN_PATH.exec(path);
    if (runPath) return (req, res) => this.run(req, res, method, runPath[1] as string, Boolean(runPath[2]));
    return null;
  }

  private health(res: ServerResponse): void {
    const { fair, feedStats } = this.deps;
    const backend = fair.runner.health();
    const feed = feedStats();
    json(res, backend.ok ? 200 : 503, {
      ok: backend.ok,
      backend: backend.name,
      detail: backend.detail,
      ...fair.runner.stats(),
      feedClients: feed.clients,
      feedDropped: feed.dropped,
    });
  }

  private async metrics(res: ServerResponse): Promise<void> {
    const { metrics } = this.deps;
    res.writeHead(200, { 'Content-Type': metrics.contentType });
    res.end(await metrics.metrics());
  }

  private ticket(req: IncomingMessage, res: ServerResponse): void {
    const p = this.principal(req);
    if (p.kind !== 'admin') throw new HttpError(403, 'the feed is for the admin token only');
    json(res, 200, this.deps.auth.issueTicket());
  }

  private async submit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = this.principal(req);
    const body = await readJson(req, this.config.maxBodyBytes);
    const b = body as {
      code?: unknown;
      stdin?: unknown;
      view?: unknown;
      methods?: unknown;
      optimize?: unknown;
      langVersion?: unknown;
    };
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof b.code !== 'string' ||
      (b.stdin !== undefined && typeof b.stdin !== 'string') ||
      (b.view !== undefined && typeof b.view !== 'string') ||
      (b.methods !== undefined && typeof b.methods !== 'string')
    ) {
      throw new HttpError(400, 'expected {"code": string, "stdin"?: string, "view"?: string, "methods"?: string}');
    }
    const name = nameOf(p);
    const submitted = await this.deps.fair.submit(
      {
        source: b.code,
        stdin: b.stdin ?? '',
        labels: { api: name },
        // Which views exist is the runner's to say: an unknown name comes back as INVALID_INPUT (field view).
        ...(b.view === undefined ? {} : { view: b.view as RunRequest['view'] }),
        ...(b.methods === undefined ? {} : { methods: b.methods }),
        // Passed on as sent: the runner refuses a wrong one as INVALID_INPUT (400, with its field).
        ...(b.optimize === undefined ? {} : { optimize: b.optimize as Optimize }),
        ...(b.langVersion === undefined ? {} : { langVersion: b.langVersion as string }),
      },
      { user: name, guild: null },
    );
    if (!submitted.ok) {
      const refused = refusalResponse(submitted);
      return json(res, refused.status, refused.body, refused.headers);
    }
    this.owners.set(submitted.handle.id, name);
    if (this.owners.size > OWNERS_MAX) this.owners.delete(this.owners.keys().next().value as string);
    json(res, 202, { id: submitted.handle.id, state: 'queued' }, { Location: `/api/runs/${submitted.handle.id}` });
  }

  private run(req: IncomingMessage, res: ServerResponse, method: string, id: string, cancel: boolean): void {
    const p = this.principal(req);
    const { hub } = this.deps;
    const run = hub.get(id);
    // An API token sees only its own runs; anything else is "not found", not "forbidden".
    if (!run || (p.kind === 'api' && this.owners.get(id) !== p.name)) throw new HttpError(404, 'no such run');
    if (method === 'GET' && !cancel) {
      const { summary } = run;
      return json(res, 200, {
        id,
        state: summary.state,
        status: summary.status,
        result: run.result,
        ...(p.kind === 'admin' ? { code: summary.code, output: run.output, labels: summary.labels } : {}),
      });
    }
    if (method === 'POST' && cancel) {
      hub.cancel(id);
      return json(res, 202, { id, state: run.summary.state });
    }
    throw new HttpError(405, 'method not allowed');
  }

  private principal(req: IncomingMessage): Principal {
    const { auth } = this.deps;
    if (!auth.enabled) throw new HttpError(503, 'the API is off: set ADMIN_TOKEN');
    const p = auth.fromHeader(req.headers.authorization);
    if (!p) throw new HttpError(401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
    return p;
  }
}

function nameOf(p: Principal): string {
  return p.kind === 'admin' ? 'admin' : p.name;
}
