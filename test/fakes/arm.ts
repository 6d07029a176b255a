// A fake Azure Resource Manager for Container Instances on https://127.0.0.1: the REST routes the real
// @azure/arm-containerinstance client calls (api-version 2023-05-01), with what Azure enforces on them,
// so that a test fails where production would:
// - a bearer token from Entra (entra.ts), unexpired and issued for ARM, on every request (armAuth.ts);
// - ARM's token buckets per principal and Container Instances' create/delete budgets, answered with 429
//   and a Retry-After the SDK waits for (armLimits.ts);
// - the regional quotas of 100 groups and 100 cores (armQuota.ts);
// - long-running operations as ACI runs them: PUT → 201 + Azure-AsyncOperation, the group Pending →
//   Creating → Succeeded (or any other provisioning state a scenario names); DELETE → 202 +
//   Azure-AsyncOperation (or Location) with the group Deleting until it is gone, 204 when there is none
//   (research-12 §1.2–1.4; the ARM RPC's async-api-reference for the status resource);
// - a container that really runs (armContainer.ts) and a log with ACI's caps and `tail` (armGroups.ts).
// Every time it keeps (windows, buckets, token lifetimes, start-up and delete durations) is on one clock
// (clock.ts), which a test may run fast or step.
//
// Retry-After under a fast clock: a real client sleeps real seconds, so the fake answers with the real
// seconds in which its clock covers the wait (wait ÷ rate), rounded up and at least 1, as ARM never sends
// 0. A client that honours it comes back just when the fake's window or bucket has room again.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rm } from 'node:fs/promises';
import { authenticate } from './armAuth.js';
import { killContainer, stageContainerImage, startContainer, type ContainerEnvVar } from './armContainer.js';
import {
  addEvent,
  groupId,
  groupView,
  LOG_LIMITS,
  logContent,
  type ContainerState,
  type Group,
  type GroupState,
  type ProvisioningState,
} from './armGroups.js';
import {
  ArmLimits,
  AZURE_LIMITS,
  type AciAction,
  type ArmLimitRules,
  type ArmOperation,
  type LimitDecision,
} from './armLimits.js';
import { AZURE_QUOTA, quotaRefusal, requestedCpu, type GroupQuotaCode, type RegionalQuota } from './armQuota.js';
import { FakeClock } from './clock.js';
import { FakeEntra } from './entra.js';
import type { ContainerRuntime } from './armSimContainer.js';
import { serverTls, TEST_CA_PATH } from './tls.js';

export type { ProvisioningState } from './armGroups.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The subscription the tests' environment names (test/support/aciEnv.ts). */
export const TEST_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

export interface ArmScenario {
  /** Fake ms from a create to its container running: Pending the first half, Creating the second. */
  startupDelayMs?: number;
  /** Where a new group's provisioning ends (default Succeeded, its container running). Any other state: it never runs. */
  provisioning?: ProvisioningState;
  /** The container never starts: the group stays Creating and its container Waiting (an image that never comes). */
  neverStarts?: boolean;
  /** Answer this many GETs of a new group with 404 first (ARM's read-after-write lag). */
  notFoundAfterCreate?: number;
  /** How DELETE answers: 202 + Azure-AsyncOperation (default, the spec's example), 202 + Location (the 2025 spec), or 200 + the group (the 2022 recording). */
  deleteReply?: 'async' | 'location' | 'sync';
  /** Fake ms a group stays Deleting before it is gone (default 0: gone by the first poll). */
  deleteDurationMs?: number;
  /** The code of the group-count quota refusal (armQuota.ts). */
  groupQuotaCode?: GroupQuotaCode;
}

export interface FakeArmOptions {
  /** Where the image's files come from: a directory with entry.sh and bin/host (the checkout's container/ by default). */
  containerDir?: string;
  clock?: FakeClock;
  limits?: ArmLimitRules;
  quota?: RegionalQuota;
  /** What runs a container: the real image's entry script (default), or a simulation (armSimContainer.ts). */
  runtime?: ContainerRuntime;
}

export interface ArmLogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  /** performance.now() when the request arrived: real time, for tests that measure a client's waits. */
  at: number;
  /** The fake clock's time when it arrived (Azure time, for quota figures under a fast clock). */
  fakeAt: number;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

interface Operation {
  kind: 'create' | 'delete';
  group: Group;
  startedAt: number;
  endedAt: number | null;
}

type Reply = (status: number, json?: unknown, headers?: Record<string, string>) => void;

