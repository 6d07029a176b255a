// The HTTP API: runs (POST /api/runs, GET /api/runs/:id, POST /api/runs/:id/cancel), feed tickets
// (POST /api/feed-tickets), and the status table (/healthz, /metrics). The admin token sees everything;
// an API token sees only the runs it started. A run is found and cancelled wherever it runs in the fleet
// (fleet/: through Redis when the store is Redis), so any process behind a load balancer answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { HttpConfig } from '../config.js';
import type { FairRunner, Optimize, RunRequest } from '../runner/index.js';
import type { Auth, Principal } from './auth.js';
import type { FeedStats } from './feed.js';
import { HttpError, json, readJson } from './http.js';
import type { Fleet } from './fleet/index.js';
import type { RunView } from './hub.js';
import { refusalResponse } from './refusals.js';

export interface ApiDeps {
  auth: Auth;
  fair: FairRunner;
  fleet: Fleet;
  metrics: Registry;
  /** The feed's own figures, shown beside the runner's in /healthz. */
  feedStats(): FeedStats;
}

const RUN_PATH = /^\/api\/runs\/([0-9a-f-]{36})(\/cancel)?$/;

export class Api {
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

  private async health(res: ServerResponse): Promise<void> {
    const { fair, feedStats, fleet } = this.deps;
    const backend = fair.runner.health();
    const feed = feedStats();
    // Redis away does not make this process unhealthy (it still runs and serves its own runs); it says so.
    const status = fleet.status();
    const processes = await fleet.processes();
    json(res, backend.ok ? 200 : 503, {
      ok: backend.ok,
      backend: backend.name,
      detail: backend.detail,
      ...fair.runner.stats(),
      feedClients: feed.clients,
      feedDropped: feed.dropped,
      fleet: { ...status, process: fleet.self.id, processes: processes.length },
    });
  }

  private async metrics(res: ServerResponse): Promise<void> {
    const { metrics } = this.deps;
    res.writeHead(200, { 'Content-Type': metrics.contentType });
    res.end(await metrics.metrics());
  }

  private async ticket(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = this.principal(req);
    if (p.kind !== 'admin') throw new HttpError(403, 'the feed is for the admin token only');
    json(res, 200, await this.deps.auth.issueTicket());
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
    json(res, 202, { id: submitted.handle.id, state: 'queued' }, { Location: `/api/runs/${submitted.handle.id}` });
  }

  private async run(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    id: string,
    cancel: boolean,
  ): Promise<void> {
    const p = this.principal(req);
    if (!(method === 'GET' && !cancel) && !(method === 'POST' && cancel))
      throw new HttpError(405, 'method not allowed');
    const { fleet } = this.deps;
    const run = await fleet.findRun(id);
    // An API token sees only its own runs (the principal is the run's `api` label); anything else is
    // "not found", not "forbidden".
    if (!run || !maySee(p, run)) throw new HttpError(404, 'no such run');
    if (!cancel) return json(res, 200, runBody(p, run));
    const c = await fleet.cancel(id);
    switch (c.outcome) {
      case 'cancelled':
        return json(res, 200, runBody(p, c.run));
      case 'ended':
        return json(res, 409, {
          error: `the run has already ended (${c.run.summary.state === 'interrupted' ? 'interrupted: its process stopped' : (c.run.summary.status ?? 'done')})`,
          ...runBody(p, c.run),
        });
      case 'sent':
        // Its process has the cancel but did not confirm in time; GET tells the end.
        return json(res, 202, {
          id,
          state: c.summary.state,
          status: c.summary.status,
          detail: 'cancel sent to its process',
        });
      case 'unknown':
        throw new HttpError(404, 'no such run');
    }
  }

  private principal(req: IncomingMessage): Principal {
    const { auth } = this.deps;
    if (!auth.enabled) throw new HttpError(503, 'the API is off: set ADMIN_TOKEN');
    const p = auth.fromHeader(req.headers.authorization);
    if (!p) throw new HttpError(401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
    return p;
  }
}

function maySee(p: Principal, run: RunView): boolean {
  return p.kind === 'admin' || run.summary.labels.api === p.name;
}

/** A run as the API shows it: the admin sees code, output, labels and which process holds it. */
function runBody(p: Principal, run: RunView): Record<string, unknown> {
  const { summary } = run;
  return {
    id: summary.id,
    state: summary.state,
    status: summary.status,
    result: run.result,
    ...(p.kind === 'admin'
      ? { code: summary.code, output: run.output, labels: summary.labels, process: summary.process }
      : {}),
  };
}

function nameOf(p: Principal): string {
  return p.kind === 'admin' ? 'admin' : p.name;
}
