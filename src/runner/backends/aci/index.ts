// The `aci` backend: each run in its own Azure Container Instances group (hypervisor isolation), the
// lifecycle of shared/seeds/000: upload the code to Blob Storage, short read-only SAS, create the group,
// poll it, fetch the result, delete the group and the blobs. Nothing is left behind on any path
// (success, failure, timeout, cancel); a sweeper removes what a killed service left.
import { randomUUID } from 'node:crypto';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { Config } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { BackendRun, SandboxBackend } from '../../backend.js';
import { emptyResult, type RunResult } from '../../types.js';
import { createAciClients, type AciClients } from './clients.js';
import { parseFacts, resultFromFacts, resultWithoutFacts } from './facts.js';

export const APP_TAG = 'sharpbox';
export const CONTAINER_NAME = 'runner';
const RUNNING_POLL_MS = 250;

export class AciBackend implements SandboxBackend {
  readonly name = 'aci';
  readonly capacity: number;
  private clients: AciClients | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly pool = new Set<PoolMember>();
  private stopping = false;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly makeClients: () => AciClients = () => createAciClients(config.aci),
  ) {
    this.capacity = config.aci.concurrency;
  }

  async start(): Promise<void> {
    this.clients = this.makeClients();
    await this.clients.container.createIfNotExists();
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), this.config.aci.sweepIntervalMs);
    this.sweeper.unref();
    this.fillPool();
    this.log.info('aci backend ready', { resourceGroup: this.config.aci.resourceGroup, location: this.config.aci.location, capacity: this.capacity });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await Promise.all([...this.pool].map((m) => this.retire(m)));
  }

  health(): { ok: boolean; detail: string } {
    const ready = [...this.pool].filter((m) => m.ready).length;
    return { ok: this.clients !== null, detail: `${this.config.aci.resourceGroup} in ${this.config.aci.location}, warm pool ${ready}/${this.config.aci.warmPool}` };
  }

  /** Resolves when the warm pool is full and every member is waiting (for tests and the bench). */
  async poolReady(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ([...this.pool].filter((m) => m.ready).length < this.config.aci.warmPool) {
      if (Date.now() > until) throw new Error('the warm pool did not fill in time');
      await sleep(100);
    }
  }

  /** Starts members until the pool has its size again; each runs in the background. */
  private fillPool(): void {
    while (!this.stopping && this.pool.size < this.config.aci.warmPool) {
      const member: PoolMember = { id: randomUUID(), group: '', prefix: '', ready: false, taken: false, retireTimer: null };
      member.group = groupName(member.id);
      member.prefix = `pool/${member.id}/`;
      this.pool.add(member);
      void this.startMember(member).catch((err: unknown) => {
        this.log.error('could not start a warm pool group', { group: member.group, err: (err as Error).message });
        void this.retire(member).then(() => setTimeout(() => this.fillPool(), 5000).unref());
      });
    }
  }

  private async startMember(m: PoolMember): Promise<void> {
    const { aci: cfg } = this.config;
    const clients = this.clients as AciClients;
    const assignment = clients.container.getBlockBlobClient(`${m.prefix}assignment.json`);
    const assignmentUrl = await clients.sasUrl(assignment, 'r', Math.ceil(cfg.poolIdleMs / 60_000));
    const expiresAt = new Date(Date.now() + cfg.poolIdleMs + cfg.startupAllowanceMs + cfg.sweepGraceMs).toISOString();
    await this.createGroup(m.group, { app: APP_TAG, pool: 'true', runId: m.id, createdAt: new Date().toISOString(), expiresAt, instance: cfg.instance }, [
      { name: 'SHARPBOX_ASSIGNMENT_URL', secureValue: assignmentUrl },
      { name: 'SHARPBOX_WAIT_MS', value: String(cfg.poolIdleMs) },
    ]);
    // Ready once its container runs (and waits for the assignment).
    const until = Date.now() + cfg.startupAllowanceMs;
    let delay = 200;
    while (!m.taken && !this.stopping) {
      const g = await clients.aci.containerGroups.get(cfg.resourceGroup, m.group).catch((err: { statusCode?: number }) => (err.statusCode === 404 ? null : Promise.reject(err)));
      const state = g?.containers[0]?.instanceView?.currentState?.state;
      if (state === 'Running') break;
      if (state === 'Terminated' || g?.provisioningState === 'Failed' || Date.now() > until) throw new Error(`the group did not start (${state ?? g?.provisioningState ?? 'unknown'})`);
      await sleep(delay);
      delay = Math.min(1000, Math.round(delay * 1.5));
    }
    m.ready = true;
    // Shortly before it would stop waiting, replace it.
    m.retireTimer = setTimeout(() => void this.retire(m).then(() => this.fillPool()), Math.max(1000, cfg.poolIdleMs - 30_000));
    m.retireTimer.unref();
  }

  /** Deletes a pool member that was not (or no longer) needed, with its blobs. */
  private async retire(m: PoolMember): Promise<void> {
    if (m.retireTimer) clearTimeout(m.retireTimer);
    this.pool.delete(m);
    if (m.taken) return;
    m.taken = true;
    await this.cleanUp(m.id, m.group, true, m.prefix);
  }

  private takeMember(): PoolMember | null {
    const m = [...this.pool].find((x) => x.ready && !x.taken);
    if (!m) return null;
    m.taken = true;
    if (m.retireTimer) clearTimeout(m.retireTimer);
    this.pool.delete(m);
    this.fillPool();
    return m;
  }

  private async createGroup(name: string, tags: Record<string, string>, env: { name: string; value?: string; secureValue?: string }[], signal?: AbortSignal): Promise<void> {
    const { aci: cfg } = this.config;
    await (this.clients as AciClients).aci.containerGroups.beginCreateOrUpdate(cfg.resourceGroup, name, {
      location: cfg.location,
      osType: 'Linux',
      restartPolicy: 'Never',
      tags,
      containers: [{ name: CONTAINER_NAME, image: cfg.image, resources: { requests: { cpu: cfg.cpu, memoryInGB: cfg.memoryGb } }, environmentVariables: env }],
      // No ipAddress: nothing can connect in. Outbound is open unless the subnet's NSG closes it.
      ...(cfg.subnetIds.length > 0 ? { subnetIds: cfg.subnetIds.map((id) => ({ id })) } : {}),
      ...(cfg.registry ? { imageRegistryCredentials: [cfg.registry] } : {}),
    }, { abortSignal: signal });
  }

  /** The whole life of one run, from first upload to last delete. */
  private deadlineMs(run: BackendRun): number {
    return run.timeoutMs + this.config.limits.compileTimeoutMs + this.config.aci.startupAllowanceMs;
  }

  async execute(run: BackendRun): Promise<RunResult> {
    const clients = this.clients;
    if (!clients) throw new Error('the aci backend was not started');
    const { aci: cfg, limits } = this.config;
    let group = groupName(run.id);
    let member: PoolMember | null = null;
    const prefix = `runs/${new Date().toISOString().slice(0, 10)}/${run.id}/`;
    const created = Date.now();
    const expiresAt = new Date(created + this.deadlineMs(run) + cfg.sweepGraceMs).toISOString();
    const blobs = {
      source: clients.container.getBlockBlobClient(`${prefix}Program.cs`),
      stdin: clients.container.getBlockBlobClient(`${prefix}stdin.txt`),
      result: clients.container.getBlockBlobClient(`${prefix}result.json`),
    };
    let groupCreated = false;
    try {
      run.onPhase('compiling');
      const metadata = { expiresat: expiresAt };
      await Promise.all([
        blobs.source.upload(run.source, Buffer.byteLength(run.source), { metadata, blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } }),
        blobs.stdin.upload(run.stdin, Buffer.byteLength(run.stdin), { metadata }),
      ]);
      const [sourceUrl, stdinUrl, resultUrl] = await Promise.all([
        clients.sasUrl(blobs.source, 'r', cfg.sasTtlMinutes),
        clients.sasUrl(blobs.stdin, 'r', cfg.sasTtlMinutes),
        clients.sasUrl(blobs.result, 'cw', cfg.sasTtlMinutes),
      ]);
      if (run.signal.aborted) return emptyResult('cancelled', 'cancelled');

      // Secure values: ACI never echoes them back, and we never log them.
      const runEnv: Record<string, string> = {
        SHARPBOX_SOURCE_URL: sourceUrl,
        SHARPBOX_STDIN_URL: stdinUrl,
        SHARPBOX_RESULT_URL: resultUrl,
        SHARPBOX_TIMEOUT_MS: String(run.timeoutMs),
        SHARPBOX_COMPILE_TIMEOUT_MS: String(limits.compileTimeoutMs),
        SHARPBOX_OUTPUT_BYTES: String(limits.outputBytes),
        SHARPBOX_MEMORY_BYTES: String(limits.memoryBytes),
      };
      member = this.takeMember();
      if (member) {
        // A warm group is waiting: its assignment is the run's environment.
        group = member.group;
        const assignment = JSON.stringify(runEnv);
        await clients.container.getBlockBlobClient(`${member.prefix}assignment.json`).upload(assignment, Buffer.byteLength(assignment), { metadata });
      } else {
        groupCreated = true;
        await this.createGroup(
          group,
          { app: APP_TAG, runId: run.id, createdAt: new Date(created).toISOString(), expiresAt, instance: cfg.instance },
          Object.entries(runEnv).map(([name, value]) => (name.endsWith('_URL') ? { name, secureValue: value } : { name, value })),
          run.signal,
        );
      }

      const outcome = await this.waitForExit(run, group, created + this.deadlineMs(run), member !== null);
      if (outcome === 'cancelled') return emptyResult('cancelled', 'cancelled');
      if (outcome === 'deadline-before-start') return emptyResult('internal_error', 'the sandbox did not start in time');
      if (outcome === 'failed') return emptyResult('internal_error', 'the sandbox could not be created');
      if (outcome === 'deadline') return { ...emptyResult('timeout', `timed out (the sandbox did not finish within ${Math.round(this.deadlineMs(run) / 1000)} s)`) };

      const facts = await blobs.result.downloadToBuffer().then((b) => parseFacts(b.toString('utf8')), () => null);
      if (!facts) {
        // No result: the container died before uploading it (ACI's memory limit kills with 137).
        const logs = await clients.aci.containers.listLogs(cfg.resourceGroup, group, CONTAINER_NAME, { tail: 50 }).catch(() => ({ content: '' }));
        this.log.error('the sandbox container left no result', { runId: run.id, exitCode: outcome.exitCode });
        // The container's log holds the program's own output: user content, never at error level.
        this.log.debug('container log of the failed run', { runId: run.id, userContent: (logs.content ?? '').slice(-200) });
        return resultWithoutFacts(outcome.exitCode, cfg.memoryGb);
      }
      const result = resultFromFacts(facts, { timeoutMs: run.timeoutMs, memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses, outputBytes: limits.outputBytes, compileTimeoutMs: limits.compileTimeoutMs });
      if (facts.exec) run.onPhase('running');
      if (result.stdout) run.onOutput('stdout', result.stdout);
      if (result.stderr) run.onOutput('stderr', result.stderr);
      return result;
    } catch (err) {
      if (run.signal.aborted) return emptyResult('cancelled', 'cancelled');
      const e = err as { statusCode?: number; code?: string; message?: string };
      if (e.statusCode === 429 || /quota/i.test(e.message ?? '')) {
        this.log.error('Azure refused the container group (quota or throttling)', { runId: run.id, code: e.code, status: e.statusCode, message: e.message });
        return emptyResult('internal_error', 'the cloud sandbox is at capacity; try again in a few minutes');
      }
      throw err;
    } finally {
      await this.cleanUp(run.id, group, groupCreated || member !== null, prefix);
      if (member) await this.cleanUp(member.id, member.group, false, member.prefix);
    }
  }

  /** Polls the group (fast at first, then backing off) until its container terminates or time is up. */
  private async waitForExit(run: BackendRun, group: string, deadline: number, alreadyRunning: boolean): Promise<{ exitCode: number | null } | 'cancelled' | 'deadline' | 'deadline-before-start' | 'failed'> {
    const { aci } = this.clients as AciClients;
    let delay = 200;
    let started = alreadyRunning;
    for (;;) {
      if (run.signal.aborted) return 'cancelled';
      if (Date.now() > deadline) return started ? 'deadline' : 'deadline-before-start';
      let g: ContainerGroup | null = null;
      try {
        g = await aci.containerGroups.get(this.config.aci.resourceGroup, group, { abortSignal: run.signal });
      } catch (err) {
        if (run.signal.aborted) return 'cancelled';
        // Right after the create, ARM may not know the group yet: that is "pending", not an error.
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
      if (g) {
        const state = g.containers[0]?.instanceView?.currentState;
        if (g.provisioningState === 'Failed' && state?.state !== 'Terminated') return 'failed';
        if (state?.state === 'Running' && !started) started = true;
        if (state?.state === 'Terminated') return { exitCode: state.exitCode ?? null };
      }
      await sleep(Math.min(started ? RUNNING_POLL_MS : delay, Math.max(0, deadline - Date.now())), run.signal);
      // While the group starts (tens of seconds), back off to 1 s; once the program runs (seconds),
      // poll often: every moment between its exit and our next look is latency the user sees.
      delay = Math.min(1000, Math.round(delay * 1.5));
    }
  }

  /** Deletes the group and the run's blobs; a failure is retried once, then left to the sweeper. */
  private async cleanUp(runId: string, group: string, groupCreated: boolean, prefix: string): Promise<void> {
    const { aci, container } = this.clients as AciClients;
    const rg = this.config.aci.resourceGroup;
    const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      for (let i = 0; i < 2; i++) {
        try {
          await fn();
          return;
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return;
          if (i === 1) this.log.error(`could not delete the ${what}; the sweeper will`, { runId, err: (err as Error).message });
          else await sleep(500);
        }
      }
    };
    await Promise.all([
      groupCreated ? attempt('container group', () => aci.containerGroups.beginDeleteAndWait(rg, group)) : undefined,
      attempt('run blobs', async () => {
        const names: string[] = [];
        for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name);
        await Promise.all(names.map((n) => container.deleteBlob(n, { deleteSnapshots: 'include' }).catch(ignore404)));
      }),
    ]);
  }

  /** Deletes tagged groups and run blobs past their expiry (what a killed service left behind). */
  async sweep(): Promise<number> {
    const { aci, container } = this.clients as AciClients;
    const rg = this.config.aci.resourceGroup;
    const now = Date.now();
    let removed = 0;
    try {
      for await (const g of aci.containerGroups.listByResourceGroup(rg)) {
        if (g.tags?.app !== APP_TAG || !g.name) continue;
        const expires = Date.parse(g.tags.expiresAt ?? '');
        if (!Number.isNaN(expires) && expires > now) continue;
        await aci.containerGroups.beginDeleteAndWait(rg, g.name).catch(ignore404);
        removed++;
        this.log.warn('swept an orphaned container group', { group: g.name, runId: g.tags.runId, instance: g.tags.instance });
      }
      for await (const b of container.listBlobsFlat({ includeMetadata: true })) {
        const expires = Date.parse(b.metadata?.expiresat ?? '');
        if (!Number.isNaN(expires) && expires > now) continue;
        await container.deleteBlob(b.name, { deleteSnapshots: 'include' }).catch(ignore404);
        removed++;
      }
    } catch (err) {
      this.log.error('sweep failed; will try again', { err: (err as Error).message });
    }
    return removed;
  }
}

interface PoolMember {
  id: string;
  group: string;
  /** Blob prefix of its assignment. */
  prefix: string;
  ready: boolean;
  taken: boolean;
  retireTimer: NodeJS.Timeout | null;
}

/** A valid ARM name (lowercase letters, digits, dashes; ≤ 63) from the run id. */
export function groupName(runId: string): string {
  return `sb-${runId.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 63);
}

function ignore404(err: unknown): void {
  if ((err as { statusCode?: number }).statusCode !== 404) throw err;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
