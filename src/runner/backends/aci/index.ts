// The `aci` backend: runs in Azure Container Instances (hypervisor isolation), the lifecycle of
// shared/seeds/000: upload the code to Blob Storage, SAS URLs that live as long as the run can
// (lifetimes.ts), then one of three placements:
// - a group of its own (ACI_MODE=per-run): created for the run, within the create budget all processes
//   share (budget.ts); over budget, the run waits in the queue with an estimate (admitStart);
// - a warm pool group (ACI_WARM_POOL, per-run mode), started ahead and handed the run (pool.ts);
// - a worker (ACI_MODE=workers) that serves many runs one after another, each as its own user (workers.ts).
// Results are found without asking ARM about each group (watch.ts); the result goes back as soon as it is
// read, and groups and blobs are deleted in the background (cleanup.ts) within the delete budget. Nothing
// is left behind on any path; a sweeper (sweep.ts) removes what a killed service left.
import type { ContainerClient } from '@azure/storage-blob';
import type { Config } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { BackendRun, SandboxBackend, StartGate } from '../../backend.js';
import { emptyResult, type CompileOptions, type RunResult } from '../../types.js';
import type { AzureBudget } from './budget.js';
import { Cleanups, STOP_WAIT_MS, type CleanupJob, type CleanupTargets } from './cleanup.js';
import { createAciClients, type AciClients } from './clients.js';
import { assignmentEnv, CONTAINER_EXIT, containerEnv, type EnvVar, type RunUrls } from './containerEnv.js';
import { parseFacts, resultFromFacts, resultWithoutFacts, type ContainerFacts } from './facts.js';
import type { StateNote } from './groupState.js';
import { runWindow, type AciTimes } from './lifetimes.js';
import { groupName, WarmPool } from './pool.js';
import { APP_TAG, expiryTags, sweepExpired } from './sweep.js';
import { requestedWaitOf } from './throttleBudget.js';
import { RUNS_PREFIX, Watcher, type Outcome } from './watch.js';
import { WorkerFleet, type Worker } from './workers.js';

export { APP_TAG, groupName };
export const CONTAINER_NAME = 'runner';
/** A run on a worker: its container runs already; beyond compile and run, time for the downloads, the upload and the wipe. */
const WORKER_SLACK_MS = 30_000;
/** Verdicts after which a worker is not trusted with another run (it retires at once). */
const LIMIT_STATUSES: ReadonlySet<RunResult['status']> = new Set([
  'timeout',
  'memory_limit',
  'output_limit',
  'internal_error',
]);

/** Where a run executes. */
type Placement =
  | { kind: 'cold'; granted: boolean }
  | { kind: 'member'; group: string; prefix: string }
  | { kind: 'worker'; worker: Worker };

/** What the aci backend reads of the configuration. */
export type AciBackendConfig = Pick<Config, 'aci' | 'limits'>;

export class AciBackend implements SandboxBackend {
  readonly name = 'aci';
  readonly capacity: number;
  private clients: AciClients | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private pool: WarmPool | null = null;
  private fleet: WorkerFleet | null = null;
  private watcher: Watcher | null = null;
  private readonly cleanups: Cleanups;
  /**
   * Creates the gate took from the budget and the next execute() uses. A count, not a run id: when the
   * run asked for was cancelled meanwhile, the next in line takes the grant (backend.ts).
   */
  private grantedCreates = 0;
  private readonly startable = new Set<() => void>();
  /** State values groupState.ts does not know, each logged once. */
  private readonly unknownStates = new Set<string>();
  /** Cancelled runs whose worker is still winding down (stop() waits for them with the clean-ups). */
  private readonly windingDown = new Set<Promise<void>>();

  constructor(
    private readonly config: AciBackendConfig,
    private readonly log: Logger,
    private readonly makeClients: () => AciClients = () => createAciClients(config.aci),
    /** Azure's create, delete and read budgets, shared with every process on the same store. */
    private readonly budget: AzureBudget,
  ) {
    this.capacity = config.aci.mode === 'workers' ? config.aci.workers : config.aci.concurrency;
    this.cleanups = new Cleanups(() => this.targets(), log);
  }

