// How long what the aci backend creates may live, every window counted from the moment it is created:
// the deadline of a run, the lifetime of the SAS URLs its container uses, the expiry its group and blobs
// are tagged with (after which the sweeper may take them), and for a warm pool member the moment it must
// stop taking runs. One place, so a SAS can never expire while its container may still need it.

export interface AciTimes {
  startupAllowanceMs: number;
  poolIdleMs: number;
  sweepGraceMs: number;
  compileTimeoutMs: number;
}

/**
 * Added to every SAS lifetime: the URL is signed a moment after the window opens (uploads first), and
 * storage's clock may run ahead of ours. clients.ts backdates the start by a minute for the same reason.
 */
export const SAS_SLACK_MS = 60_000;

/**
 * Before a member's container stops waiting, time for the assignment upload and the container's next look
 * (it polls every 100 ms). A quarter of the idle time at most, so a short ACI_POOL_IDLE_MS still leaves a
 * member time to serve.
 */
export const HANDOVER_MARGIN_MS = 15_000;

export interface RunWindow {
  /** When the run stops waiting for its container. */
  deadline: number;
  /** Lifetime of its SAS URLs, signed now (clients.sasUrl counts whole minutes). */
  sasTtlMinutes: number;
  /** Tagged on its group and blobs: past this (and the grace), what is left is the sweeper's. */
  expiresAt: string;
}

/** A cold run: start-up, compile and the program's own limit, from its first upload. */
export function runWindow(createdAt: number, timeoutMs: number, t: AciTimes): RunWindow {
  const lifeMs = t.startupAllowanceMs + t.compileTimeoutMs + timeoutMs;
  return {
    deadline: createdAt + lifeMs,
    sasTtlMinutes: minutes(lifeMs + SAS_SLACK_MS),
    expiresAt: new Date(createdAt + lifeMs + t.sweepGraceMs).toISOString(),
  };
}

export interface MemberWindow {
  /** How long its container waits for an assignment, counted by the container from its own start. */
  waitMs: number;
  /** The last moment a run may take it (then it is deleted and replaced). */
  retireAt: number;
  /** Lifetime of its assignment SAS, signed now. */
  sasTtlMinutes: number;
  /** Tagged on its group and assignment prefix. */
  expiresAt: string;
  /** The latest moment its container may still use a URL it is given. */
  endsAt: number;
}

/**
 * A warm pool member. Its container starts some time within the start-up allowance and then waits
 * poolIdleMs for an assignment; we never know its start exactly (ACI's view lags), only that it is no
 * earlier than the create. So it is retired poolIdleMs after the create, less the handover margin: its
 * container is still waiting then, however fast it started. Its SAS and its expiry tag outlive the
 * longest life it can have: a slow start, the whole wait, then a run taken at the last moment.
 */
export function memberWindow(createdAt: number, maxRunTimeoutMs: number, t: AciTimes): MemberWindow {
  return serviceWindow(createdAt, maxRunTimeoutMs, t, t.poolIdleMs);
}

/**
 * A worker (workers.ts): the same reasoning with its lifetime in place of the pool's idle time. It takes
 * its last job before retireAt, while its container (which counts the lifetime from its own start, never
 * earlier than the create) still takes jobs; every SAS it is given lives as long as it can.
 */
export function workerWindow(
  createdAt: number,
  maxRunTimeoutMs: number,
  t: AciTimes,
  lifetimeMs: number,
): MemberWindow {
  return serviceWindow(createdAt, maxRunTimeoutMs, t, lifetimeMs);
}

function serviceWindow(createdAt: number, maxRunTimeoutMs: number, t: AciTimes, waitMs: number): MemberWindow {
  const lifeMs = t.startupAllowanceMs + waitMs + t.compileTimeoutMs + maxRunTimeoutMs;
  return {
    waitMs,
    retireAt: createdAt + waitMs - Math.min(HANDOVER_MARGIN_MS, waitMs / 4),
    sasTtlMinutes: minutes(lifeMs + SAS_SLACK_MS),
    expiresAt: new Date(createdAt + lifeMs + t.sweepGraceMs).toISOString(),
    endsAt: createdAt + lifeMs,
  };
}

/** Minutes a SAS signed at `now` must live to serve until `endsAt`. */
export function ttlUntil(endsAt: number, now = Date.now()): number {
  return minutes(Math.max(0, endsAt - now) + SAS_SLACK_MS);
}

function minutes(ms: number): number {
  return Math.ceil(ms / 60_000);
}
