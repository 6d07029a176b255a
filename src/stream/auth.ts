// Who may use the feed and the API: the admin token (everything), API tokens (their own runs), and
// short-lived single-use tickets a browser trades its admin token for, because a browser cannot set an
// Authorization header on a WebSocket. Every comparison is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Principal = { kind: 'admin' } | { kind: 'api'; name: string };

/**
 * Tickets every process of a fleet can redeem (Redis), so a browser's ticket request and its WebSocket
 * may reach different processes behind a load balancer. Keyed by the ticket's hash; single use.
 */
export interface SharedTickets {
  put(key: string, ttlMs: number): Promise<void>;
  /** True once, for a key put and not yet expired. */
  take(key: string): Promise<boolean>;
}

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
    private readonly shared: SharedTickets | null = null,
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

  async issueTicket(): Promise<{ ticket: string; expiresInMs: number }> {
    const now = this.now();
    for (const [t, exp] of this.tickets) if (exp < now) this.tickets.delete(t);
    const ticket = randomBytes(24).toString('base64url');
    this.tickets.set(ticket, now + TICKET_TTL_MS);
    // Shared when it can be; this process redeems its own either way.
    await this.shared?.put(ticketKey(ticket), TICKET_TTL_MS).catch(() => undefined);
    return { ticket, expiresInMs: TICKET_TTL_MS };
  }

  /** Single use: a ticket opens one feed connection, within its lifetime, on any process of the fleet. */
  async redeemTicket(ticket: string | null): Promise<boolean> {
    if (!ticket) return false;
    for (const [t, exp] of this.tickets) {
      if (same(t, ticket)) {
        this.tickets.delete(t);
        // The fleet's copy decides (another process may have taken it); if Redis cannot say, this one does.
        const taken = await (this.shared?.take(ticketKey(ticket)) ?? Promise.resolve(true)).catch(() => true);
        return taken && exp >= this.now();
      }
    }
    return (await this.shared?.take(ticketKey(ticket)).catch(() => false)) ?? false;
  }
}

/** The shared store sees a ticket's hash, never the ticket. */
function ticketKey(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}
