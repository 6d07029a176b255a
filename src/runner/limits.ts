// Fair use: every run a person starts is admitted against the limits first (per user per minute, per
// user at once, per guild per minute, and everything in flight across all processes sharing the
// store), atomically (admission.ts), and its places are given back when it ends. A refusal is a value
// with a stable code and when to retry; only front-ends word it.
import { randomUUID } from 'node:crypto';
import type { FairUseConfig } from '../config.js';
import type { AdmissionStore, Rule } from './admission.js';
import type { Runner, SubmitResult } from './index.js';
import type { RunRequest } from './types.js';

export interface Who {
  user: string;
  guild: string | null;
}

/** A guild's own limits (from its settings), never above the global ones. */
export interface GuildLimits {
  userRunsPerMinute?: number | null;
  guildRunsPerMinute?: number | null;
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
    const c = this.config;
    const userPerMinute = Math.min(c.userRunsPerMinute, guildLimits.userRunsPerMinute ?? Infinity);
    const rules: Rule[] = [
      { key: `rl:user:${who.user}:minute`, kind: 'rate', limit: userPerMinute, windowMs: MINUTE },
      { key: `rl:user:${who.user}:running`, kind: 'concurrent', limit: c.userConcurrentRuns, windowMs: LEASE_MS },
      { key: 'rl:global:running', kind: 'concurrent', limit: c.globalInFlight, windowMs: LEASE_MS },
    ];
    if (who.guild) rules.push({ key: `rl:guild:${who.guild}:minute`, kind: 'rate', limit: Math.min(c.guildRunsPerMinute, guildLimits.guildRunsPerMinute ?? Infinity), windowMs: MINUTE });
    return rules;
  }

  async submit(request: RunRequest, who: Who, guildLimits?: GuildLimits): Promise<SubmitResult> {
    const rules = this.rules(who, guildLimits);
    const member = randomUUID();
    const decision = await this.admissions.admit(rules, member);
    if (!decision.ok) {
      const rule = rules[decision.rule] as Rule;
      const refusal = { ok: false as const, code: 'RATE_LIMITED' as const, message: describe(rule), retryAfterMs: decision.retryAfterMs };
      this.runner.reportRefusal(refusal, { ...request, labels: { ...request.labels, user: who.user, ...(who.guild ? { guild: who.guild } : {}) } });
      return refusal;
    }
    const submitted = this.runner.submit({ ...request, labels: { ...request.labels, user: who.user, ...(who.guild ? { guild: who.guild } : {}) } });
    if (!submitted.ok) {
      await this.admissions.release(rules, member, true);
      return submitted;
    }
    void submitted.handle.result.finally(() => this.admissions.release(rules, member).catch(() => undefined));
    return submitted;
  }
}

function describe(rule: Rule): string {
  if (rule.key.startsWith('rl:global')) return `sharpbox is running ${rule.limit} programs already`;
  const runs = `${rule.limit} run${rule.limit === 1 ? '' : 's'}`;
  if (rule.key.startsWith('rl:guild')) return `this server can start ${runs} a minute`;
  if (rule.kind === 'concurrent') return `you can have ${runs} going at once`;
  return `you can start ${runs} a minute`;
}
