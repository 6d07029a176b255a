// The time a fake service lives by: real time plus whatever a test has skipped. Every deadline in a
// fake (Discord's 3-second interaction deadline, its 15-minute tokens, its rate-limit windows; ARM's
// quota windows, token buckets, token lifetimes and start-up delays) reads this clock, so a test can jump
// 15 minutes with advance() and a 3-second deadline still passes in real time when a test (or a slow
// bot) just waits.
//
// A clock can also run faster than real time (`rate`), so that minutes of Azure time pass in seconds
// without a test stepping it. What a fake tells a real client about time (Retry-After, a token's
// expires_in) must then be said in real time, which is what realMs() converts to.

export interface Clock {
  /** Milliseconds since the epoch, as Date.now() counts them. */
  now(): number;
}

export class FakeClock implements Clock {
  private skipped = 0;
  private readonly origin: number;

  /** `rate`: fake milliseconds per real millisecond (1: real time; 60: an hour a minute). */
  constructor(
    private readonly real: () => number = Date.now,
    readonly rate = 1,
  ) {
    if (!(rate > 0)) throw new RangeError(`a clock's rate must be positive (got ${rate})`);
    this.origin = real();
  }

  now(): number {
    return this.origin + (this.real() - this.origin) * this.rate + this.skipped;
  }

  /** Moves time forward by `ms` at once (time never goes back). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (asked to advance ${ms} ms)`);
    this.skipped += ms;
  }

  /** The real milliseconds in which this clock moves `ms` forward by itself. */
  realMs(ms: number): number {
    return ms / this.rate;
  }
}
