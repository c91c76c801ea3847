/** How fast a bucket refills and how much it holds: `perMinute` requests sustained, `burst` at once. */
export interface BucketRule {
  perMinute: number;
  burst: number;
}

/** The outcome of one take: admitted, or limited with the wait until a token is there again. */
export type Admission = { kind: 'admitted' } | { kind: 'limited'; retryAfterMs: number };

/**
 * A token bucket: it holds up to `burst` tokens and gains `perMinute` of them a minute; each request
 * takes one. A caller who was quiet may send a burst at once, then keeps to the rate. Time is
 * passed in (milliseconds), so the bucket is pure and a test moves the clock.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rule: BucketRule,
    now: number,
  ) {
    this.tokens = rule.burst;
    this.updatedAt = now;
  }

  /** Takes one token if there is one; otherwise says how long until there is. */
  take(now: number): Admission {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { kind: 'admitted' };
    }
    return {
      kind: 'limited',
      retryAfterMs: Math.ceil(((1 - this.tokens) * 60_000) / this.rule.perMinute),
    };
  }

  /**
   * The instant this bucket, left alone, is full again. From then on it is indistinguishable from a
   * new bucket, so a keyed limiter may forget it without changing any answer.
   */
  fullAt(): number {
    return this.updatedAt + ((this.rule.burst - this.tokens) * 60_000) / this.rule.perMinute;
  }

  private refill(now: number): void {
    // A clock that steps back adds nothing (and takes nothing away).
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.rule.burst, this.tokens + (elapsed * this.rule.perMinute) / 60_000);
    this.updatedAt = Math.max(now, this.updatedAt);
  }
}
