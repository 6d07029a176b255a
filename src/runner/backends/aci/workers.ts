// Worker mode (ACI_MODE=workers): container groups that serve many runs each, one at a time, so that
// Azure's 100 creates per 5 minutes are not one per run. A worker's container (container/host/Worker.cs)
// polls for job i, runs it as a fresh user (uid 20000 + i) with its own scratch, wipes what that user
// left, uploads the facts and polls for job i + 1 (each job names the next). Here the service side:
// - claim(): a ready, free worker for the run at the head of the queue, taken synchronously;
// - assign(): the job blob (the run's SAS URLs, its limits, the next job's URL, its cancel blob);
// - release(): after the run, the worker serves again, or retires: after ACI_WORKER_RUNS runs, past its
//   lifetime, at once after a run that hit a limit, when it says it retires, or when it was lost;
// - a scaler that starts workers for the runs waiting, within the shared create budget (budget.ts), keeps
//   ACI_WORKERS_IDLE started while idle and retires the rest after ACI_WORKER_IDLE_MS without a run.
// The queue waits for a worker (admitStart in index.ts) with an estimate from what the fleet has seen.
import { randomUUID } from 'node:crypto';
import type { AciConfig, RunLimits } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { CompileOptions } from '../../types.js';
import type { AzureBudget } from './budget.js';
import type { CleanupJob } from './cleanup.js';
import type { AciClients } from './clients.js';
import { containerEnv, workerJob, type EnvVar, type RunUrls } from './containerEnv.js';
import { PROVISIONING_STATES } from './groupState.js';
import { ttlUntil, workerWindow, type AciTimes, type MemberWindow } from './lifetimes.js';
import { groupName } from './pool.js';
import { APP_TAG, expiryTags } from './sweep.js';
import type { Watcher } from './watch.js';

/** A worker that failed to start is replaced after this pause (Azure may be refusing). */
const RESTART_PAUSE_MS = 5000;
/** Until the fleet has seen some: what a worker's start-up and a run take, for the queue's estimates. */
const FIRST_GUESS = { startupMs: 30_000, runMs: 5000 };

export interface Worker {
  id: string;
  group: string;
  /** Blob prefix of its jobs. */
  prefix: string;
  createdAt: number;
  window: MemberWindow;
  ready: boolean;
  /** The run it serves now. */
  busy: string | null;
  /** Jobs handed to it so far. */
  served: number;
  /** When it last became free (idle retirement). */
  freeSince: number;
  retiring: boolean;
  untrack: () => void;
}

export interface FleetDeps {
  aci: AciConfig;
  limits: RunLimits;
  times: AciTimes;
  clients: AciClients;
  budget: AzureBudget;
  watcher: Watcher;
  log: Logger;
  createGroup(name: string, tags: Record<string, string>, env: EnvVar[]): Promise<void>;
  /** Deletes a worker's group and its job blobs in the background. */
  discard(job: CleanupJob): void;
  /** A worker came free or ready: the queue may start a run now. */
  startable(): void;
}

/** How a run on a worker ended, for the worker's future. */
export interface RunEnd {
  /** The worker says it leaves (facts.worker.retiring), or the run hit a limit. */
  retire: boolean;
  /** The worker did not report (exited, failed, timed out): it is not trusted with another run. */
  lost: boolean;
}

export class WorkerFleet {
  private readonly workers = new Set<Worker>();
  /** Runs waiting, as the queue last said (admitStart), and when it said so. */
  private waiting = 0;
  private waitingAt = 0;
  private creating = 0;
  private createBlockedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Running means of a worker's start-up and a run's time on it (for estimates). */
  private startupMs = FIRST_GUESS.startupMs;
  private runMs = FIRST_GUESS.runMs;

