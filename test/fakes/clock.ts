// The time a fake service lives by: real time plus whatever a test has skipped. Every deadline in a
// fake (Discord's 3-second interaction deadline, its 15-minute tokens, its rate-limit windows) reads
// this clock, so a test can jump 15 minutes with advance() and a 3-second deadline still passes in
// real time when a test (or a slow bot) just waits.

export interface Clock {
  /** Milliseconds since the epoch, as Date.now() counts them. */
  now(): number;
}

export class FakeClock implements Clock {
  private skipped = 0;

  constructor(private readonly real: () => number = Date.now) {}

  now(): number {
    return this.real() + this.skipped;
  }

  /** Moves time forward by `ms` at once (time never goes back). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (asked to advance ${ms} ms)`);
    this.skipped += ms;
  }
}