  async start(): Promise<void> {
    const clients = this.makeClients();
    this.clients = clients;
    await clients.container.createIfNotExists();
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), this.config.aci.sweepIntervalMs);
    this.sweeper.unref();
    const { aci } = this.config;
    const watcher = new Watcher({
      clients,
      resourceGroup: aci.resourceGroup,
      budget: this.budget,
      times: { resultPollMs: aci.resultPollMs, statePollMs: aci.statePollMs, inspectMs: aci.inspectMs },
      log: this.log,
      noteStates: (id, notes, seen) => this.noteStates(id, notes, seen),
    });
    this.watcher = watcher;
    const common = {
      aci,
      limits: this.config.limits,
      times: this.times(),
      clients,
      log: this.log,
      budget: this.budget,
      watcher,
      createGroup: (name: string, tags: Record<string, string>, env: EnvVar[]) => this.createGroup(name, tags, env),
      discard: (job: CleanupJob) => this.cleanups.schedule(job),
    };
    if (aci.mode === 'workers') {
      this.fleet = new WorkerFleet({ ...common, startable: () => this.notifyStartable() });
      this.fleet.start();
    } else if (aci.warmPool > 0) {
      this.pool = new WarmPool({ ...common, startable: () => this.notifyStartable() });
      this.pool.fill();
    }
    this.log.info('aci backend ready', {
      resourceGroup: aci.resourceGroup,
      location: aci.location,
      mode: aci.mode,
      capacity: this.capacity,
    });
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.pool?.retireAll();
    this.fleet?.stop();
    await Promise.race([Promise.allSettled(this.windingDown), sleep(STOP_WAIT_MS)]);
    this.watcher?.stop();
    await this.cleanups.settle(STOP_WAIT_MS);
  }

  health(): { ok: boolean; detail: string } {
    const { aci } = this.config;
    const where = `${aci.resourceGroup} in ${aci.location}`;
    if (this.fleet) {
      const c = this.fleet.counts;
      return {
        ok: this.clients !== null,
        detail: `${where}, workers ${c.ready - c.busy} free, ${c.busy} busy, ${c.starting} starting (at most ${aci.workers})`,
      };
    }
    return { ok: this.clients !== null, detail: `${where}, warm pool ${this.pool?.readyCount ?? 0}/${aci.warmPool}` };
  }

  /**
   * The queue's gate: Azure allows a region 100 group creates per 5 minutes, shared by every process.
   * A run may start when a worker or a warm group is free for it, or when the shared budget gives it a
   * create; otherwise it waits in the queue, with when to look again and what each run further back adds.
   */
  async admitStart(runId: string, waiting = 1): Promise<StartGate> {
    if (this.fleet) return this.fleet.gate(waiting);
    if ((this.pool?.readyCount ?? 0) > 0) return { ok: true };
    const d = await this.budget.create(runId);
    if (d.ok) {
      this.grantedCreates++;
      return { ok: true };
    }
    // Each run further back waits about one create's share of the 5-minute window.
    return {
      ok: false,
      retryAfterMs: d.retryAfterMs,
      perRunMs: Math.ceil((5 * 60_000) / this.config.aci.budget.createsPer5Min),
    };
  }

  onStartable(listener: () => void): () => void {
    this.startable.add(listener);
    return () => this.startable.delete(listener);
  }

  /** Resolves when the warm pool is full and every member is waiting, or the idle workers are ready (for tests and the bench). */
  async poolReady(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const ready = (): boolean =>
      this.fleet
        ? this.fleet.counts.ready >= this.config.aci.workersIdle
        : (this.pool?.readyCount ?? 0) >= this.config.aci.warmPool;
    while (!ready()) {
      if (Date.now() > until) throw new Error('the warm pool did not fill in time');
      await sleep(100);
    }
  }

  /** Resolves when no clean-up runs in the background any more, or after timeoutMs (for tests). */
  async cleanupsDone(timeoutMs = 30_000): Promise<void> {
    await Promise.race([Promise.allSettled(this.windingDown), sleep(timeoutMs)]);
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
    const watcher = this.watcher;
    if (!clients || !watcher) throw new Error('the aci backend was not started');
    // Placement before anything is awaited: what the gate granted (a free worker, a ready pool group, a
    // create from the budget) belongs to this run.
    const placement = this.place(run.id);
    const { limits } = this.config;
    const prefix = `${RUNS_PREFIX}${new Date().toISOString().slice(0, 10)}/${run.id}/`;
    const created = Date.now();
    const window = runWindow(created, run.timeoutMs, this.times());
    const tags = expiryTags(window.expiresAt);
    const blob = (name: string) => clients.container.getBlockBlobClient(`${prefix}${name}`);
    const cleanup: CleanupJob = { id: run.id, group: null, prefixes: [prefix] };
    // A worker's future after this run (null: a cancel hands it to windDown). Not assigned yet: free again.
    let workerEnd: { retire: boolean; lost: boolean } | null = { retire: false, lost: false };
    try {
      run.onPhase('compiling');
      const hasStdin = run.stdin.length > 0;
      await Promise.all([
        blob('Program.cs').upload(run.source, Buffer.byteLength(run.source), {
          tags,
          blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
        }),
        hasStdin ? blob('stdin.txt').upload(run.stdin, Buffer.byteLength(run.stdin), { tags }) : undefined,
      ]);
      const [source, stdin, result] = await Promise.all([
        clients.sasUrl(blob('Program.cs'), 'r', window.sasTtlMinutes),
        hasStdin ? clients.sasUrl(blob('stdin.txt'), 'r', window.sasTtlMinutes) : null,
        clients.sasUrl(blob('result.json'), 'cw', window.sasTtlMinutes),
      ]);
      const urls: RunUrls = { source, stdin, result };
      const options: CompileOptions = {
        ...(run.optimize === undefined ? {} : { optimize: run.optimize }),
        ...(run.langVersion === undefined ? {} : { langVersion: run.langVersion }),
      };
      if (run.signal.aborted) return emptyResult('cancelled', 'cancelled');

      let group: string;
      let deadline = window.deadline;
      if (placement.kind === 'worker') {
        const w = placement.worker;
        group = w.group;
        deadline = Math.min(deadline, created + limits.compileTimeoutMs + run.timeoutMs + WORKER_SLACK_MS);
        const cancelUrl = await clients.sasUrl(blob('cancel'), 'r', window.sasTtlMinutes);
        if (run.signal.aborted) return emptyResult('cancelled', 'cancelled');
        await (this.fleet as WorkerFleet).assign(w, run.id, run.timeoutMs, urls, cancelUrl, options);
        // From here the worker has the run: until it reports, it is not trusted with another.
        workerEnd = { retire: false, lost: true };
      } else if (placement.kind === 'member') {
        // A warm group is waiting: its assignment is the run, as a cold container's environment would be.
        group = placement.group;
        cleanup.group = group;
        cleanup.prefixes.push(placement.prefix);
        const assignment = JSON.stringify(assignmentEnv(limits, run.timeoutMs, urls, options));
        await clients.container
          .getBlockBlobClient(`${placement.prefix}assignment.json`)
          .upload(assignment, Buffer.byteLength(assignment), { tags });
      } else {
        if (!placement.granted) {
          // Not through the queue's gate (or the pool emptied meanwhile): the budget decides here.
          const d = await this.budget.create(run.id);
          if (!d.ok) return atCapacity(d.retryAfterMs);
        }
        group = groupName(run.id);
        cleanup.group = group;
        await this.createGroup(
          group,
          {
            app: APP_TAG,
            runId: run.id,
            createdAt: new Date(created).toISOString(),
            expiresAt: window.expiresAt,
            instance: this.config.aci.instance,
          },
          containerEnv(limits, { kind: 'run', timeoutMs: run.timeoutMs, urls, options }),
          run.signal,
        );
      }

      const outcome = await watcher.until({
        id: run.id,
        group,
        resultBlob: `${prefix}result.json`,
        deadline,
        signal: run.signal,
        started: placement.kind !== 'cold',
      });
      if (outcome.kind === 'cancelled' && placement.kind === 'worker') {
        // The worker kills the run when it sees the cancel blob, then reports; it serves again after that.
        workerEnd = null;
        this.windDown(placement.worker, blob('cancel'), `${prefix}result.json`, deadline, cleanup);
        return emptyResult('cancelled', 'cancelled');
      }
      const verdict = await this.verdict(run, group, outcome, window.deadline - created, blob('result.json'));
      if (workerEnd)
        workerEnd = { retire: verdict.retire || LIMIT_STATUSES.has(verdict.result.status), lost: verdict.lost };
      return verdict.result;
    } catch (err) {
      if (run.signal.aborted) return emptyResult('cancelled', 'cancelled');
      const e = err as { statusCode?: number; code?: string; message?: string };
      if (e.statusCode === 429 || /quota/i.test(e.message ?? '')) {
        this.log.error('Azure refused the container group (quota or throttling)', {
          runId: run.id,
          code: e.code,
          status: e.statusCode,
          message: e.message,
        });
        return atCapacity(requestedWaitOf(err) ?? 60_000);
      }
      throw err;
    } finally {
      if (placement.kind === 'worker' && workerEnd)
        this.fleet?.release(placement.worker, workerEnd, Date.now() - created);
      // The result does not wait for the delete; a delete that fails or hangs is the sweeper's.
      if (workerEnd !== null || placement.kind !== 'worker') this.cleanups.schedule(cleanup);
    }
  }

  private place(runId: string): Placement {
    const granted = this.grantedCreates > 0;
    if (granted) this.grantedCreates--;
    const worker = this.fleet?.claim(runId);
    if (worker) return { kind: 'worker', worker };
    const member = this.pool?.take();
    if (member) {
      // The pool's own create paid for this group; a create the gate granted goes back unused.
      return { kind: 'member', group: member.group, prefix: member.prefix };
    }
    return { kind: 'cold', granted };
  }

  /** The run's verdict from its result, or from what its container left when there is none. */
  private async verdict(
    run: BackendRun,
    group: string,
    outcome: Outcome,
    windowMs: number,
    resultBlob: ReturnType<ContainerClient['getBlockBlobClient']>,
  ): Promise<{ result: RunResult; retire: boolean; lost: boolean }> {
    const { limits } = this.config;
    if (outcome.kind === 'cancelled')
      return { result: emptyResult('cancelled', 'cancelled'), retire: false, lost: true };
    if (outcome.kind === 'failed') {
      this.log.error('the container group will not produce a result', { runId: run.id, group, state: outcome.state });
      return {
        result: emptyResult('internal_error', `the cloud sandbox failed (Azure reported ${outcome.state})`),
        retire: true,
        lost: true,
      };
    }
    if (outcome.kind === 'deadline') {
      if (!outcome.started)
        return { result: emptyResult('internal_error', 'the sandbox did not start in time'), retire: true, lost: true };
      return {
        result: emptyResult(
          'timeout',
          `timed out (the sandbox did not finish within ${Math.round(windowMs / 1000)} s)`,
        ),
        retire: true,
        lost: true,
      };
    }
    // A container that exited may have uploaded its result after our last listing: read it either way.
    const facts: ContainerFacts | null = await resultBlob.downloadToBuffer().then(
      (b) => parseFacts(b.toString('utf8')),
      () => null,
    );
    if (!facts)
      return {
        result: await this.withoutFacts(run, group, outcome.kind === 'exited' ? outcome.exitCode : null),
        retire: true,
        lost: true,
      };
    if (facts.cancelled)
      return { result: emptyResult('cancelled', 'cancelled'), retire: facts.worker?.retiring ?? false, lost: false };
    const result = resultFromFacts(facts, {
      timeoutMs: run.timeoutMs,
      memoryBytes: limits.memoryBytes,
      maxProcesses: limits.maxProcesses,
      outputBytes: limits.outputBytes,
      compileTimeoutMs: limits.compileTimeoutMs,
    });
    if (facts.exec) run.onPhase('running');
    if (result.stdout) run.onOutput('stdout', result.stdout);
    if (result.stderr) run.onOutput('stderr', result.stderr);
    return { result, retire: facts.worker?.retiring ?? false, lost: false };
  }

  /** A cancelled run on a worker: the cancel blob tells it to kill the run; it is free again once it reports. */
  private windDown(
    w: Worker,
    cancelBlob: ReturnType<ContainerClient['getBlockBlobClient']>,
    resultBlob: string,
    deadline: number,
    cleanup: CleanupJob,
  ): void {
    const started = Date.now();
    const done = (async () => {
      let end = { retire: false, lost: true };
      try {
        await cancelBlob.upload('cancel', 6);
        const signal = AbortSignal.timeout(Math.max(1000, deadline - Date.now()));
        if (await (this.watcher as Watcher).blobAppears(resultBlob, signal)) {
          const facts = await (this.clients as AciClients).container
            .getBlockBlobClient(resultBlob)
            .downloadToBuffer()
            .then(
              (b) => parseFacts(b.toString('utf8')),
              () => null,
            );
          if (facts) end = { retire: facts.worker?.retiring ?? false, lost: false };
        }
      } catch (err) {
        this.log.warn('could not cancel a run on its worker; retiring the worker', {
          group: w.group,
          err: (err as Error).message,
        });
      } finally {
        this.fleet?.release(w, end, Date.now() - started);
        this.cleanups.schedule(cleanup);
      }
    })();
    this.windingDown.add(done);
    void done.finally(() => this.windingDown.delete(done));
  }

  /** The verdict on a container that uploaded no result, with the cause in our log. */
  private async withoutFacts(run: BackendRun, group: string, exitCode: number | null): Promise<RunResult> {
    const { aci: cfg } = this.config;
    if (exitCode === CONTAINER_EXIT.storageDenied) {
      this.log.error('storage refused the container a SAS URL (403): it expired or was revoked', {
        runId: run.id,
        group,
      });
    } else if (exitCode === CONTAINER_EXIT.missingSetting) {
      this.log.error('the sandbox image missed a setting it requires: is ACI_IMAGE built from this version?', {
        runId: run.id,
        group,
        image: cfg.image,
      });
    } else {
      this.log.error('the sandbox container left no result', { runId: run.id, exitCode });
    }
    const logs = await this.clients?.aci.containers
      .listLogs(cfg.resourceGroup, group, CONTAINER_NAME, { tail: 50 })
      .catch(() => ({ content: '' }));
    // The container's log holds the program's own output: user content, never at error level.
    this.log.debug('container log of the failed run', {
      runId: run.id,
      userContent: (logs?.content ?? '').slice(-200),
    });
    return resultWithoutFacts(exitCode, cfg.memoryGb);
  }

  private async createGroup(
    name: string,
    tags: Record<string, string>,
    env: EnvVar[],
    signal?: AbortSignal,
  ): Promise<void> {
    const { aci: cfg } = this.config;
    await (this.clients as AciClients).aci.containerGroups.beginCreateOrUpdate(
      cfg.resourceGroup,
      name,
      {
        location: cfg.location,
        osType: 'Linux',
        restartPolicy: 'Never',
        tags,
        containers: [
          {
            name: CONTAINER_NAME,
            image: cfg.image,
            resources: { requests: { cpu: cfg.cpu, memoryInGB: cfg.memoryGb } },
            environmentVariables: env,
          },
        ],
        // No ipAddress: nothing can connect in. Outbound is open unless the subnet's NSG limits it (README).
        ...(cfg.subnetIds.length > 0 ? { subnetIds: cfg.subnetIds.map((id) => ({ id })) } : {}),
        ...(cfg.registry ? { imageRegistryCredentials: [cfg.registry] } : {}),
      },
      { abortSignal: signal },
    );
  }

  /** An unknown state value is logged once per process; a trouble state once per run or member (`seen`). */
  private noteStates(id: string, notes: StateNote[], seen: Set<string>): void {
    for (const n of notes) {
      const key = `${n.field}=${n.value}`;
      const logged = n.meaning === 'unknown' ? this.unknownStates : seen;
      if (logged.has(key)) continue;
      logged.add(key);
      if (n.meaning === 'unknown')
        this.log.warn('a container group state this version does not know; treated as in progress until the deadline', {
          field: n.field,
          value: n.value,
        });
      else
        this.log.warn('a container group is in trouble; waiting for Azure to repair it', {
          id,
          field: n.field,
          value: n.value,
        });
    }
  }

  private times(): AciTimes {
    const { aci, limits } = this.config;
    return {
      startupAllowanceMs: aci.startupAllowanceMs,
      poolIdleMs: aci.poolIdleMs,
      sweepGraceMs: aci.sweepGraceMs,
      compileTimeoutMs: limits.compileTimeoutMs,
    };
  }

  private targets(): CleanupTargets {
    const clients = this.clients;
    if (!clients) throw new Error('the aci backend was not started');
    return {
      aci: clients.aci,
      container: clients.container,
      resourceGroup: this.config.aci.resourceGroup,
      budget: this.budget,
    };
  }

  private notifyStartable(): void {
    for (const l of this.startable) l();
  }
}

/** An honest refusal when Azure's budget is spent: when to try again, never a bare error. */
function atCapacity(retryAfterMs: number): RunResult {
  return emptyResult(
    'internal_error',
    `the cloud sandbox is at Azure's capacity for now; try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`,
  );
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
