// The warm pool (ACI_WARM_POOL): container groups kept started, each waiting with a warm compiler for one
// assignment blob that carries its run, so a run does not wait for ACI's start-up. A member serves one
// run and is deleted with it; one nobody took is retired before its container stops waiting (counted
// from its create, lifetimes.ts) and replaced, in the background. Every member's create comes out of the
// shared create budget (budget.ts): pool churn counts against Azure's quota like any run's create.
// Readiness comes from the watcher's one listing of all groups (watch.ts), not a read per member.
import { randomUUID } from 'node:crypto';
import type { AciConfig, RunLimits } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { CleanupJob } from './cleanup.js';
import type { AciClients } from './clients.js';
import { containerEnv, type EnvVar } from './containerEnv.js';
import type { AzureBudget } from './budget.js';
import { PROVISIONING_STATES } from './groupState.js';
import { memberWindow, type AciTimes } from './lifetimes.js';
import { APP_TAG } from './sweep.js';
import type { Watcher } from './watch.js';

/** A member that failed to start is replaced after this pause (not at once: Azure may be refusing). */
const REFILL_PAUSE_MS = 5000;

export interface PoolMember {
  id: string;
  group: string;
  /** Blob prefix of its assignment. */
  prefix: string;
  /** The last moment a run may take it. */
  retireAt: number;
  ready: boolean;
  taken: boolean;
  retireTimer: NodeJS.Timeout | null;
}

export interface PoolDeps {
  aci: AciConfig;
  limits: RunLimits;
  times: AciTimes;
  clients: AciClients;
  log: Logger;
  createGroup(name: string, tags: Record<string, string>, env: EnvVar[]): Promise<void>;
  budget: AzureBudget;
  watcher: Watcher;
  /** Deletes a member's group and assignment in the background. */
  discard(job: CleanupJob): void;
  /** A member is ready: the queue may start a run now. */
  startable(): void;
}

export class WarmPool {
  private readonly members = new Set<PoolMember>();
  private stopping = false;
  /** Creates refused by the budget: the pool tries again when it has room (one timer). */
  private refillTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PoolDeps) {}

  get readyCount(): number {
    return [...this.members].filter((m) => m.ready && !m.taken).length;
  }

  /** Starts members until the pool has its size again; each starts in the background, within the create budget. */
  fill(): void {
    const { aci, times, limits, log } = this.deps;
    while (!this.stopping && !this.refillTimer && this.members.size < aci.warmPool) {
      const id = randomUUID();
      const created = Date.now();
      const window = memberWindow(created, limits.timeoutMs, times);
      const m: PoolMember = {
        id,
        group: groupName(id),
        prefix: `pool/${id}/`,
        retireAt: window.retireAt,
        ready: false,
        taken: false,
        retireTimer: null,
      };
      this.members.add(m);
      // Counted from the create, not from readiness: its container may have started any time since.
      m.retireTimer = setTimeout(
        () => {
          this.retire(m);
          this.fill();
        },
        Math.max(0, m.retireAt - created),
      );
      m.retireTimer.unref();
      void this.start(m, created, window).catch((err: unknown) => {
        if (err instanceof OverBudget) {
          this.members.delete(m);
          if (m.retireTimer) clearTimeout(m.retireTimer);
          this.refillAfter(err.retryAfterMs);
          return;
        }
        log.error('could not start a warm pool group', { group: m.group, err: (err as Error).message });
        this.retire(m);
        this.refillAfter(REFILL_PAUSE_MS);
      });
    }
  }

  private refillAfter(ms: number): void {
    if (this.refillTimer || this.stopping) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.fill();
    }, ms);
    this.refillTimer.unref();
  }

  /** A ready member for a run, or null; the pool refills in the background. */
  take(): PoolMember | null {
    const m = [...this.members].find((x) => x.ready && !x.taken && Date.now() < x.retireAt);
    if (!m) return null;
    m.taken = true;
    if (m.retireTimer) clearTimeout(m.retireTimer);
    this.members.delete(m);
    this.fill();
    return m;
  }

  /** Stops refilling and deletes every member nobody took. */
  retireAll(): void {
    this.stopping = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    for (const m of [...this.members]) this.retire(m);
  }

  private async start(m: PoolMember, created: number, window: ReturnType<typeof memberWindow>): Promise<void> {
    const { aci: cfg, limits, clients, log, watcher } = this.deps;
    const budget = await this.deps.budget.create(m.id);
    if (!budget.ok) throw new OverBudget(budget.retryAfterMs);
    const assignmentUrl = await clients.sasUrl(
      clients.container.getBlockBlobClient(`${m.prefix}assignment.json`),
      'r',
      window.sasTtlMinutes,
    );
    await this.deps.createGroup(
      m.group,
      {
        app: APP_TAG,
        pool: 'true',
        runId: m.id,
        createdAt: new Date(created).toISOString(),
        expiresAt: window.expiresAt,
        instance: cfg.instance,
      },
      containerEnv(limits, { kind: 'pool-member', assignmentUrl, waitMs: window.waitMs }),
    );
    // Ready once its container runs (provisioning Succeeded: "its containers in the running state").
    // Past its retirement it is no use.
    const until = Math.min(created + cfg.startupAllowanceMs, m.retireAt);
    const untrack = watcher.track(m.group);
    try {
      while (!m.taken && !this.stopping) {
        const state = watcher.provisioning(m.group);
        if (state === 'Succeeded') break;
        if (state !== undefined && PROVISIONING_STATES[state] === 'terminal')
          throw new Error(`Azure reported provisioningState ${state}`);
        if (Date.now() > until) {
          if (until === m.retireAt)
            log.warn('a warm pool group started too late to serve before its retirement; raise ACI_POOL_IDLE_MS', {
              group: m.group,
            });
          throw new Error('it did not start in time');
        }
        await new Promise((r) => setTimeout(r, cfg.statePollMs));
      }
    } finally {
      untrack();
    }
    if (!m.taken && !this.stopping) {
      m.ready = true;
      this.deps.startable();
    }
  }

  /** Deletes a member that was not (or is no longer) needed, with its assignment prefix. */
  private retire(m: PoolMember): void {
    if (m.retireTimer) clearTimeout(m.retireTimer);
    this.members.delete(m);
    if (m.taken) return;
    m.taken = true;
    this.deps.discard({ id: m.id, group: m.group, prefixes: [m.prefix] });
  }
}

/** A valid ARM name (lowercase letters, digits, dashes; ≤ 63) from a run or member id. */
export function groupName(id: string): string {
  return `sb-${id.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 63);
}

/** The create budget is spent: the member was never created; the pool tries again after retryAfterMs. */
class OverBudget extends Error {
  constructor(readonly retryAfterMs: number) {
    super('the create budget is spent');
  }
}
