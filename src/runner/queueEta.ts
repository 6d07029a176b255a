// When a queued run should start, and when that is worth telling it again. Pure: the runner (index.ts)
// brings the clock and the facts.
//
// Only a backend with a start gate (backend.ts: Azure's create quota) says when runs may start; it says
// when the next may (`opensAt`) and about how far apart the ones after it (`perRunMs`). A run further
// back than the free places also needs a running run to end first. Those end `capacity` at a time,
// each after about the typical execution (a moving average of the ones seen); both waits pass at once,
// so the later of the two is the estimate. Before any run has ended there is no typical execution, and
// the estimate is the gate's alone (the earliest it can be).

/** The backend's last refusal to start a run. */
export interface GateWait {
  /** When it said the next run may start (ms since the epoch). */
  opensAt: number;
  perRunMs: number;
}

export interface QueueFacts {
  now: number;
  capacity: number;
  running: number;
  /** About how long one execution takes, or null before any ended. */
  typicalRunMs: number | null;
}

/** When the run at `position` (1 = next) should start, in ms since the epoch. */
export function estimateStart(position: number, gate: GateWait, q: QueueFacts): number {
  const gateAt = Math.max(q.now, gate.opensAt) + (position - 1) * gate.perRunMs;
  const free = Math.max(0, q.capacity - q.running);
  if (position <= free || q.typicalRunMs === null) return gateAt;
  const rounds = Math.ceil((position - free) / q.capacity);
  return Math.max(gateAt, q.now + rounds * q.typicalRunMs);
}

/** A new estimate that moved less than this is not sent: each queued event may be an edit of a Discord message. */
export const ETA_CHANGE_MS = 5000;

export interface QueueNotice {
  position: number;
  /** When it should start (ms since the epoch), or null when nobody said. */
  startsAt: number | null;
}

/** Whether `next` tells a run anything that `last` did not: a new place, an estimate gained or lost, or one that moved by ETA_CHANGE_MS or more. */
export function worthTelling(last: QueueNotice, next: QueueNotice): boolean {
  if (last.position !== next.position) return true;
  if (last.startsAt === null || next.startsAt === null) return last.startsAt !== next.startsAt;
  return Math.abs(next.startsAt - last.startsAt) >= ETA_CHANGE_MS;
}

/** The typical execution after one more: a moving average that follows a change within a few runs. */
export function nextTypicalRunMs(typical: number | null, tookMs: number): number {
  return typical === null ? tookMs : typical + 0.2 * (tookMs - typical);
}
