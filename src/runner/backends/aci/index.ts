// The `aci` backend: each run in its own Azure Container Instances group (hypervisor isolation), the
// lifecycle of shared/seeds/000: upload the code to Blob Storage, SAS URLs that live as long as the run
// can (lifetimes.ts), create the group (or hand the run to a warm one, pool.ts), poll it until a state
// says it is done (groupState.ts), read the result, and return it at once while the group and the blobs
// are deleted in the background (cleanup.ts). Nothing is left behind on any path (success, failure,
// timeout, cancel); a sweeper (sweep.ts) removes what a killed service left.
import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { Config } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { BackendRun, SandboxBackend } from '../../backend.js';
import { emptyResult, type RunResult } from '../../types.js';
import type { AciBudget } from './budget.js';
import { Cleanups, STOP_WAIT_MS, type CleanupJob, type CleanupTargets } from './cleanup.js';
import { createAciClients, type AciClients } from './clients.js';
import { assignmentEnv, CONTAINER_EXIT, containerEnv, type EnvVar } from './containerEnv.js';
import { parseFacts, resultFromFacts, resultWithoutFacts } from './facts.js';
import { readGroup, type StateNote } from './groupState.js';
import { runWindow, type AciTimes } from './lifetimes.js';
import { groupName, WarmPool } from './pool.js';
import { APP_TAG, expiryTags, sweepExpired } from './sweep.js';

export { APP_TAG, groupName };
export const CONTAINER_NAME = 'runner';
const RUNNING_POLL_MS = 250;

type Exit = { kind: 'exited'; exitCode: number | null } | { kind: 'cancelled' } | { kind: 'deadline'; started: boolean } | { kind: 'failed'; state: string };

