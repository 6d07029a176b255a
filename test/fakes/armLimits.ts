// The request limits Azure puts on the ARM fake's callers, each with its Azure default and the document
// it follows (all summarised, with sources, in /work/shared/research and research-12 §2–§3):
//
// - ARM's token buckets ("Understand how Azure Resource Manager throttles requests",
//   learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling, the
//   2024 regional token-bucket model): per subscription, per security principal and per operation type,
//   reads 250 tokens refilled 25 a second, writes and deletes 200 refilled 10 a second; plus a global
//   bucket per subscription and type, shared by all principals, 15 times as large. The remaining tokens go
//   back in x-ms-ratelimit-remaining-subscription-{reads,writes,deletes} and -global-…
// - Container Instances' own create and delete budgets ("Resource availability & quota limits for
//   ACI", container-instances-resource-and-quota-limits.md, ms.date 11/17/2025): 100 creates per 5
//   minutes and 300 per hour, and the same for deletes, per subscription and region. The remaining
//   budget goes back in x-ms-ratelimit-remaining-subscription-resource-requests-pt5m / -pt1h, as in the
//   SDK team's recordings of the real service.
//
// Time is the fake's clock, in fake milliseconds; turning a wait into a Retry-After is arm.ts's job.
import type { Clock } from './clock.js';

export interface WindowRule {
  limit: number;
  windowMs: number;
}

export interface BucketRule {
  size: number;
  refillPerSecond: number;
}

export type ArmOperation = 'reads' | 'writes' | 'deletes';
export type AciAction = 'creates' | 'deletes';

export interface ArmLimitRules {
  /** ARM's bucket per subscription and principal, by operation type. */
  buckets: Record<ArmOperation, BucketRule>;
  /** The global bucket per subscription is this many times a principal's (request-limits-and-throttling). */
  globalFactor: number;
  /** ACI's sliding windows per subscription and region: the 5-minute one first, then the hour. */
  aci: Record<AciAction, WindowRule[]>;
}

export const AZURE_LIMITS: Readonly<ArmLimitRules> = {
  buckets: {
    reads: { size: 250, refillPerSecond: 25 },
    writes: { size: 200, refillPerSecond: 10 },
    deletes: { size: 200, refillPerSecond: 10 },
  },
  globalFactor: 15,
  aci: {
    creates: [
      { limit: 100, windowMs: 5 * 60_000 },
      { limit: 300, windowMs: 60 * 60_000 },
    ],
    deletes: [
      { limit: 100, windowMs: 5 * 60_000 },
      { limit: 300, windowMs: 60 * 60_000 },
    ],
  },
};

/** At most `limit` events in any `windowMs`: an event leaves the window `windowMs` after it happened. */
export class SlidingWindow {
  private events: number[] = [];
  constructor(readonly rule: WindowRule) {}

  private prune(now: number): void {
    const since = now - this.rule.windowMs;
    if (this.events.length > 0 && (this.events[0] as number) <= since)
      this.events = this.events.filter((t) => t > since);
  }

  remaining(now: number): number {
    this.prune(now);
    return Math.max(0, this.rule.limit - this.events.length);
  }

  /** How long until one more event fits: until the event that holds the last place leaves the window. */
  waitMs(now: number): number {
    this.prune(now);
    const blocking = this.events[this.events.length - this.rule.limit];
    return blocking === undefined ? 0 : blocking + this.rule.windowMs - now;
  }

  record(now: number): void {
    this.events.push(now);
  }

  /** Spends what is left of the window now (a test standing in for a burst of earlier calls). */
  exhaust(now: number): void {
    for (let i = this.remaining(now); i > 0; i--) this.record(now);
  }
}

/** Tokens added continuously at `refillPerSecond` up to `size`; beyond the size refill is discarded. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    readonly rule: BucketRule,
    now: number,
  ) {
    this.tokens = rule.size;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at)
      this.tokens = Math.min(this.rule.size, this.tokens + ((now - this.at) / 1000) * this.rule.refillPerSecond);
    this.at = Math.max(this.at, now);
  }

  remaining(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  /** How long until a whole token is there. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.rule.refillPerSecond) * 1000;
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  drain(now: number): void {
    this.refill(now);
    this.tokens = 0;
  }
}

export type LimitDecision =
  | { ok: true; headers: Record<string, string> }
  /** `waitMs` on the fake's clock; `code` and `message` are Azure's, with the wait left to the caller. */
  | { ok: false; waitMs: number; code: string; message: (retryAfterSeconds: number) => string };

/** Every bucket and window of one fake, created on first use. */
export class ArmLimits {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly windows = new Map<string, SlidingWindow[]>();