export class FakeArm {
  readonly groups = new Map<string, Group>();
  readonly log: ArmLogEntry[] = [];
  scenario: ArmScenario = {};
  quota: RegionalQuota;
  limits: ArmLimits;
  private readonly ops = new Map<string, Operation>();
  private readonly notFoundLeft = new Map<string, number>();
  private readonly spans: Group['span'][] = [];
  private server!: Server;
  private ticker: NodeJS.Timeout | null = null;
  private port = 0;

  private constructor(
    private readonly image: string,
    readonly clock: FakeClock,
    readonly entra: FakeEntra,
    private readonly defaults: { limits: ArmLimitRules; quota: RegionalQuota },
    private readonly runtime: ContainerRuntime | null,
  ) {
    this.limits = new ArmLimits(clock, defaults.limits);
    this.quota = { ...defaults.quota };
  }

  static async start(options: FakeArmOptions = {}): Promise<FakeArm> {
    const tls = serverTls();
    const clock = options.clock ?? new FakeClock();
    const image = await stageContainerImage(options.containerDir ?? join(root, 'container'));
    let entra: FakeEntra | null = null;
    try {
      entra = await FakeEntra.start(clock);
      const arm = new FakeArm(
        image,
        clock,
        entra,
        { limits: options.limits ?? AZURE_LIMITS, quota: options.quota ?? AZURE_QUOTA },
        options.runtime ?? null,
      );
      arm.server = createServer(tls, (req, res) => void arm.handle(req, res));
      await new Promise<void>((r) => arm.server.listen(0, '127.0.0.1', r));
      arm.port = (arm.server.address() as AddressInfo).port;
      // The timeline (start-ups, deletes) moves on the fake clock, which a test may step: look often.
      arm.ticker = setInterval(() => arm.tick(), 10);
      arm.ticker.unref();
      return arm;
    } catch (err) {
      await entra?.stop();
      await rm(image, { recursive: true, force: true });
      throw err;
    }
  }

  get endpoint(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** What a process needs to reach this fake the way production reaches Azure: the endpoint, an identity, the CA. */
  clientEnv(): Record<string, string> {
    return { AZURE_ARM_ENDPOINT: this.endpoint, ...this.entra.credentialEnv(), NODE_EXTRA_CA_CERTS: TEST_CA_PATH };
  }

  async stop(): Promise<void> {
    try {
      if (this.ticker) clearInterval(this.ticker);
      for (const g of this.groups.values()) g.halt?.();
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server.close(() => r()));
      await this.entra.stop();
    } finally {
      await rm(this.image, { recursive: true, force: true });
    }
  }

  /** Back to the start between tests: no scenario, fresh buckets and windows, the limits and quotas it started with. */
  reset(): void {
    this.scenario = {};
    this.limits = new ArmLimits(this.clock, this.defaults.limits);
    this.quota = { ...this.defaults.quota };
    this.notFoundLeft.clear();
  }

  /** Other limits than Azure's defaults (fresh buckets and windows). */
  setLimits(rules: Partial<ArmLimitRules>): void {
    this.limits = new ArmLimits(this.clock, { ...this.defaults.limits, ...rules });
  }

  /** Every group gone at once, its container killed (between tests; no API call, no budget spent). */
  clear(): void {
    for (const g of this.groups.values()) g.halt?.();
    this.groups.clear();
    this.ops.clear();
  }

  /** Empties the test principal's bucket for one kind of request, as a burst of calls would. */
  drain(op: ArmOperation, subscription = TEST_SUBSCRIPTION): void {
    this.limits.drain(op, subscription, this.entra.app.objectId);
  }

  /** Spends a region's 5-minute create or delete budget, as 100 earlier calls would. */
  exhaust(action: AciAction, region: string, subscription = TEST_SUBSCRIPTION): void {
    this.limits.exhaust(action, subscription, region);
  }

  /** Puts a live group in a state (a test taking over from the timeline). */
  setState(
    name: string,
    patch: {
      provisioningState?: ProvisioningState;
      container?: Partial<ContainerState>;
      groupState?: GroupState | null;
    },
  ): void {
    const g = this.groups.get(name);
    if (!g) throw new Error(`no container group '${name}'`);
    g.plan.stage = 'done';
    if (patch.provisioningState) this.provision(g, patch.provisioningState);
    if (patch.container) g.container = { ...g.container, ...patch.container };
    if (patch.groupState !== undefined) g.groupState = patch.groupState;
  }

  /** The last container's own time, from its create request to its exit (start-up delay included). */
  containerSpanMs(): number {
    const last = this.spans.at(-1);
    return last ? last.exited - last.created : NaN;
  }

