// Atomic admission decisions over several rules at once (user per minute, user concurrency, guild per
// minute, global in flight).
//
// Keyv has no atomic increment or compare-and-set: a plain get-then-set from two callers at once would
// let both see "2 of 3 used" and both take the third place. So every admission is one atomic step:
// - in one process (memory and SQLite stores) all decisions go through one async mutex: the read, the
//   check and the write of a decision happen with no other decision in between, and the data itself
//   lives in Keyv (so the SQLite file carries it across restarts);
// - across processes (the Redis store) the decision is one Lua script run by Redis itself, which is
//   atomic by construction, on the connection of Keyv's own Redis adapter; time is Redis's TIME, so
//   the processes' clocks do not matter.
// Each rule keeps the members it admitted with a score: the admission time for a rate rule (a sliding
// window, never a fixed one, so there is no double burst at a boundary) and the lease's expiry for a
// concurrency rule (a crashed process's runs free their places when the lease runs out).
import type Keyv from 'keyv';

export interface Rule {
  /** Store key, e.g. "rl:user:123:minute". */
  key: string;
  kind: 'rate' | 'concurrent';
  limit: number;
  /** rate: the window; concurrent: the lease a run holds its place for at most. */
  windowMs: number;
}

export type Decision = { ok: true } | { ok: false; rule: number; retryAfterMs: number };

export interface AdmissionStore {
  admit(rules: readonly Rule[], member: string): Promise<Decision>;
  /** Gives the member's places back: its concurrency places, or with `all` its rate places too (it never ran). */
  release(rules: readonly Rule[], member: string, all?: boolean): Promise<void>;
}

type Entries = [member: string, score: number][];

/** Exact within one process; the entries live in Keyv. */
export class LocalAdmissionStore implements AdmissionStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly keyv: Keyv,
    private readonly now: () => number = Date.now,
  ) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(fn, fn);
    this.chain = result.catch(() => undefined);
    return result;
  }

  admit(rules: readonly Rule[], member: string): Promise<Decision> {
    return this.exclusive(async () => {
      const now = this.now();
      const live = await Promise.all(
        rules.map(async (rule) => prune((await this.keyv.get<Entries>(rule.key)) ?? [], rule, now)),
      );
      for (const [i, rule] of rules.entries()) {
        const entries = live[i] as Entries;
        if (entries.length >= rule.limit) return { ok: false, rule: i, retryAfterMs: retryAfter(entries, rule, now) };
      }
      await Promise.all(
        rules.map((rule, i) => {
          const entries = [
            ...(live[i] as Entries),
            [member, rule.kind === 'rate' ? now : now + rule.windowMs] as [string, number],
          ];
          return this.keyv.set(rule.key, entries, keepFor(rule));
        }),
      );
      return { ok: true };
    });
  }

  release(rules: readonly Rule[], member: string, all = false): Promise<void> {
    return this.exclusive(async () => {
      for (const rule of rules.filter((r) => all || r.kind === 'concurrent')) {
        const entries = ((await this.keyv.get<Entries>(rule.key)) ?? []).filter(([m]) => m !== member);
        await this.keyv.set(rule.key, entries, keepFor(rule));
      }
    });
  }
}

/**
 * How long Keyv keeps a rule's entries: only garbage collection, pruning on the store's clock decides.
 * A second beyond the window, because Keyv's expiry reads the wall clock: with exactly the window, a 1 ms
 * lease could vanish between two calls on a clock the caller controls (a flake CI saw).
 */
function keepFor(rule: Rule): number {
  return rule.windowMs + 1000;
}

function prune(entries: Entries, rule: Rule, now: number): Entries {
  return entries.filter(([, score]) => (rule.kind === 'rate' ? score > now - rule.windowMs : score > now));
}

/** When the full rule frees a place: the oldest admission leaving the window, or the nearest lease expiry (capped: runs usually end sooner). */
function retryAfter(entries: Entries, rule: Rule, now: number): number {
  const oldest = Math.min(...entries.map(([, s]) => s));
  return rule.kind === 'rate' ? Math.max(1, oldest + rule.windowMs - now) : Math.min(5000, Math.max(1, oldest - now));
}

// KEYS: one sorted set per rule. ARGV: member, then per rule: kind, limit, windowMs.
const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
for i = 1, #KEYS do
  local kind = ARGV[2 + (i - 1) * 3]
  local limit = tonumber(ARGV[3 + (i - 1) * 3])
  local window = tonumber(ARGV[4 + (i - 1) * 3])
  if kind == 'rate' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  end
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local score = tonumber(first[2])
    local retry
    if kind == 'rate' then retry = score + window - now else retry = math.min(5000, score - now) end
    return {0, i - 1, math.max(1, retry)}
  end
end
for i = 1, #KEYS do
  local kind = ARGV[2 + (i - 1) * 3]
  local window = tonumber(ARGV[4 + (i - 1) * 3])
  local score = now
  if kind ~= 'rate' then score = now + window end
  redis.call('ZADD', KEYS[i], score, member)
  redis.call('PEXPIRE', KEYS[i], window)
end
return {1, 0, 0}
`;

export interface RedisLike {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  zRem(key: string, member: string): Promise<unknown>;
}

/** Exact across every process sharing the Redis server. */
export class RedisAdmissionStore implements AdmissionStore {
  constructor(
    private readonly client: () => Promise<RedisLike>,
    private readonly prefix: string,
  ) {}

  async admit(rules: readonly Rule[], member: string): Promise<Decision> {
    const client = await this.client();
    const args = [member, ...rules.flatMap((r) => [r.kind, String(r.limit), String(r.windowMs)])];
    const [ok, rule, retry] = (await client.eval(ADMIT_LUA, {
      keys: rules.map((r) => this.prefix + r.key),
      arguments: args,
    })) as [number, number, number];
    return ok === 1 ? { ok: true } : { ok: false, rule, retryAfterMs: retry };
  }

  async release(rules: readonly Rule[], member: string, all = false): Promise<void> {
    const client = await this.client();
    await Promise.all(
      rules.filter((r) => all || r.kind === 'concurrent').map((r) => client.zRem(this.prefix + r.key, member)),
    );
  }
}

/**
 * The shared store while it answers; this process's own while it does not. A fleet's limits become
 * per-process for the length of an outage (said in the log), instead of every run failing or hanging.
 */
export class FallbackAdmissionStore implements AdmissionStore {
  private away = false;
  /** Members admitted by the fallback: their places are given back there. */
  private readonly local = new Set<string>();

  constructor(
    private readonly shared: AdmissionStore,
    private readonly fallback: AdmissionStore,
    private readonly switched: (away: boolean, err?: unknown) => void,
  ) {}

  async admit(rules: readonly Rule[], member: string): Promise<Decision> {
    try {
      const decision = await this.shared.admit(rules, member);
      if (this.away) {
        this.away = false;
        this.switched(false);
      }
      return decision;
    } catch (err) {
      if (!this.away) {
        this.away = true;
        this.switched(true, err);
      }
      const decision = await this.fallback.admit(rules, member);
      if (decision.ok) this.local.add(member);
      return decision;
    }
  }

  async release(rules: readonly Rule[], member: string, all = false): Promise<void> {
    if (this.local.delete(member)) return this.fallback.release(rules, member, all);
    try {
      await this.shared.release(rules, member, all);
    } catch {
      // Redis away: the shared entries end with their window (rate) or the store's expiry (concurrency).
    }
  }
}
