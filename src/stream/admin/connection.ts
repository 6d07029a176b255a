// The dashboard's link to /feed: buys a ticket with the admin token, opens the WebSocket, and reconnects by
// itself. A reconnect asks to replay from the last log position it saw (?since=), so a short break loses
// nothing; a resync close (the fleet's link changed) reconnects at once for a fresh snapshot instead.
import type { FEED_CLOSE, FeedMessage } from '../protocol.js';

// The page imports protocol.ts for types only (the browser is never served it); the type pins the value.
const RESYNC: (typeof FEED_CLOSE)['resync'] = 4011;

const BACKOFF_FIRST_MS = 500;
const BACKOFF_CAP_MS = 15_000;

/**
 * The wait before reconnect attempt `attempt` (0-based): doubling from 0.5 s up to 15 s, with the upper
 * half jittered so a fleet restart does not bring every open dashboard back in the same millisecond.
 */
export function backoffMs(attempt: number, random: number): number {
  const full = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.round(full / 2 + (full / 2) * random);
}

/** The feed's address for a ticket, and the log position to replay from when there is one. */
export function feedUrl(location: { protocol: string; host: string }, ticket: string, since: string | null): string {
  const q = new URLSearchParams({ ticket });
  if (since !== null) q.set('since', since);
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/feed?${q.toString()}`;
}

export type LinkState = { kind: 'live' } | { kind: 'down'; why: string; retryInMs: number } | { kind: 'login' };

export interface LinkHandlers {
  message(m: FeedMessage): void;
  state(s: LinkState): void;
  /** The last log position the page holds, or null to ask for a fresh snapshot. */
  since(): string | null;
  /** Forget the log position: the next connection takes a snapshot. */
  forget(): void;
}

export class FeedLink {
  private attempt = 0;

  constructor(
    private readonly token: () => string | null,
    private readonly on: LinkHandlers,
  ) {}

  async connect(): Promise<void> {
    const t = this.token();
    if (!t) return this.on.state({ kind: 'login' });
    let ticket: string;
    try {
      const r = await fetch('/api/feed-tickets', { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
      if (r.status === 401 || r.status === 403) return this.on.state({ kind: 'login' });
      if (!r.ok) return this.retry(`the ticket request answered ${r.status}`);
      ticket = ((await r.json()) as { ticket: string }).ticket;
    } catch (err) {
      return this.retry(`the service is unreachable (${err instanceof Error ? err.message : String(err)})`);
    }
    const ws = new WebSocket(feedUrl(location, ticket, this.on.since()));
    ws.onopen = () => {
      this.attempt = 0;
      this.on.state({ kind: 'live' });
    };
    ws.onmessage = (e) => this.on.message(JSON.parse(String(e.data)) as FeedMessage);
    ws.onclose = (e) => {
      if (e.code === RESYNC) {
        // The server's view of the fleet changed under us: what we hold may not match its log any more.
        this.on.forget();
        return this.retry(`resync: ${e.reason || 'the fleet changed'}`, 0);
      }
      this.retry(`closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
    };
  }

  private retry(why: string, delayMs = backoffMs(this.attempt++, Math.random())): void {
    this.on.state({ kind: 'down', why, retryInMs: delayMs });
    setTimeout(() => void this.connect(), delayMs);
  }
}
