// Deleting what a run or a pool member leaves behind (its container group, its blobs) off the run's
// critical path: the user's result goes back as soon as it is read, and the delete, a long-running ARM
// operation (200, or 202 and polling: research-12 §1.3), goes on in the background. Each clean-up has a
// deadline and is logged when it fails; the sweeper (sweep.ts) stays the backstop for anything left.
// stop() waits for the clean-ups still running, for a bounded time.
import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { ContainerClient } from '@azure/storage-blob';
import { setMaxListeners } from 'node:events';
import type { Logger } from '../../../log.js';
import type { AzureBudget } from './budget.js';

/** One clean-up, delete and blobs together. ACI deletes take seconds; a stuck one is the sweeper's. */
export const CLEANUP_DEADLINE_MS = 120_000;
/** How long stop() waits for clean-ups still running before it leaves them to the next start's sweep. */
export const STOP_WAIT_MS = 30_000;
/** Pause before the one retry of a failed delete. */
const RETRY_PAUSE_MS = 500;

export interface CleanupJob {
  /** For the log: the run or pool member. */
  id: string;
  /** The container group to delete (null: none was created). */
  group: string | null;
  /** Blob prefixes to empty (the run's, and a pool member's assignment). */
  prefixes: string[];
}

export interface CleanupTargets {
  aci: ContainerInstanceManagementClient;
  container: ContainerClient;
  resourceGroup: string;
  budget: AzureBudget;
}

/**
 * Deletes a group and waits for ARM to finish (200, 202 + polling, 204 when already gone). Deletes have
 * their own Azure quota (as creates do): each waits for room in the shared delete budget first.
 */
export async function deleteGroup(t: CleanupTargets, name: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    const d = await t.budget.delete(name);
    if (d.ok) break;
    await new Promise<void>((resolve, reject) => {
      const abort = () => {
        clearTimeout(timer);
        reject(new Error('the delete budget stayed spent until the clean-up deadline'));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', abort);
        resolve();
      }, d.retryAfterMs);
      signal.addEventListener('abort', abort, { once: true });
    });
  }
  const poller = await t.aci.containerGroups.beginDelete(t.resourceGroup, name, { abortSignal: signal });
  await poller.pollUntilDone({ abortSignal: signal });
}

/** Deletes every blob under a prefix. */
export async function deletePrefix(t: CleanupTargets, prefix: string, signal: AbortSignal): Promise<void> {
  const names: string[] = [];
  for await (const b of t.container.listBlobsFlat({ prefix, abortSignal: signal })) names.push(b.name);
  // Each delete below listens to this one signal (a worker's prefix holds a job blob per run it served).
  setMaxListeners(names.length + 16, signal);
  await Promise.all(
    names.map((n) => t.container.deleteBlob(n, { deleteSnapshots: 'include', abortSignal: signal }).catch(ignore404)),
  );
}

export class Cleanups {
  private readonly running = new Map<Promise<void>, AbortController>();

  constructor(
    private readonly targets: () => CleanupTargets,
    private readonly log: Logger,
    private readonly deadlineMs = CLEANUP_DEADLINE_MS,
  ) {}

  /** Clean-ups not finished yet. */
  get pending(): number {
    return this.running.size;
  }

  /** Starts a clean-up in the background; it never rejects (a failure is logged and left to the sweeper). */
  schedule(job: CleanupJob): void {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`not done within ${this.deadlineMs / 1000} s`)),
      this.deadlineMs,
    );
    const done = this.run(job, controller.signal).finally(() => {
      clearTimeout(timer);
      this.running.delete(done);
    });
    this.running.set(done, controller);
  }

  /** Waits for the clean-ups running now, at most boundMs; true when none is left. */
  async waitAll(boundMs: number): Promise<boolean> {
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), boundMs)));
    try {
      return await Promise.race([Promise.all(this.running.keys()).then(() => true), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** At shutdown: waits at most boundMs, then abandons what is left to the next start's sweep. */
  async settle(boundMs: number): Promise<void> {
    if (await this.waitAll(boundMs)) return;
    this.log.warn('clean-ups still running at shutdown; the sweeper will finish them', { pending: this.running.size });
    for (const controller of this.running.values()) controller.abort(new Error('the service is stopping'));
  }

  private async run(job: CleanupJob, signal: AbortSignal): Promise<void> {
    const t = this.targets();
    const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
      for (let i = 0; ; i++) {
        try {
          await fn();
          return;
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return;
          if (i === 1 || signal.aborted) {
            const cause = signal.aborted
              ? String(signal.reason instanceof Error ? signal.reason.message : signal.reason)
              : (err as Error).message;
            this.log.error(`could not delete the ${what}; the sweeper will`, {
              id: job.id,
              group: job.group,
              err: cause,
            });
            return;
          }
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        }
      }
    };
    const group = job.group;
    await Promise.all([
      group ? attempt('container group', () => deleteGroup(t, group, signal)) : undefined,
      ...job.prefixes.map((p) => attempt('run blobs', () => deletePrefix(t, p, signal))),
    ]);
  }
}

export function ignore404(err: unknown): void {
  if ((err as { statusCode?: number }).statusCode !== 404) throw err;
}