  constructor(
    private readonly clock: Clock,
    readonly rules: ArmLimitRules = AZURE_LIMITS,
  ) {}

  private bucket(key: string, rule: BucketRule): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new TokenBucket(rule, this.clock.now())));
    return b;
  }

  private aciWindows(action: AciAction, subscription: string, region: string): SlidingWindow[] {
    const key = `${action}|${subscription}|${region.toLowerCase()}`;
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = this.rules.aci[action].map((rule) => new SlidingWindow(rule))));
    return w;
  }

  private pair(op: ArmOperation, subscription: string, principal: string): [TokenBucket, TokenBucket] {
    const rule = this.rules.buckets[op];
    const global = {
      size: rule.size * this.rules.globalFactor,
      refillPerSecond: rule.refillPerSecond * this.rules.globalFactor,
    };
    return [this.bucket(`${op}|${subscription}|${principal}`, rule), this.bucket(`${op}|${subscription}|*`, global)];
  }

  /** ARM's gateway: one token from the principal's bucket and one from the subscription's global one. */
  arm(op: ArmOperation, subscription: string, principal: string): LimitDecision {
    const now = this.clock.now();
    const [mine, global] = this.pair(op, subscription, principal);
    const waitMs = Math.max(mine.waitMs(now), global.waitMs(now));
    if (waitMs > 0) {
      const kind = op.slice(0, -1); // 'read', 'write', 'delete'
      return {
        ok: false,
        waitMs,
        // The text of a captured real 429 (research-12 §2.3; quoted in public code, index id 62048674219).
        code: 'SubscriptionRequestsThrottled',
        message: (s) =>
          `Number of '${kind}' requests for subscription '${subscription}' actor '${principal}' exceeded. Please try again after '${s}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
      };
    }
    mine.take(now);
    global.take(now);
    return {
      ok: true,
      headers: {
        [`x-ms-ratelimit-remaining-subscription-${op}`]: String(mine.remaining(now)),
        [`x-ms-ratelimit-remaining-subscription-global-${op}`]: String(global.remaining(now)),
      },
    };
  }

  /** Container Instances' create or delete budget for a subscription and region. */
  aci(action: AciAction, subscription: string, region: string): LimitDecision {
    const now = this.clock.now();
    const windows = this.aciWindows(action, subscription, region);
    // When both windows are full, the one that frees a place last is the answer.
    const full = windows.reduce<SlidingWindow | null>(
      (worst, w) => (w.waitMs(now) > (worst?.waitMs(now) ?? 0) ? w : worst),
      null,
    );
    if (full) {
      return {
        ok: false,
        waitMs: full.waitMs(now),
        // ACI's create-rate message as the SDK surfaced it (research-12 §2.2), in the RP-throttle shape
        // (ResourceRequestsThrottled, "… after 'N' seconds."). The delete action's name is not documented;
        // 'ContainerGroupDeletion' is the analogy, not a quote.
        code: 'ResourceRequestsThrottled',
        message: (s) =>
          `Number of requests for action '${action === 'creates' ? 'ContainerGroupCreation' : 'ContainerGroupDeletion'}' exceeded the limit of '${full.rule.limit}' for time interval '${interval(full.rule.windowMs)}'. Please try again after '${s}' seconds.`,
      };
    }
    for (const w of windows) w.record(now);
    const headers: Record<string, string> = {};
    for (const w of windows)
      headers[`x-ms-ratelimit-remaining-subscription-resource-requests-${isoPeriod(w.rule.windowMs)}`] = String(
        w.remaining(now),
      );
    return { ok: true, headers };
  }

  /** Empties a principal's bucket (and, with `global`, the subscription's), as a burst of calls would. */
  drain(op: ArmOperation, subscription: string, principal: string, global = false): void {
    const [mine, all] = this.pair(op, subscription, principal);
    mine.drain(this.clock.now());
    if (global) all.drain(this.clock.now());
  }

  /** Spends a subscription's whole create or delete budget in a region (its shortest window). */
  exhaust(action: AciAction, subscription: string, region: string): void {
    this.aciWindows(action, subscription, region)[0]?.exhaust(this.clock.now());
  }
}

/** '00:05:00', '01:00:00': the .NET TimeSpan the service prints. */
function interval(ms: number): string {
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** 'pt5m', 'pt1h': how the header names its window. */
function isoPeriod(ms: number): string {
  return ms % 3_600_000 === 0 ? `pt${ms / 3_600_000}h` : ms % 60_000 === 0 ? `pt${ms / 60_000}m` : `pt${ms / 1000}s`;
}
