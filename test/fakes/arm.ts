// A fake Azure Resource Manager for Container Instances on 127.0.0.1: the REST routes the real
// @azure/arm-containerinstance client calls, with ARM's long-running-operation protocol (201 +
// Azure-AsyncOperation, Pending → Succeeded or Failed), CloudError bodies, and a container that really
// runs: the group's entry script (container/entry.sh) is executed on this machine, as an unprivileged
// user, with the group's environment, so it downloads from Azurite through the SAS URL, runs the code
// through the runner host and uploads its result. See shared/research/azure.md §1.3–1.5 and §7.
//
// The "container" runs as an unprivileged user, which may not be able to read the checkout (a folder
// only root can enter, a umask-077 build). So the fake builds its "image" first, as the Dockerfile
// does: the entry script and the runner host staged into a root-owned, world-readable temp dir
// (/sharpbox/entry.sh and /sharpbox/host in the real image), with the staging the local backend uses
// for its own sandbox, and removed on stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstUnsearchable, stageFile, stageTree } from '../../src/runner/backends/local/stage.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const LOG_CAP = 16 * 1024; // ACI keeps at most 16 KB of a stopped container's logs
/** The "container" user (nobody): unprivileged, as the image's own user is. */
const CONTAINER_ID = 65534;

interface Group {
  name: string;
  body: Record<string, unknown>;
  provisioningState: 'Pending' | 'Creating' | 'Succeeded' | 'Failed';
  container: { state: 'Waiting' | 'Running' | 'Terminated'; exitCode?: number; startTime?: string; finishTime?: string };
  logs: string;
  process: ChildProcess | null;
  timer: NodeJS.Timeout | null;
  opPolls: number;
  span: { created: number; exited: number };
}

export interface ArmScenario {
  /** Answer this many creates with 429 + Retry-After first. */
  throttleCreates?: number;
  /** The create's long-running operation ends Failed. */
  lroFails?: boolean;
  /** The container never starts (stays Waiting). */
  neverStarts?: boolean;
  /** Answer this many GETs of a new group with 404 first. */
  notFoundAfterCreate?: number;
  /** Container start-up time (image pull and boot), in ms. */
  startupDelayMs?: number;
  /** A DELETE answers only after this long (the group stays visible meanwhile), in ms. */
  deleteDelayMs?: number;
}

export interface FakeArmOptions {
  /** Where the image's files come from: a directory with entry.sh and bin/host (the checkout's container/ by default). */
  containerDir?: string;
}

export class FakeArm {
  readonly groups = new Map<string, Group>();
  readonly log: { method: string; path: string; status: number; body?: Record<string, unknown> }[] = [];
  scenario: ArmScenario = {};
  private server!: Server;
  port = 0;
  private notFoundLeft = new Map<string, number>();

  private constructor(private readonly image: string) {}

