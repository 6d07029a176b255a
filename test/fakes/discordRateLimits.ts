// Discord's rate limits as topics/rate-limits.mdx describes them: per-route buckets counted per top-level
// resource (channel, guild, or webhook id + token), named by an X-RateLimit-Bucket hash that leaves the
// resource out; X-RateLimit-Limit, -Remaining, -Reset (epoch seconds), -Reset-After (seconds, with
// decimals) and -Bucket on every response; a 429 with Retry-After, X-RateLimit-Scope and the body
// {"message": "You are being rate limited.", "retry_after": s, "global": false}; and a global limit of
// 50 requests a second per bot that interaction endpoints are not bound to.
//
// The page says not to hard-code per-route numbers and lists none. The defaults below are the numbers
// Discord's own headers carry for these routes, as libraries and bot authors report them (5 message
// creates per 5 s per channel is also the doc's header example, "X-RateLimit-Limit: 5"); a test can
// set its own with FakeDiscord.start({ rateLimits }).
import { createHash } from 'node:crypto';
import type { Clock } from './clock.js';

export type RouteName =
  | 'gateway'
  | 'commands'
  | 'message.create'
  | 'message.get'
  | 'message.edit'
  | 'message.delete'
  | 'reaction.add'
  | 'typing'
  | 'interaction.callback'
  | 'webhook.execute'
  | 'webhook.message'
  | 'guild.member'
  | 'other';

export interface BucketRule {
  limit: number;
  windowMs: number;
}

/** Every route not named below: as large as the global limit, so it is never the tighter one. */
const ROOMY: BucketRule = { limit: 50, windowMs: 1_000 };

export const DEFAULT_RATE_LIMITS: Readonly<Record<RouteName, BucketRule>> = {
  gateway: ROOMY,
  commands: ROOMY,
  /** POST /channels/{id}/messages: 5 per 5 s per channel. */
  'message.create': { limit: 5, windowMs: 5_000 },
  'message.get': ROOMY,
  /** PATCH /channels/{id}/messages/{id}: its own bucket, 5 per 5 s per channel. */
  'message.edit': { limit: 5, windowMs: 5_000 },
  /** DELETE /channels/{id}/messages/{id}: 5 per second per channel. */
  'message.delete': { limit: 5, windowMs: 1_000 },
  /** PUT …/reactions/{emoji}/@me: 1 per 250 ms per channel. */
  'reaction.add': { limit: 1, windowMs: 250 },
  typing: { limit: 5, windowMs: 5_000 },
  'interaction.callback': ROOMY,
  /**
   * Interaction follow-ups and @original edits: "Interactions webhooks share the same rate limit
   * properties as normal webhooks" (interactions/receiving-and-responding.mdx): 5 per 2 s per webhook id + token.
   */
  'webhook.execute': { limit: 5, windowMs: 2_000 },
  'webhook.message': { limit: 5, windowMs: 2_000 },
  'guild.member': ROOMY,
  other: ROOMY,
};

/** rate-limits.mdx, Global Rate Limit: "All bots can make up to 50 requests per second to our API." */
export const GLOBAL_LIMIT: BucketRule = { limit: 50, windowMs: 1_000 };

export interface Limited {
  status: 429;
  headers: Record<string, string>;
  body: { message: string; retry_after: number; global: boolean };
}

interface Window {
  resetAt: number;
  remaining: number;
}

export class RateLimits {
  private readonly buckets = new Map<string, Window>();
  private readonly globals = new Map<string, Window>();
  readonly rules: Record<RouteName, BucketRule>;

  constructor(
    private readonly clock: Clock,
    rules: Partial<Record<RouteName, BucketRule>> = {},
  ) {
    this.rules = { ...DEFAULT_RATE_LIMITS, ...rules };
  }

  /** The hash a route's bucket goes by: the route without its top-level resource, as Discord's does. */
  static bucketHash(route: RouteName): string {
    return createHash('md5').update(`sharpbox-fake:${route}`).digest('hex');
  }

  /**
   * Counts one request against `route` for the top-level resource `major`. Returns the headers every
   * response carries, and a 429 when the bucket was already empty (that request does not count).
   */
  take(route: RouteName, major: string): { headers: Record<string, string>; limited: Limited | null } {
    const rule = this.rules[route];
    const now = this.clock.now();
    const key = `${route}:${major}`;
    let w = this.buckets.get(key);
    if (!w || now >= w.resetAt) {
      w = { resetAt: now + rule.windowMs, remaining: rule.limit };
      this.buckets.set(key, w);
    }
    const limitedNow = w.remaining === 0;
    if (!limitedNow) w.remaining -= 1;
    const resetAfter = (w.resetAt - now) / 1000;
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(rule.limit),
      'X-RateLimit-Remaining': String(w.remaining),
      'X-RateLimit-Reset': (w.resetAt / 1000).toFixed(3),
      'X-RateLimit-Reset-After': resetAfter.toFixed(3),
      'X-RateLimit-Bucket': RateLimits.bucketHash(route),
    };
    if (!limitedNow) return { headers, limited: null };
    return { headers, limited: tooMany(resetAfter, false, { ...headers, 'X-RateLimit-Scope': 'user' }) };
  }

  /** The global limit, counted per bot token; null while under it. */
  takeGlobal(token: string): Limited | null {
    const now = this.clock.now();
    let w = this.globals.get(token);
    if (!w || now >= w.resetAt) {
      w = { resetAt: now + GLOBAL_LIMIT.windowMs, remaining: GLOBAL_LIMIT.limit };
      this.globals.set(token, w);
    }
    if (w.remaining > 0) {
      w.remaining -= 1;
      return null;
    }
    return tooMany((w.resetAt - now) / 1000, true, { 'X-RateLimit-Global': 'true', 'X-RateLimit-Scope': 'global' });
  }
}

/**
 * A 429 as rate-limits.mdx shows it: `retry_after` in seconds with decimals in the body, and a
 * Retry-After header in whole seconds, rounded up (its example: "Retry-After: 65" for 64.57), so never 0.
 */
export function tooMany(seconds: number, global: boolean, headers: Record<string, string> = {}): Limited {
  const retryAfter = Math.max(0.001, Number(seconds.toFixed(3)));
  return {
    status: 429,
    headers: { ...headers, 'Retry-After': String(Math.max(1, Math.ceil(retryAfter))) },
    body: { message: 'You are being rate limited.', retry_after: retryAfter, global },
  };
}
