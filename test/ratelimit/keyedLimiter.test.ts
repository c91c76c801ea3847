import { describe, expect, it } from 'vitest';
import { KeyedLimiter } from '../../src/ratelimit/keyedLimiter.js';

const rule = { perMinute: 60, burst: 3 }; // full again 3 s after being emptied

describe('KeyedLimiter', () => {
  it('keeps one bucket per key', () => {
    const limiter = new KeyedLimiter(rule);
    for (let i = 0; i < 3; i++) expect(limiter.take('a', 0).kind).toBe('admitted');
    expect(limiter.take('a', 0).kind).toBe('limited');
    expect(limiter.take('b', 0).kind).toBe('admitted');
  });

  it('forgets idle buckets: 10,000 callers seen once leave one bucket after a quiet spell', () => {
    const limiter = new KeyedLimiter(rule);
    for (let i = 0; i < 10_000; i++) limiter.take(`203.0.113.${i}`, i / 10);
    expect(limiter.size).toBe(10_000);
    // Each of them took one token: full again one second after its request.
    limiter.take('late-comer', 1000 + 10_000 / 10);
    expect(limiter.size).toBe(1);
  });

  it('does not forget a bucket that is still refilling, so its limit holds', () => {
    const limiter = new KeyedLimiter(rule);
    for (let i = 0; i < 4; i++) limiter.take('flooder', 0);
    // Others come and go; the flooder's emptied bucket is the oldest but not yet full.
    for (let t = 1; t < 1000; t++) limiter.take(`other-${t}`, t);
    expect(limiter.take('flooder', 999).kind).toBe('limited');
    expect(limiter.take('flooder', 1000).kind).toBe('admitted');
  });

  it('never holds more than maxKeys, dropping the longest idle', () => {
    const limiter = new KeyedLimiter(rule, 100);
    for (let i = 0; i < 5000; i++) {
      limiter.take(`k${i}`, 0);
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    // The most recent keys are the ones kept.
    for (let i = 0; i < 3; i++) limiter.take('k4999', 0);
    expect(limiter.take('k4999', 0).kind).toBe('limited');
  });
});
