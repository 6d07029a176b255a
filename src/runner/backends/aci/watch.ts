// How the backend learns that a run is over without asking ARM about each group over and over: ARM
// refills reads at about 25 a second per principal (bucket of 250), and polling every running group
// every 250 ms spent that at six runs. Instead, per process and per tick:
// - results: one Storage listing of the run blobs finds every result uploaded since the last tick
//   (Storage serves thousands of requests a second per account; ARM is never asked);
// - states: one ARM listing of the resource group gives every group's provisioning state (the listing
//   leaves instance views out), which says when a group failed or its container started;
// - a group that still owes a result is read by itself only every ACI_INSPECT_MS (5 s, not 250 ms), to
//   find a container that exited without one or a group someone stopped (only its own view says so).
// Every ARM read goes through the shared read budget (budget.ts), so all processes together stay under
// the bucket; a read the budget refuses waits for the next tick.
import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { Logger } from '../../../log.js';
import type { AzureBudget } from './budget.js';
import type { AciClients } from './clients.js';
import { PROVISIONING_STATES, readGroup, type StateNote } from './groupState.js';

export type Outcome =
  /** Its result blob is there. */
  | { kind: 'result' }
  /** The container is done and no result was seen: read it once more, then judge without it. */
  | { kind: 'exited'; exitCode: number | null }
  | { kind: 'cancelled' }
  | { kind: 'deadline'; started: boolean }
  /** It will never report a result; `state` names the value that said so. */
  | { kind: 'failed'; state: string };

export interface Watch {
  /** For the log. */
  id: string;
  group: string;
  /** Full blob name of its result. */
  resultBlob: string;
  deadline: number;
  signal: AbortSignal;
  /** Its container is known to run already (a warm pool member, a worker). */
  started: boolean;
}

export interface WatcherDeps {
  clients: AciClients;
  resourceGroup: string;
  budget: AzureBudget;
  times: { resultPollMs: number; statePollMs: number; inspectMs: number };
  log: Logger;
  /** Logs what readGroup noted; `seen` holds what this run already logged. */
  noteStates(id: string, notes: StateNote[], seen: Set<string>): void;
}

interface Waiter {
  w: Watch;
  started: boolean;
  lastInspect: number;
  inspecting: boolean;
  trouble: Set<string>;
  settle(o: Outcome): void;
}

/** Where result blobs live (the prefix the listing reads). */
export const RUNS_PREFIX = 'runs/';