  /** The PUT bodies as the SDK sent them (with the secure values: the SAS URLs). */
  creates(): Record<string, unknown>[] {
    return this.log
      .filter((l) => l.method === 'PUT' && l.status < 300 && l.body)
      .map((l) => l.body as Record<string, unknown>);
  }

  private provision(g: Group, state: ProvisioningState): void {
    g.provisioningState = state;
    if (g.createOutcome === null && (state === 'Succeeded' || state === 'Failed' || state === 'Canceled'))
      g.createOutcome = state;
  }

  /** Moves every group along its timeline to the fake clock's now. */
  private tick(): void {
    const now = this.clock.now();
    for (const g of [...this.groups.values()]) {
      if (g.deleting) {
        if (now >= g.deleting.until) {
          this.groups.delete(g.name);
          const op = this.ops.get(g.deleting.op);
          if (op) op.endedAt = now;
        }
        continue;
      }
      const image = String(
        (g.body.properties as { containers?: { properties?: { image?: string } }[] }).containers?.[0]?.properties
          ?.image ?? '',
      );
      if (g.plan.stage === 'pending' && now >= g.plan.creatingAt) {
        g.plan.stage = 'creating';
        g.provisioningState = 'Creating';
        addEvent(g, 'Pulling', `pulling image "${image}"`, new Date(now));
      }
      if (g.plan.stage === 'creating' && g.plan.readyAt !== null && now >= g.plan.readyAt) {
        g.plan.stage = 'done';
        if (g.plan.end === 'Succeeded') {
          addEvent(g, 'Pulled', `Successfully pulled image "${image}"`, new Date(now));
          addEvent(g, 'Started', 'Started container', new Date(now));
          this.run(g);
        }
        this.provision(g, g.plan.end);
      }
    }
  }

  /** The container starts: the image's entry script on this machine with the group's environment. */
  private run(g: Group): void {
    const props = g.body.properties as { containers: { properties: { environmentVariables?: ContainerEnvVar[] } }[] };
    g.container = { state: 'Running', startTime: new Date(this.clock.now()).toISOString(), detailStatus: '' };
    const vars = props.containers[0]?.properties.environmentVariables ?? [];
    const onOutput = (text: string) => {
      g.logs += text;
      if (g.logs.length > 2 * LOG_LIMITS.runningBytes) g.logs = g.logs.slice(-LOG_LIMITS.runningBytes);
    };
    const onExit = (exitCode: number) => {
      g.process = null;
      g.halt = null;
      g.span.exited = performance.now();
      g.container = {
        ...g.container,
        state: 'Terminated',
        exitCode,
        finishTime: new Date(this.clock.now()).toISOString(),
        detailStatus: exitCode === 0 ? 'Completed' : 'Error',
      };
    };
    if (this.runtime) {
      g.halt = this.runtime.start(vars, onOutput, onExit).kill;
      return;
    }
    const child = startContainer(this.image, vars, onOutput, onExit);
    g.process = child;
    g.halt = () => killContainer(child);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.endpoint);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const method = req.method ?? 'GET';
    const entry: ArmLogEntry = {
      method,
      path: url.pathname,
      query: url.search,
      status: 0,
      at: performance.now(),
      fakeAt: this.clock.now(),
      headers: {},
    };
    this.log.push(entry);
    const requestId = randomUUID();
    const reply: Reply = (status, json, headers = {}) => {
      entry.status = status;
      entry.headers = {
        'x-ms-request-id': requestId,
        'x-ms-correlation-request-id': String(req.headers['x-ms-correlation-request-id'] ?? requestId),
        ...headers,
      };
      res.writeHead(
        status,
        json === undefined ? entry.headers : { 'Content-Type': 'application/json; charset=utf-8', ...entry.headers },
      );
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    let body: Record<string, unknown> | undefined;
    try {
      body =
        chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : undefined;
    } catch {
      return reply(400, {
        error: {
          code: 'InvalidRequestContent',
          message: 'The request content was invalid and could not be deserialized.',
        },
      });
    }
    if (body) entry.body = body;
    this.tick();

    const auth = authenticate(req.headers.authorization, this.entra, [this.endpoint]);
    if (!auth.ok) return reply(auth.status, auth.body, auth.headers);
    const sub = /^\/subscriptions\/([^/]+)\//.exec(url.pathname)?.[1];
    if (!sub)
      return reply(404, { error: { code: 'NoRoute', message: `fake ARM: no route for ${method} ${url.pathname}` } });
    const kind: ArmOperation = method === 'GET' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
    const gate = this.limits.arm(kind, sub, auth.claims.oid);
    if (!gate.ok) return this.throttled(reply, gate, { [`x-ms-ratelimit-remaining-subscription-${kind}`]: '0' });
    const ok: Reply = (status, json, headers = {}) => reply(status, json, { ...gate.headers, ...headers });
    return this.route(method, url, sub, body, ok);
  }

