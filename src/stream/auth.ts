// Who may use the feed and the API: the admin token (everything), API tokens (their own runs), and
// short-lived single-use tickets a browser trades its admin token for, because a browser cannot set an
// Authorization header on a WebSocket. Every comparison is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Principal = { kind: 'admin' } | { kind: 'api'; name: string };

const TICKET_TTL_MS = 30_000;

function same(a: string, b: string): boolean {
  // Hash first: equal lengths for timingSafeEqual, and no early exit on a length difference.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export class Auth {
  private readonly tickets = new Map<string, number>();

  constructor(
    private readonly adminToken: string | null,
    private readonly apiTokens: readonly string[],
    // Injectable so a test can prove the 30-second lifetime without waiting 30 seconds.
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.adminToken !== null;
  }

  /** From an `Authorization: Bearer …` header. */
  fromHeader(header: string | undefined): Principal | null {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1]?.trim();
    if (!token) return null;
    if (this.adminToken && same(token, this.adminToken)) return { kind: 'admin' };
    for (const api of this.apiTokens) {
      if (same(token, api))
        return { kind: 'api', name: `api-${createHash('sha256').update(api).digest('hex').slice(0, 8)}` };
    }
    return null;
  }

  issueTicket(): { ticket: string; expiresInMs: number } {
    const now = this.now();
    for (const [t, exp] of this.tickets) if (exp < now) this.tickets.delete(t);
    const ticket = randomBytes(24).toString('base64url');
    this.tickets.set(ticket, now + TICKET_TTL_MS);
    return { ticket, expiresInMs: TICKET_TTL_MS };
  }

  /** Single use: a ticket opens one feed connection, within its lifetime. */
  redeemTicket(ticket: string | null): boolean {
    if (!ticket) return false;
    for (const [t, exp] of this.tickets) {
      if (same(t, ticket)) {
        this.tickets.delete(t);
        return exp >= this.now();
      }
    }
    return false;
  }
}