export class AciBackend implements SandboxBackend {
  readonly name = 'aci';
  readonly capacity: number;
  private clients: AciClients | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private pool: WarmPool | null = null;
  private readonly cleanups: Cleanups;
  /** State values groupState.ts does not know, each logged once. */
  private readonly unknownStates = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly makeClients: () => AciClients = () => createAciClients(config.aci),
    /** Azure's create, delete and read budgets, shared with every process on the same store. */
    readonly budget: AciBudget,
  ) {
    this.capacity = config.aci.concurrency;
    this.cleanups = new Cleanups(() => this.targets(), log);
  }

  async start(): Promise<void> {
    const clients = this.makeClients();
    this.clients = clients;
    await clients.container.createIfNotExists();
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), this.config.aci.sweepIntervalMs);
    this.sweeper.unref();
    this.pool = new WarmPool({
      aci: this.config.aci,
      limits: this.config.limits,
      times: this.times(),
      clients,
      log: this.log,
      createGroup: (name, tags, env) => this.createGroup(name, tags, env),
      discard: (job) => this.cleanups.schedule(job),
      noteStates: (id, notes, seen) => this.noteStates(id, notes, seen),
    });
    this.pool.fill();
    this.log.info('aci backend ready', { resourceGroup: this.config.aci.resourceGroup, location: this.config.aci.location, capacity: this.capacity });
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.pool?.retireAll();
    await this.cleanups.settle(STOP_WAIT_MS);
  }

  health(): { ok: boolean; detail: string } {
    return { ok: this.clients !== null, detail: `${this.config.aci.resourceGroup} in ${this.config.aci.location}, warm pool ${this.pool?.readyCount ?? 0}/${this.config.aci.warmPool}` };
  }

  /** Resolves when the warm pool is full and every member is waiting (for tests and the bench). */
  async poolReady(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((this.pool?.readyCount ?? 0) < this.config.aci.warmPool) {
      if (Date.now() > until) throw new Error('the warm pool did not fill in time');
      await sleep(100);
    }
  }

  /** Resolves when no clean-up runs in the background any more, or after timeoutMs (for tests). */
  async cleanupsDone(timeoutMs = 30_000): Promise<void> {
    await this.cleanups.waitAll(timeoutMs);
  }

  /** Clean-ups (group and blob deletes) still running in the background. */
  get pendingCleanups(): number {
    return this.cleanups.pending;
  }

  /** Deletes tagged groups and run blobs past their expiry (what a killed service left behind). */
  async sweep(): Promise<number> {
    return sweepExpired(this.targets(), this.log);
  }

  async execute(run: BackendRun): Promise<RunResult> {
    const clients = this.clients;
    if (!clients) throw new Error('the aci backend was not started');
    const { aci: cfg, limits } = this.config;
    let group = groupName(run.id);
    const prefix = `runs/${new Date().toISOString().slice(0, 10)}/${run.id}/`;
    const created = Date.now();
    const window = runWindow(created, run.timeoutMs, this.times());
    const tags = expiryTags(window.expiresAt);
    const blob = (name: string) => clients.container.getBlockBlobClient(`${prefix}${name}`);
    const cleanup: CleanupJob = { id: run.id, group: null, prefixes: [prefix] };
    try {
      run.onPhase('compiling');
      const hasStdin = run.stdin.length > 0;
      await Promise.all([
        blob('Program.cs').upload(run.source, Buffer.byteLength(run.source), { tags, blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } }),
        hasStdin ? blob('stdin.txt').upload(run.stdin, Buffer.byteLength(run.stdin), { tags }) : undefined,
      ]);
      const [source, stdin, result] = await Promise.all([
        clients.sasUrl(blob('Program.cs'), 'r', window.sasTtlMinutes),
        hasStdin ? clients.sasUrl(blob('stdin.txt'), 'r', window.sasTtlMinutes) : null,
        clients.sasUrl(blob('result.json'), 'cw', window.sasTtlMinutes),
      ]);
      const urls = { source, stdin, result };
      if (run.signal.aborted) return emptyResult('cancelled', 'cancelled');

      const member = this.pool?.take() ?? null;
      if (member) {
        // A warm group is waiting: its assignment is the run, as a cold container's environment would be.
        group = member.group;
        cleanup.group = group;
        cleanup.prefixes.push(member.prefix);
        const assignment = JSON.stringify(assignmentEnv(limits, run.timeoutMs, urls));
        await clients.container.getBlockBlobClient(`${member.prefix}assignment.json`).upload(assignment, Buffer.byteLength(assignment), { tags });
      } else {
        cleanup.group = group;
        await this.createGroup(
          group,
          { app: APP_TAG, runId: run.id, createdAt: new Date(created).toISOString(), expiresAt: window.expiresAt, instance: cfg.instance },
          containerEnv(limits, { kind: 'run', timeoutMs: run.timeoutMs, urls }),
          run.signal,
        );
      }

      const exit = await this.waitForExit(run, group, window.deadline, member !== null);
      if (exit.kind === 'cancelled') return emptyResult('cancelled', 'cancelled');
      if (exit.kind === 'failed') {
        this.log.error('the container group will not produce a result', { runId: run.id, group, state: exit.state });
        return emptyResult('internal_error', `the cloud sandbox failed (Azure reported ${exit.state})`);
      }
      if (exit.kind === 'deadline') {
        if (!exit.started) return emptyResult('internal_error', 'the sandbox did not start in time');
        return emptyResult('timeout', `timed out (the sandbox did not finish within ${Math.round((window.deadline - created) / 1000)} s)`);
      }

      const facts = await blob('result.json').downloadToBuffer().then((b) => parseFacts(b.toString('utf8')), () => null);
      if (!facts) return await this.withoutFacts(run, group, exit.exitCode);
      const verdict = resultFromFacts(facts, { timeoutMs: run.timeoutMs, memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses, outputBytes: limits.outputBytes, compileTimeoutMs: limits.compileTimeoutMs });
      if (facts.exec) run.onPhase('running');
      if (verdict.stdout) run.onOutput('stdout', verdict.stdout);
      if (verdict.stderr) run.onOutput('stderr', verdict.stderr);
      return verdict;
    } catch (err) {
      if (run.signal.aborted) return emptyResult('cancelled', 'cancelled');
      const e = err as { statusCode?: number; code?: string; message?: string };
      if (e.statusCode === 429 || /quota/i.test(e.message ?? '')) {
        this.log.error('Azure refused the container group (quota or throttling)', { runId: run.id, code: e.code, status: e.statusCode, message: e.message });
        return emptyResult('internal_error', 'the cloud sandbox is at capacity; try again in a few minutes');
      }
      throw err;
    } finally {
      // The result does not wait for the delete; a delete that fails or hangs is the sweeper's.
      this.cleanups.schedule(cleanup);
    }
  }

  /** The verdict on a container that uploaded no result, with the cause in our log. */
  private async withoutFacts(run: BackendRun, group: string, exitCode: number | null): Promise<RunResult> {
    const { aci: cfg } = this.config;
    if (exitCode === CONTAINER_EXIT.storageDenied) {
      this.log.error('storage refused the container a SAS URL (403): it expired or was revoked', { runId: run.id, group });
    } else if (exitCode === CONTAINER_EXIT.missingSetting) {
      this.log.error('the sandbox image missed a setting it requires: is ACI_IMAGE built from this version?', { runId: run.id, group, image: cfg.image });
    } else {
      this.log.error('the sandbox container left no result', { runId: run.id, exitCode });
    }
    const logs = await this.clients?.aci.containers.listLogs(cfg.resourceGroup, group, CONTAINER_NAME, { tail: 50 }).catch(() => ({ content: '' }));
    // The container's log holds the program's own output: user content, never at error level.
    this.log.debug('container log of the failed run', { runId: run.id, userContent: (logs?.content ?? '').slice(-200) });
    return resultWithoutFacts(exitCode, cfg.memoryGb);
  }

  private async createGroup(name: string, tags: Record<string, string>, env: EnvVar[], signal?: AbortSignal): Promise<void> {
    const { aci: cfg } = this.config;
    await (this.clients as AciClients).aci.containerGroups.beginCreateOrUpdate(cfg.resourceGroup, name, {
      location: cfg.location,
      osType: 'Linux',
      restartPolicy: 'Never',
      tags,
      containers: [{ name: CONTAINER_NAME, image: cfg.image, resources: { requests: { cpu: cfg.cpu, memoryInGB: cfg.memoryGb } }, environmentVariables: env }],
      // No ipAddress: nothing can connect in. Outbound is open unless the subnet's NSG limits it (README).
      ...(cfg.subnetIds.length > 0 ? { subnetIds: cfg.subnetIds.map((id) => ({ id })) } : {}),
      ...(cfg.registry ? { imageRegistryCredentials: [cfg.registry] } : {}),
    }, { abortSignal: signal });
  }

  /** Polls the group (fast at first, then backing off) until a state says it is done or time is up. */
  private async waitForExit(run: BackendRun, group: string, deadline: number, alreadyRunning: boolean): Promise<Exit> {
    const { aci } = this.clients as AciClients;
    let delay = 200;
    let started = alreadyRunning;
    const trouble = new Set<string>();
    for (;;) {
      if (run.signal.aborted) return { kind: 'cancelled' };
      if (Date.now() > deadline) return { kind: 'deadline', started };
      let g: ContainerGroup | null = null;
      try {
        g = await aci.containerGroups.get(this.config.aci.resourceGroup, group, { abortSignal: run.signal });
      } catch (err) {
        if (run.signal.aborted) return { kind: 'cancelled' };
        // Right after the create, ARM may not know the group yet: that is "pending", not an error.
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
      const { phase, notes } = readGroup(g);
      this.noteStates(run.id, notes, trouble);
      if (phase.phase === 'exited') return { kind: 'exited', exitCode: phase.exitCode };
      if (phase.phase === 'failed') return { kind: 'failed', state: phase.state };
      if (phase.phase === 'running') started = true;
      await sleep(Math.min(started ? RUNNING_POLL_MS : delay, Math.max(0, deadline - Date.now())), run.signal);
      // While the group starts (tens of seconds), back off to 1 s; once the program runs (seconds),
      // poll often: every moment between its exit and our next look is latency the user sees.
      delay = Math.min(1000, Math.round(delay * 1.5));
    }
  }

  /** An unknown state value is logged once per process; a trouble state once per run or member (`seen`). */
  private noteStates(id: string, notes: StateNote[], seen: Set<string>): void {
    for (const n of notes) {
      const key = `${n.field}=${n.value}`;
      const logged = n.meaning === 'unknown' ? this.unknownStates : seen;
      if (logged.has(key)) continue;
      logged.add(key);
      if (n.meaning === 'unknown') this.log.warn('a container group state this version does not know; treated as in progress until the deadline', { field: n.field, value: n.value });
      else this.log.warn('a container group is in trouble; waiting for Azure to repair it', { id, field: n.field, value: n.value });
    }
  }

  private times(): AciTimes {
    const { aci, limits } = this.config;
    return { startupAllowanceMs: aci.startupAllowanceMs, poolIdleMs: aci.poolIdleMs, sweepGraceMs: aci.sweepGraceMs, compileTimeoutMs: limits.compileTimeoutMs };
  }

  private targets(): CleanupTargets {
    const clients = this.clients;
    if (!clients) throw new Error('the aci backend was not started');
    return { aci: clients.aci, container: clients.container, resourceGroup: this.config.aci.resourceGroup };
  }
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
