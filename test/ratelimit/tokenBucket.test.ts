import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/ratelimit/tokenBucket.js';

const rule = { perMinute: 60, burst: 5 }; // one token a second, five at once

describe('TokenBucket', () => {
  it('lets a burst through at once, then refuses with the wait for the next token', () => {
    const bucket = new TokenBucket(rule, 0);
    for (let i = 0; i < 5; i++) expect(bucket.take(0)).toEqual({ kind: 'admitted' });
    expect(bucket.take(0)).toEqual({ kind: 'limited', retryAfterMs: 1000 });
    expect(bucket.take(400)).toEqual({ kind: 'limited', retryAfterMs: 600 });
  });

  it('refills at the rate, and a refused request costs nothing', () => {
    const bucket = new TokenBucket(rule, 0);
    for (let i = 0; i < 5; i++) bucket.take(0);
    for (let i = 0; i < 10; i++) bucket.take(500);
    expect(bucket.take(1000)).toEqual({ kind: 'admitted' });
    expect(bucket.take(1000).kind).toBe('limited');
    // Sustained: one a second gets through, every second.
    for (let t = 2000; t <= 10_000; t += 1000) expect(bucket.take(t).kind).toBe('admitted');
  });

  it('holds no more than the burst however long it was quiet', () => {
    const bucket = new TokenBucket(rule, 0);
    const admitted = Array.from({ length: 20 }, () => bucket.take(3_600_000)).filter(
      (a) => a.kind === 'admitted',
    );
    expect(admitted).toHaveLength(5);
  });

  it('gains nothing from a clock that steps back', () => {
    const bucket = new TokenBucket(rule, 10_000);
    for (let i = 0; i < 5; i++) bucket.take(10_000);
    expect(bucket.take(0).kind).toBe('limited');
    expect(bucket.take(10_500).kind).toBe('limited');
    expect(bucket.take(11_000).kind).toBe('admitted');
  });

  it('says when it is full again', () => {
    const bucket = new TokenBucket(rule, 0);
    expect(bucket.fullAt()).toBe(0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.fullAt()).toBe(2000);
  });
});
