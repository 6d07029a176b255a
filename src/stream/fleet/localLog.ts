// The event log of a process alone (memory or SQLite store): the last events in memory with counters
// for positions, so a dashboard that reconnects to the same process replays what it missed.
import type { FeedMessage } from '../protocol.js';
import { approxChars } from './cap.js';
import { compareSeq, isSeq } from './seq.js';

/** What the log may hold in all (characters of its big fields): the oldest go first past it. */
const KEEP_CHARS = 16 * 1024 * 1024;

type Logged = FeedMessage & { seq: string };

export class LocalLog {
  private readonly entries: Logged[] = [];
  private readonly sizes: number[] = [];
  private chars = 0;
  private next = 1;

  constructor(private readonly keep: number) {}

  /** The message with its position. */
  append(m: FeedMessage): Logged {
    const logged = { ...m, seq: String(this.next++) } as Logged;
    const size = approxChars(m);
    this.entries.push(logged);
    this.sizes.push(size);
    this.chars += size;
    while (this.entries.length > 1 && (this.entries.length > this.keep || this.chars > KEEP_CHARS)) {
      this.entries.shift();
      this.chars -= this.sizes.shift() ?? 0;
    }
    return logged;
  }

  /** The last position given, or null before the first. */
  last(): string | null {
    return this.next === 1 ? null : String(this.next - 1);
  }

  /** What came after `since`, or null when `since` is older than what is kept or was never given. */
  after(since: string): FeedMessage[] | null {
    if (!isSeq(since) || since.includes('-')) return null;
    const last = this.last();
    if (last === null || compareSeq(since, last) > 0) return null;
    const first = this.entries[0];
    // Nothing between `since` and the first kept may have been dropped.
    if (!first || BigInt(since) < BigInt(first.seq) - 1n) return null;
    return this.entries.filter((e) => compareSeq(e.seq, since) > 0);
  }
}