  private route(method: string, url: URL, sub: string, body: Record<string, unknown> | undefined, reply: Reply): void {
    const path = url.pathname;
    const notFound = (name: string) =>
      reply(404, {
        error: {
          code: 'ResourceNotFound',
          message: `The Resource 'Microsoft.ContainerInstance/containerGroups/${name}' under resource group '${/resourceGroups\/([^/]+)/.exec(path)?.[1] ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        },
      });
    let m: RegExpExecArray | null;
    if (
      (m =
        /^\/subscriptions\/[^/]+\/providers\/Microsoft\.ContainerInstance\/locations\/[^/]+\/(operations|operationResults)\/([^/]+)$/.exec(
          path,
        )) &&
      method === 'GET'
    ) {
      return this.operation(m[1] as string, m[2] as string, reply);
    }
    if (
      (m =
        /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups$/.exec(
          path,
        )) &&
      method === 'GET'
    ) {
      const rg = (m[1] as string).toLowerCase();
      return reply(200, {
        value: [...this.groups.values()]
          .filter((g) => g.subscription === sub && g.resourceGroup.toLowerCase() === rg)
          .map((g) => groupView(g, false)),
      });
    }
    if (
      (m =
        /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups\/([^/]+)\/containers\/([^/]+)\/logs$/.exec(
          path,
        )) &&
      method === 'GET'
    ) {
      const g = this.find(sub, m[1] as string, m[2] as string);
      const tail = url.searchParams.get('tail');
      return g ? reply(200, { content: logContent(g, tail === null ? null : Number(tail)) }) : notFound(m[2] as string);
    }
    if (
      (m =
        /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerInstance\/containerGroups\/([^/]+)$/.exec(
          path,
        ))
    ) {
      const [rg, name] = [m[1] as string, m[2] as string];
      if (method === 'PUT') return this.create(sub, rg, name, body ?? {}, reply);
      if (method === 'GET') {
        const g = this.find(sub, rg, name);
        const left = this.notFoundLeft.get(name) ?? 0;
        if (!g || left > 0) {
          this.notFoundLeft.set(name, Math.max(0, left - 1));
          return notFound(name);
        }
        return reply(200, groupView(g));
      }
      if (method === 'DELETE') return this.delete(sub, rg, name, reply);
    }
    reply(404, { error: { code: 'NoRoute', message: `fake ARM: no route for ${method} ${path}` } });
  }

  private find(sub: string, rg: string, name: string): Group | undefined {
    const g = this.groups.get(name);
    return g && g.subscription === sub && g.resourceGroup.toLowerCase() === rg.toLowerCase() ? g : undefined;
  }

  private throttled(
    reply: Reply,
    refusal: Extract<LimitDecision, { ok: false }>,
    headers: Record<string, string> = {},
  ): void {
    const seconds = Math.max(1, Math.ceil(this.clock.realMs(refusal.waitMs) / 1000));
    reply(
      429,
      { error: { code: refusal.code, message: refusal.message(seconds) } },
      { ...headers, 'Retry-After': String(seconds) },
    );
  }

  private opUrl(sub: string, location: string, id: string, kind: 'operations' | 'operationResults'): string {
    // ACI's operation URLs carry the api-version ACI itself chose (the 2022 recording: 2018-06-01).
    return `${this.endpoint}/subscriptions/${sub}/providers/Microsoft.ContainerInstance/locations/${location}/${kind}/${id}?api-version=${kind === 'operations' ? '2018-06-01' : '2023-05-01'}`;
  }

  private create(sub: string, rg: string, name: string, body: Record<string, unknown>, reply: Reply): void {
    const location = String(body.location ?? '');
    const existing = this.find(sub, rg, name);
    if (existing?.deleting) {
      // Not quoted from a capture: a PUT while the group is going is refused until it is gone.
      return reply(409, {
        error: {
          code: 'Conflict',
          message: `The container group '${name}' is being deleted; try again once it is gone.`,
        },
      });
    }
    const budget = this.limits.aci('creates', sub, location);
    if (!budget.ok) return this.throttled(reply, budget);
    if (existing) return reply(200, groupView(existing), budget.headers); // an update: ACI's PUT is idempotent
    const cpu = requestedCpu(body);
    const refusal = quotaRefusal(
      this.groups.values(),
      sub,
      location,
      cpu,
      this.quota,
      this.scenario.groupQuotaCode ?? 'ContainerGroupQuotaReached',
    );
    if (refusal) return reply(refusal.status, refusal.body, budget.headers);

    const now = this.clock.now();
    const s = this.scenario;
    const startup = s.startupDelayMs ?? 0;
    const span = { created: performance.now(), exited: NaN };
    this.spans.push(span);
    const op = randomUUID();
    const g: Group = {
      name,
      subscription: sub,
      resourceGroup: rg,
      location,
      body,
      cpu,
      provisioningState: 'Pending',
      container: { state: 'Waiting', detailStatus: '' },
      groupState: null,
      events: [],
      logs: '',
      process: null,
      halt: null,
      plan: {
        stage: 'pending',
        creatingAt: now + startup / 2,
        readyAt: s.neverStarts ? null : now + startup,
        end: s.provisioning ?? 'Succeeded',
      },
      createOp: op,
      createOutcome: null,
      deleting: null,
      span,
    };
    this.groups.set(name, g);
    this.ops.set(op, { kind: 'create', group: g, startedAt: now, endedAt: null });
    this.notFoundLeft.set(name, s.notFoundAfterCreate ?? 0);
    reply(201, groupView(g), {
      ...budget.headers,
      'Azure-AsyncOperation': this.opUrl(sub, location, op, 'operations'),
    });
  }

  private delete(sub: string, rg: string, name: string, reply: Reply): void {
    const g = this.find(sub, rg, name);
    // Nothing to delete: 204, and (an assumption) no charge against the delete budget, whose region is the group's.
    if (!g) return reply(204);
    const budget = this.limits.aci('deletes', sub, g.location);
    if (!budget.ok) return this.throttled(reply, budget);
    const now = this.clock.now();
    const before = groupView(g);
    g.halt?.();
    if (g.createOutcome === null) g.createOutcome = 'Canceled';
    if (!g.deleting) {
      const op = randomUUID();
      this.ops.set(op, { kind: 'delete', group: g, startedAt: now, endedAt: null });
      g.plan.stage = 'done';
      g.provisioningState = 'Deleting';
      g.deleting = { op, until: now + (this.scenario.deleteDurationMs ?? 0) };
    }
    const mode = this.scenario.deleteReply ?? 'async';
    if (mode === 'sync') {
      this.groups.delete(name);
      const op = this.ops.get(g.deleting.op);
      if (op) op.endedAt = now;
      return reply(200, before, budget.headers);
    }
    const header: Record<string, string> =
      mode === 'async'
        ? { 'Azure-AsyncOperation': this.opUrl(sub, g.location, g.deleting.op, 'operations') }
        : { Location: this.opUrl(sub, g.location, g.deleting.op, 'operationResults') };
    reply(202, undefined, { ...budget.headers, ...header });
  }

  /** The operation status resource (ARM RPC async-api-reference), or the Location flow's 202 / 204. */
  private operation(kind: string, id: string, reply: Reply): void {
    const op = this.ops.get(id);
    if (!op)
      return reply(404, { error: { code: 'OperationNotFound', message: `The operation '${id}' was not found.` } });
    const g = op.group;
    const done = op.kind === 'delete' ? (op.endedAt !== null ? 'Succeeded' : null) : g.createOutcome;
    if (kind === 'operationResults') return done ? reply(204) : reply(202);
    // ACI's own word for a running create is Pending (the 2022 recording); ARM's generic one is InProgress.
    const status = done ?? (op.kind === 'create' ? 'Pending' : 'InProgress');
    const iso = (ms: number) => new Date(ms).toISOString();
    const error =
      done === 'Failed'
        ? {
            code: 'ContainerGroupDeploymentFailed',
            message: `The container group '${g.name}' failed to provision (state '${g.provisioningState}').`,
          }
        : done === 'Canceled'
          ? { code: 'Canceled', message: `The operation on container group '${g.name}' was canceled.` }
          : undefined;
    // ACI's code for a failed provisioning is not documented (research-12 found none); the one above is descriptive.
    reply(200, {
      id: groupId(g),
      name: id,
      status,
      startTime: iso(op.startedAt),
      ...(op.endedAt !== null ? { endTime: iso(op.endedAt) } : {}),
      properties: { events: g.events },
      ...(error ? { error } : {}),
    });
  }
}
