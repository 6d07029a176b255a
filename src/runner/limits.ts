// Fair use: every run a person starts is admitted against the limits first (per user per minute, per
// user at once, per guild per minute, and everything in flight across all processes sharing the
// store), atomically (admission.ts), and its places are given back when it ends. A refusal is a value
// with a stable code, which limit refused and when to retry; only front-ends word it.
import { randomUUID } from 'node:crypto';
import type { FairUseConfig } from '../config.js';
import type { AdmissionStore, Rule } from './admission.js';
import type { Runner, SubmitResult } from './index.js';
import type { RateLimitRule, Refusal, RunRequest } from './types.js';

export interface Who {
  user: string;
  guild: string | null;
}

/** A guild's own limits (from its settings), never above the global ones. */
export interface GuildLimits {
  userRunsPerMinute?: number | null;
  guildRunsPerMinute?: number | null;
}

/** A rule of admission with the limit it stands for, which is what a refusal by that rule reports. */
interface Limit {
  rule: Rule;
  is: RateLimitRule;
}

const MINUTE = 60_000;
/** A run holds its concurrency places at most this long (a crashed process's places come back then). */
const LEASE_MS = 10 * MINUTE;

export class FairRunner {
  constructor(
    readonly runner: Runner,
    private readonly admissions: AdmissionStore,
    private readonly config: FairUseConfig,
  ) {}

  rules(who: Who, guildLimits: GuildLimits = {}): Rule[] {
    return this.limits(who, guildLimits).map((l) => l.rule);
  }

  private limits(who: Who, guildLimits: GuildLimits): Limit[] {
    const c = this.config;
    const userPerMinute = Math.min(c.userRunsPerMinute, guildLimits.userRunsPerMinute ?? Infinity);
    const limits: Limit[] = [
      {
        rule: { key: `rl:user:${who.user}:minute`, kind: 'rate', limit: userPerMinute, windowMs: MINUTE },
        is: { scope: 'user', kind: 'per-minute' },
      },
      {
        rule: {
          key: `rl:user:${who.user}:running`,
          kind: 'concurrent',
          limit: c.userConcurrentRuns,
          windowMs: LEASE_MS,
        },
        is: { scope: 'user', kind: 'at-once' },
      },
      {
        rule: { key: 'rl:global:running', kind: 'concurrent', limit: c.globalInFlight, windowMs: LEASE_MS },
        is: { scope: 'global', kind: 'at-once' },
      },
    ];
    if (who.guild) {
      const guildPerMinute = Math.min(c.guildRunsPerMinute, guildLimits.guildRunsPerMinute ?? Infinity);
      limits.push({
        rule: { key: `rl:guild:${who.guild}:minute`, kind: 'rate', limit: guildPerMinute, windowMs: MINUTE },
        is: { scope: 'guild', kind: 'per-minute' },
      });
    }
    return limits;
  }

  async submit(request: RunRequest, who: Who, guildLimits: GuildLimits = {}): Promise<SubmitResult> {
    const limits = this.limits(who, guildLimits);
    const rules = limits.map((l) => l.rule);
    const member = randomUUID();
    const decision = await this.admissions.admit(rules, member);
    if (!decision.ok) {
      const refused = limits[decision.rule] as Limit;
      const refusal: Refusal = {
        ok: false,
        code: 'RATE_LIMITED',
        ...refused.is,
        limit: refused.rule.limit,
        retryAfterMs: decision.retryAfterMs,
      };
      this.runner.reportRefusal(refusal, {
        ...request,
        labels: { ...request.labels, user: who.user, ...(who.guild ? { guild: who.guild } : {}) },
      });
      return refusal;
    }
    const submitted = this.runner.submit({
      ...request,
      labels: { ...request.labels, user: who.user, ...(who.guild ? { guild: who.guild } : {}) },
    });
    if (!submitted.ok) {
      await this.admissions.release(rules, member, true);
      return submitted;
    }
    void submitted.handle.result.finally(() => this.admissions.release(rules, member).catch(() => undefined));
    return submitted;
  }
}
