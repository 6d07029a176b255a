// The bot's state: every run session it knows (by id, and by the code message it answers), and whether
// it is shutting down. The handlers share this one object instead of closures over mutable variables.
import { randomBytes } from 'node:crypto';
import { RunSession, type SessionDeps, type SessionInput } from './session.js';

/** Finished sessions kept for their buttons; beyond this the oldest finished ones are forgotten. */
const MAX_SESSIONS = 2000;

export class SessionRegistry {
  private readonly sessions = new Map<string, RunSession>();
  private readonly bySource = new Map<string, string>();
  /** Set once shutdown begins: new work is refused from then on. */
  stopping = false;

  constructor(private readonly deps: SessionDeps) {}

  /** A new session for a run (not started yet). */
  create(input: Omit<SessionInput, 'id'> & { id?: string }): RunSession {
    return this.add(new RunSession(this.deps, { ...input, id: input.id ?? randomBytes(6).toString('hex') }));
  }

  get(id: string | undefined): RunSession | undefined {
    return id ? this.sessions.get(id) : undefined;
  }

  /** The session answering a code message, if any. */
  forSource(messageId: string): RunSession | undefined {
    return this.get(this.bySource.get(messageId));
  }

  forget(id: string): void {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    if (s?.source && this.bySource.get(s.source.messageId) === id) this.bySource.delete(s.source.messageId);
  }

  /** Resolves when every reply shows its final state, or after timeoutMs. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.sessions.values()].map((s) => s.settled())),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private add(session: RunSession): RunSession {
    this.sessions.set(session.id, session);
    if (session.source) this.bySource.set(session.source.messageId, session.id);
    // Forget the oldest finished sessions beyond the cap (their buttons then answer "too old").
    for (const [id, s] of this.sessions) {
      if (this.sessions.size <= MAX_SESSIONS) break;
      if (s.done) this.forget(id);
    }
    return session;
  }
}