export class Watcher {
  private readonly waiters = new Set<Waiter>();
  /** Blob names a caller waits for outside a run (a worker's result after a cancel). */
  private readonly blobWaiters = new Map<string, Set<() => void>>();
  private readonly tracked = new Map<string, number>();
  /** Provisioning state of each tracked group in the last listing (absent: not listed). */
  private listed = new Map<string, string>();
  private resultTimer: NodeJS.Timeout | null = null;
  private stateTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: WatcherDeps) {}

  stop(): void {
    this.stopped = true;
    if (this.resultTimer) clearTimeout(this.resultTimer);
    if (this.stateTimer) clearTimeout(this.stateTimer);
    for (const waiter of [...this.waiters]) waiter.settle({ kind: 'cancelled' });
  }

  /** The provisioning state the last listing showed for a tracked group (undefined: not listed yet). */
  provisioning(group: string): string | undefined {
    return this.listed.get(group);
  }

  /** Keeps a group in the listing's view (pool members, workers); returns the release. */
  track(group: string): () => void {
    this.tracked.set(group, (this.tracked.get(group) ?? 0) + 1);
    this.schedule();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.tracked.get(group) ?? 1) - 1;
      if (n > 0) this.tracked.set(group, n);
      else this.tracked.delete(group);
    };
  }

  /** Resolves when the blob is listed, or when the signal aborts (false). */
  blobAppears(name: string, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const set = this.blobWaiters.get(name) ?? new Set();
      const done = (found: boolean) => {
        set.delete(wake);
        if (set.size === 0) this.blobWaiters.delete(name);
        signal.removeEventListener('abort', abort);
        resolve(found);
      };
      const wake = () => done(true);
      const abort = () => done(false);
      set.add(wake);
      this.blobWaiters.set(name, set);
      signal.addEventListener('abort', abort, { once: true });
      this.schedule();
    });
  }

  /** Waits until the run's result is there, its container is done without one, it failed, or time is up. */
  until(w: Watch): Promise<Outcome> {
    if (w.signal.aborted) return Promise.resolve({ kind: 'cancelled' });
    const release = this.track(w.group);
    return new Promise<Outcome>((resolve) => {
      const waiter: Waiter = {
        w,
        started: w.started,
        lastInspect: Date.now(),
        inspecting: false,
        trouble: new Set(),
        settle: (o) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timer);
          w.signal.removeEventListener('abort', abort);
          release();
          resolve(o);
        },
      };
      const abort = () => waiter.settle({ kind: 'cancelled' });
      const timer = setTimeout(
        () => waiter.settle({ kind: 'deadline', started: waiter.started }),
        Math.max(0, w.deadline - Date.now()),
      );
      w.signal.addEventListener('abort', abort, { once: true });
      this.waiters.add(waiter);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    if (!this.resultTimer && (this.waiters.size > 0 || this.blobWaiters.size > 0)) {
      this.resultTimer = setTimeout(() => void this.resultTick(), this.deps.times.resultPollMs);
    }
    if (!this.stateTimer && this.tracked.size > 0) {
      this.stateTimer = setTimeout(() => void this.stateTick(), this.deps.times.statePollMs);
    }
  }

  private async resultTick(): Promise<void> {
    try {
      const wanted = new Map<string, () => void>();
      for (const waiter of this.waiters) wanted.set(waiter.w.resultBlob, () => waiter.settle({ kind: 'result' }));
      for (const [name, set] of this.blobWaiters) for (const wake of set) wanted.set(name, wake);
      if (wanted.size > 0) {
        for await (const b of this.deps.clients.container.listBlobsFlat({ prefix: RUNS_PREFIX })) {
          if (!b.name.endsWith('.json')) continue;
          wanted.get(b.name)?.();
          for (const wake of [...(this.blobWaiters.get(b.name) ?? [])]) wake();
        }
      }
    } catch (err) {
      this.deps.log.warn('could not list run results; trying again', { err: (err as Error).message });
    } finally {
      this.resultTimer = null;
      this.schedule();
    }
  }

  private async stateTick(): Promise<void> {
    try {
      if (this.tracked.size > 0 && (await this.deps.budget.read('list')).ok) {
        const listed = new Map<string, string>();
        for await (const g of this.deps.clients.aci.containerGroups.listByResourceGroup(this.deps.resourceGroup)) {
          if (g.name && this.tracked.has(g.name)) listed.set(g.name, g.provisioningState ?? '');
        }
        this.listed = listed;
      }
      await Promise.all([...this.waiters].map((waiter) => this.look(waiter)));
    } catch (err) {
      this.deps.log.warn('could not list the container groups; trying again', { err: (err as Error).message });
    } finally {
      this.stateTimer = null;
      this.schedule();
    }
  }

  /**
   * After a listing: each run's group is read by itself every ACI_INSPECT_MS (its exit code, a stopped
   * group and the states the listing leaves out are only in its own view), at once when the listing shows
   * a final provisioning state; every read within the budget.
   */
  private async look(waiter: Waiter): Promise<void> {
    if (waiter.inspecting) return;
    const state = this.listed.get(waiter.w.group);
    if (state === 'Succeeded') waiter.started = true;
    const final = state !== undefined && PROVISIONING_STATES[state] === 'terminal';
    if (!final && Date.now() - waiter.lastInspect < this.deps.times.inspectMs) return;
    if (!(await this.deps.budget.read(waiter.w.id)).ok) return;
    waiter.inspecting = true;
    waiter.lastInspect = Date.now();
    try {
      const g: ContainerGroup | null = await this.deps.clients.aci.containerGroups
        .get(this.deps.resourceGroup, waiter.w.group, { abortSignal: waiter.w.signal })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode === 404) return null;
          throw err;
        });
      const { phase, notes } = readGroup(g);
      this.deps.noteStates(waiter.w.id, notes, waiter.trouble);
      if (phase.phase === 'running') waiter.started = true;
      if (phase.phase === 'exited') waiter.settle({ kind: 'exited', exitCode: phase.exitCode });
      else if (phase.phase === 'failed') waiter.settle({ kind: 'failed', state: phase.state });
    } catch (err) {
      if (!waiter.w.signal.aborted)
        this.deps.log.warn('could not read a container group; trying again', {
          id: waiter.w.id,
          group: waiter.w.group,
          err: (err as Error).message,
        });
    } finally {
      waiter.inspecting = false;
    }
  }
}