  static async start(options: FakeArmOptions = {}): Promise<FakeArm> {
    const image = await stageContainerImage(options.containerDir ?? join(root, 'container'));
    try {
      const arm = new FakeArm(image);
      arm.server = createServer((req, res) => void arm.handle(req, res));
      await new Promise<void>((r) => arm.server.listen(0, '127.0.0.1', r));
      arm.port = (arm.server.address() as AddressInfo).port;
      return arm;
    } catch (err) {
      await rm(image, { recursive: true, force: true });
      throw err;
    }
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    try {
      for (const g of this.groups.values()) this.halt(g);
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server.close(() => r()));
    } finally {
      await rm(this.image, { recursive: true, force: true });
    }
  }

  private spans: { created: number; exited: number }[] = [];

  /** The last container's own time, from its create request to its exit (start-up delay included). */
  containerSpanMs(): number {
    const last = this.spans.at(-1);
    return last ? last.exited - last.created : NaN;
  }

  /** The PUT bodies as the SDK sent them (with the secure values: the SAS URLs). */
  creates(): Record<string, unknown>[] {
    return this.log.filter((l) => l.method === 'PUT' && l.status < 300 && l.body).map((l) => l.body as Record<string, unknown>);
  }

  private groupPath(sub: string, rg: string, name: string): string {
    return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
  }

  private view(g: Group, sub: string, rg: string): Record<string, unknown> {
    const props = g.body.properties as Record<string, unknown>;
    const containers = (props.containers as { name: string; properties: Record<string, unknown> }[]).map((c) => ({
      name: c.name,
      properties: {
        ...c.properties,
        // ARM never echoes secure values.
        environmentVariables: ((c.properties.environmentVariables as { name: string; value?: string }[]) ?? []).map((e) => ('value' in e ? e : { name: e.name })),
        instanceView: { restartCount: 0, currentState: { state: g.container.state, exitCode: g.container.exitCode, startTime: g.container.startTime, finishTime: g.container.finishTime, detailStatus: '' }, events: [] },
      },
    }));
    const groupState = g.container.state === 'Terminated' ? (g.container.exitCode === 0 ? 'Succeeded' : 'Failed') : g.container.state === 'Running' ? 'Running' : 'Pending';
    return {
      id: this.groupPath(sub, rg, g.name),
      name: g.name,
      type: 'Microsoft.ContainerInstance/containerGroups',
      location: g.body.location,
      tags: g.body.tags,
      properties: { ...props, provisioningState: g.provisioningState, containers, instanceView: { state: groupState, events: [] } },
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.endpoint);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : undefined;
    const method = req.method ?? 'GET';
    const entry: FakeArm['log'][number] = { method, path: url.pathname, status: 0, ...(body ? { body } : {}) };
    this.log.push(entry);
    const reply = (status: number, json?: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    const notFound = (name: string) => reply(404, { error: { code: 'ResourceNotFound', message: `The Resource 'Microsoft.ContainerInstance/containerGroups/${name}' was not found.` } });

    let m: RegExpExecArray | null;
    if ((m = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/locations\/[^/]+\/operations\/([^/]+)$/.exec(url.pathname))) {
      const g = [...this.groups.values()].find((x) => x.body.__op === m?.[2]);
      if (!g) return reply(404, { error: { code: 'NotFound', message: 'no such operation' } });
      g.opPolls += 1;
      if (this.scenario.lroFails) {
        g.provisioningState = 'Failed';
        return reply(200, { id: m[2], status: 'Failed', error: { code: 'ContainerGroupDeploymentFailed', message: 'fake: the deployment failed' } });
      }
      if (g.opPolls < 2) return reply(200, { id: m[2], status: 'Pending', properties: { events: [] } });
      g.provisioningState = 'Succeeded';
      return reply(200, { id: m[2], status: 'Succeeded', properties: { events: [] } });
    }
    if ((m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups$/.exec(url.pathname)) && method === 'GET') {
      const [, sub, rg] = m as unknown as [string, string, string];
      return reply(200, { value: [...this.groups.values()].map((g) => { const v = this.view(g, sub, rg) as { properties: Record<string, unknown> }; delete v.properties.instanceView; return v; }) });
    }
    if ((m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups\/([^/]+)\/containers\/([^/]+)\/logs$/.exec(url.pathname))) {
      const g = this.groups.get(m[3] as string);
      return g ? reply(200, { content: g.logs.slice(-LOG_CAP) }) : notFound(m[3] as string);
    }
    if ((m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups\/([^/]+)$/.exec(url.pathname))) {
      const [, sub, rg, name] = m as unknown as [string, string, string, string];
      const g = this.groups.get(name);
      if (method === 'PUT') {
        if ((this.scenario.throttleCreates ?? 0) > 0) {
          this.scenario.throttleCreates = (this.scenario.throttleCreates ?? 0) - 1;
          return reply(429, { error: { code: 'TooManyRequests', message: 'fake: throttled' } }, { 'Retry-After': '0' });
        }
        const op = randomUUID();
        const span = { created: performance.now(), exited: NaN };
        this.spans.push(span);
        const group: Group = { name, body: { ...(body ?? {}), __op: op }, provisioningState: 'Pending', container: { state: 'Waiting' }, logs: '', process: null, timer: null, opPolls: 0, span };
        this.groups.set(name, group);
        this.notFoundLeft.set(name, this.scenario.notFoundAfterCreate ?? 0);
        if (!this.scenario.neverStarts && !this.scenario.lroFails) group.timer = setTimeout(() => this.run(group), this.scenario.startupDelayMs ?? 0);
        const { __op: _op, ...echo } = group.body;
        void _op;
        return reply(201, this.view({ ...group, body: echo }, sub, rg), { 'Azure-AsyncOperation': `${this.endpoint}/subscriptions/${sub}/providers/Microsoft.ContainerInstance/locations/${String(body?.location)}/operations/${op}?api-version=2018-06-01` });
      }
      if (method === 'GET') {
        const left = this.notFoundLeft.get(name) ?? 0;
        if (!g || left > 0) {
          this.notFoundLeft.set(name, Math.max(0, left - 1));
          return notFound(name);
        }
        return reply(200, this.view(g, sub, rg));
      }
      if (method === 'DELETE') {
        if (this.scenario.deleteDelayMs) await new Promise((r) => setTimeout(r, this.scenario.deleteDelayMs));
        if (!g) return reply(204);
        this.halt(g);
        this.groups.delete(name);
        return reply(200, this.view(g, sub, rg));
      }
    }
    reply(404, { error: { code: 'NoRoute', message: `fake ARM: no route for ${method} ${url.pathname}` } });
  }

  /** The container starts: run the image's entry script on this machine with the group's environment. */
  private run(g: Group): void {
    const container = (g.body.properties as { containers: { properties: { environmentVariables: { name: string; value?: string; secureValue?: string }[] } }[] }).containers[0];
    // The container's own /tmp (its HOME and TMPDIR): what it writes there goes with it, as a real
    // container's files do, instead of piling up in the host's /tmp.
    const scratch = mkdtempSync(join(this.image, 'tmp-'));
    chownSync(scratch, CONTAINER_ID, CONTAINER_ID);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', SHARPBOX_HOST_DLL: join(this.image, 'host', 'sharpbox-host.dll') };
    for (const e of container?.properties.environmentVariables ?? []) env[e.name] = e.value ?? e.secureValue ?? '';
    g.container = { state: 'Running', startTime: new Date().toISOString() };
    // As an unprivileged user: this "container" is the host, and RLIMIT_NPROC only binds non-root users.
    const child = spawn('setpriv', [`--reuid=${CONTAINER_ID}`, `--regid=${CONTAINER_ID}`, '--clear-groups', '--', join(this.image, 'entry.sh')], {
      env,
      // The image sets no WORKDIR; and the test's own directory may be closed to this user.
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    g.process = child;
    const collect = (d: Buffer) => (g.logs = (g.logs + d.toString()).slice(-4 * LOG_CAP));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('exit', (code, signal) => {
      void rm(scratch, { recursive: true, force: true });
      g.process = null;
      g.span.exited = performance.now();
      g.container = { ...g.container, state: 'Terminated', exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), finishTime: new Date().toISOString() };
    });
  }

  private halt(g: Group): void {
    if (g.timer) clearTimeout(g.timer);
    if (g.process?.pid) {
      try {
        process.kill(-g.process.pid, 'SIGKILL'); // the whole "container"
      } catch {
        // gone
      }
    }
  }
}

/** The image's files in a fresh root-owned temp dir that the unprivileged "container" user can read. */
async function stageContainerImage(containerDir: string): Promise<string> {
  const image = await mkdtemp(join(tmpdir(), 'sharpbox-arm-image-'));
  try {
    const closed = await firstUnsearchable(dirname(image));
    if (closed) throw new Error(`the fake ARM's image must be readable by an unprivileged user, but ${closed} is closed to others: point TMPDIR elsewhere`);
    // mkdtemp makes it 0700.
    await chmod(image, 0o755);
    await stageFile(join(containerDir, 'entry.sh'), join(image, 'entry.sh'));
    await stageTree(join(containerDir, 'bin', 'host'), join(image, 'host'));
    return image;
  } catch (err) {
    await rm(image, { recursive: true, force: true });
    throw err;
  }
}