  constructor(private readonly deps: FleetDeps) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.deps.aci.statePollMs);
    this.timer.unref();
    this.scale();
  }

  /** Stops starting workers and retires every one not serving a run (those retire when their run ends). */
  stop(): void {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of [...this.workers]) if (!w.busy) this.retire(w, 'the service is stopping');
  }

  get counts(): { live: number; ready: number; busy: number; starting: number } {
    const live = [...this.workers].filter((w) => !w.retiring);
    return {
      live: live.length,
      ready: live.filter((w) => w.ready).length,
      busy: live.filter((w) => w.busy).length,
      starting: live.filter((w) => !w.ready).length,
    };
  }

  /** Whether a worker is free for the next run; if not, asks for one and estimates the wait. */
  gate(waiting: number): { ok: true } | { ok: false; retryAfterMs: number; perRunMs: number } {
    this.waitingAt = Date.now();
    if (this.free()) {
      // The head of the queue starts now: the rest still wait.
      this.waiting = Math.max(0, waiting - 1);
      return { ok: true };
    }
    this.waiting = waiting;
    this.scale();
    const { live, starting } = this.counts;
    // The next worker comes free within about a run (or a start-up when none runs yet); each run
    // further back waits a run's time shared by the workers there will be.
    const next = live - starting > 0 ? this.runMs : this.startupMs;
    const createWait = this.createBlockedUntil > Date.now() && live === 0 ? this.createBlockedUntil - Date.now() : 0;
    return {
      ok: false,
      retryAfterMs: Math.round(Math.max(next, createWait)),
      perRunMs: Math.round(this.runMs / Math.max(1, Math.min(this.deps.aci.workers, live + 1))),
    };
  }

  /** A ready, free worker, taken for the run (synchronously: the gate's grant is used at once). */
  claim(runId: string): Worker | null {
    const w = this.free();
    if (!w) return null;
    w.busy = runId;
    return w;
  }

  /** Writes the run's job for the worker (job n names job n + 1): it starts it within a poll (200 ms). */
  async assign(
    w: Worker,
    runId: string,
    timeoutMs: number,
    urls: RunUrls,
    cancelUrl: string,
    options: CompileOptions = {},
  ): Promise<void> {
    const { clients, limits } = this.deps;
    const n = w.served + 1;
    const nextJobUrl = await clients.sasUrl(
      clients.container.getBlockBlobClient(`${w.prefix}job-${n + 1}.json`),
      'r',
      ttlUntil(w.window.endsAt),
    );
    const job = JSON.stringify(workerJob(limits, timeoutMs, urls, { runId, nextJobUrl, cancelUrl }, options));
    // Tagged with the worker's expiry, so a sweep finds its jobs if the service dies.
    await clients.container
      .getBlockBlobClient(`${w.prefix}job-${n}.json`)
      .upload(job, Buffer.byteLength(job), { tags: expiryTags(w.window.expiresAt) });
    w.served = n;
  }

  /** The run on it is over: it serves again, or it retires. */
  release(w: Worker, end: RunEnd, runMs: number): void {
    w.busy = null;
    w.freeSince = Date.now();
    this.runMs = this.runMs * 0.8 + Math.max(1, runMs) * 0.2;
    if (this.stopping) this.retire(w, 'the service is stopping');
    else if (end.lost) this.retire(w, 'it did not report its run');
    else if (end.retire) this.retire(w, 'it hit a limit or said it leaves');
    else if (w.served >= this.deps.aci.workerRuns) this.retire(w, 'it served its runs');
    else if (Date.now() >= w.window.retireAt) this.retire(w, 'its lifetime is over');
    this.scale();
    this.deps.startable();
  }

  private free(): Worker | null {
    const now = Date.now();
    for (const w of this.workers)
      if (w.ready && !w.busy && !w.retiring && now < w.window.retireAt && w.served < this.deps.aci.workerRuns) return w;
    return null;
  }

  /** Starts workers for the runs waiting (and the idle reserve), within the create budget. */
  private scale(): void {
    if (this.stopping) return;
    // A queue that still waits asks again within its estimate; one that said nothing for a start-up
    // allowance was emptied some other way (cancels), and must not keep workers starting.
    if (Date.now() - this.waitingAt > this.deps.aci.startupAllowanceMs) this.waiting = 0;
    const { live, busy } = this.counts;
    const want = Math.min(this.deps.aci.workers, Math.max(this.deps.aci.workersIdle, busy + this.waiting));
    const starting = want - live - this.creating;
    for (let i = 0; i < starting; i++) void this.add();
  }

  private async add(): Promise<void> {
    if (Date.now() < this.createBlockedUntil) return;
    this.creating++;
    const id = randomUUID();
    try {
      const budget = await this.deps.budget.create(id);
      if (!budget.ok) {
        this.createBlockedUntil = Date.now() + budget.retryAfterMs;
        return;
      }
      await this.launch(id);
    } catch (err) {
      this.deps.log.error('could not start a worker group', { err: (err as Error).message });
      this.createBlockedUntil = Date.now() + RESTART_PAUSE_MS;
    } finally {
      this.creating--;
    }
  }

  private async launch(id: string): Promise<void> {
    const { aci: cfg, limits, times, clients } = this.deps;
    const createdAt = Date.now();
    const window = workerWindow(createdAt, limits.timeoutMs, times, cfg.workerLifetimeMs);
    const prefix = `workers/${id}/`;
    const firstJobUrl = await clients.sasUrl(
      clients.container.getBlockBlobClient(`${prefix}job-1.json`),
      'r',
      window.sasTtlMinutes,
    );
    const w: Worker = {
      id,
      group: groupName(id),
      prefix,
      createdAt,
      window,
      ready: false,
      busy: null,
      served: 0,
      freeSince: createdAt,
      retiring: false,
      untrack: () => undefined,
    };
    this.workers.add(w);
    w.untrack = this.deps.watcher.track(w.group);
    try {
      await this.deps.createGroup(
        w.group,
        {
          app: APP_TAG,
          worker: 'true',
          runId: id,
          createdAt: new Date(createdAt).toISOString(),
          expiresAt: window.expiresAt,
          instance: cfg.instance,
        },
        containerEnv(limits, {
          kind: 'worker',
          jobUrl: firstJobUrl,
          maxRuns: cfg.workerRuns,
          lifetimeMs: cfg.workerLifetimeMs,
        }),
      );
    } catch (err) {
      this.retire(w, 'its create failed');
      throw err;
    }
  }

  /** Readiness from the listing, start-up deadlines, idle and lifetime retirement. */
  private tick(): void {
    const now = Date.now();
    for (const w of [...this.workers]) {
      if (w.retiring) continue;
      if (!w.ready) {
        const state = this.deps.watcher.provisioning(w.group);
        if (state === 'Succeeded') {
          w.ready = true;
          w.freeSince = now;
          this.startupMs = this.startupMs * 0.8 + (now - w.createdAt) * 0.2;
          this.deps.startable();
        } else if (state !== undefined && PROVISIONING_STATES[state] === 'terminal') {
          this.retire(w, `Azure reported provisioningState ${state}`);
          this.createBlockedUntil = Math.max(this.createBlockedUntil, now + RESTART_PAUSE_MS);
        } else if (now > w.createdAt + this.deps.aci.startupAllowanceMs) {
          this.retire(w, 'it did not start in time');
        }
        continue;
      }
      if (w.busy) continue;
      const idleTooLong =
        now - w.freeSince > this.deps.aci.workerIdleMs && this.counts.live > this.deps.aci.workersIdle;
      if (idleTooLong) this.retire(w, 'idle');
      else if (now >= w.window.retireAt) this.retire(w, 'its lifetime is over');
    }
    this.scale();
  }

  private retire(w: Worker, why: string): void {
    if (w.retiring) return;
    w.retiring = true;
    this.workers.delete(w);
    w.untrack();
    this.deps.log.info('worker retired', { group: w.group, served: w.served, why });
    this.deps.discard({ id: w.id, group: w.group, prefixes: [w.prefix] });
  }
}
