import { TokenBucket, type Admission, type BucketRule } from './tokenBucket.js';

/** The most keys a limiter holds by default: some 15 MB of buckets and keys. */
export const DEFAULT_MAX_KEYS = 100_000;

/**
 * One token bucket per key (a principal, a client address), in bounded memory. Buckets are kept in
 * order of last use; a bucket that has refilled is forgotten as soon as it reaches the front (a new
 * one would answer the same), so the limiter holds only keys seen within about burst / rate. Past
 * `maxKeys` (a flood from more addresses than that within that time) the longest-idle bucket is
 * dropped even if not yet full: memory stays bounded, and that key merely starts afresh.
 */
export class KeyedLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rule: BucketRule,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  /** Takes one request for `key` at `now` (ms). */
  take(key: string, now: number): Admission {
    this.evictIdle(now);
    let bucket = this.#buckets.get(key);
    // Re-inserted at the end: the map's order is the order of last use.
    if (bucket) this.#buckets.delete(key);
    else bucket = new TokenBucket(this.rule, now);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
    return bucket.take(now);
  }

  /** How many keys are held. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Forgets buckets that have refilled, from the longest idle on; stops at the first that has not. */
  private evictIdle(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.fullAt() > now) return;
      this.#buckets.delete(key);
    }
  }
}
