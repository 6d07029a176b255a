// The warm pool (ACI_WARM_POOL): container groups kept started, each waiting with a warm compiler for one
// assignment blob that carries its run, so a run does not wait for ACI's start-up. A member serves one
// run and is deleted with it; one nobody took is retired before its container stops waiting (counted
// from its create, lifetimes.ts) and replaced, in the background.
import { randomUUID } from 'node:crypto';
import type { AciConfig, RunLimits } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { CleanupJob } from './cleanup.js';
import type { AciClients } from './clients.js';
import { containerEnv, type EnvVar } from './containerEnv.js';
import { readGroup, type StateNote } from './groupState.js';
import { memberWindow, type AciTimes } from './lifetimes.js';
import { APP_TAG } from './sweep.js';

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
  /** Deletes a member's group and assignment in the background. */
  discard(job: CleanupJob): void;
  /** Logs what readGroup noted (unknown or transient states); `seen` holds what this member already logged. */
  noteStates(id: string, notes: StateNote[], seen: Set<string>): void;
}

export class WarmPool {
  private readonly members = new Set<PoolMember>();
  private stopping = false;

  constructor(private readonly deps: PoolDeps) {}

  get readyCount(): number {
    return [...this.members].filter((m) => m.ready && !m.taken).length;
  }

  /** Starts members until the pool has its size again; each starts in the background. */
  fill(): void {
    const { aci, times, limits, log } = this.deps;
    while (!this.stopping && this.members.size < aci.warmPool) {
      const id = randomUUID();
      const created = Date.now();
      const window = memberWindow(created, limits.timeoutMs, times);
      const m: PoolMember = { id, group: groupName(id), prefix: `pool/${id}/`, retireAt: window.retireAt, ready: false, taken: false, retireTimer: null };
      this.members.add(m);
      // Counted from the create, not from readiness: its container may have started any time since.
      m.retireTimer = setTimeout(() => {
        this.retire(m);
        this.fill();
      }, Math.max(0, m.retireAt - created));
      m.retireTimer.unref();
      void this.start(m, created, window).catch((err: unknown) => {
        log.error('could not start a warm pool group', { group: m.group, err: (err as Error).message });
        this.retire(m);
        setTimeout(() => this.fill(), REFILL_PAUSE_MS).unref();
      });
    }
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
    for (const m of [...this.members]) this.retire(m);
  }

  private async start(m: PoolMember, created: number, window: ReturnType<typeof memberWindow>): Promise<void> {
    const { aci: cfg, limits, clients, log } = this.deps;
    const assignmentUrl = await clients.sasUrl(clients.container.getBlockBlobClient(`${m.prefix}assignment.json`), 'r', window.sasTtlMinutes);
    await this.deps.createGroup(
      m.group,
      { app: APP_TAG, pool: 'true', runId: m.id, createdAt: new Date(created).toISOString(), expiresAt: window.expiresAt, instance: cfg.instance },
      containerEnv(limits, { kind: 'pool-member', assignmentUrl, waitMs: window.waitMs }),
    );
    // Ready once its container runs (and waits for the assignment). Past its retirement it is no use.
    const until = Math.min(created + cfg.startupAllowanceMs, m.retireAt);
    let delay = 200;
    const trouble = new Set<string>();
    while (!m.taken && !this.stopping) {
      const g = await clients.aci.containerGroups.get(cfg.resourceGroup, m.group).catch((err: { statusCode?: number }) => (err.statusCode === 404 ? null : Promise.reject(err)));
      const { phase, notes } = readGroup(g);
      this.deps.noteStates(m.id, notes, trouble);
      if (phase.phase === 'running') break;
      if (phase.phase === 'exited') throw new Error(`its container exited before any run (exit code ${phase.exitCode ?? 'unknown'})`);
      if (phase.phase === 'failed') throw new Error(`Azure reported ${phase.state}`);
      if (Date.now() > until) {
        if (until === m.retireAt) log.warn('a warm pool group started too late to serve before its retirement; raise ACI_POOL_IDLE_MS', { group: m.group });
        throw new Error('it did not start in time');
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(1000, Math.round(delay * 1.5));
    }
    if (!m.taken) m.ready = true;
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
