import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ResponseCache } from '../../src/gateway/cache/responseCache.js';
import { registerCacheMetrics } from '../../src/gateway/cache/cacheMetrics.js';

/** The store behind the public response cache: expiry, LRU within its budgets, invalidation. */
const MB = 1024 * 1024;
const make = (limits = { maxBytes: MB, maxEntries: 100 }) => {
  let now = 1_000_000;
  const cache = new ResponseCache(limits, () => now);
  return { cache, advance: (ms: number) => (now += ms) };
};

describe('ResponseCache', () => {
  it('serves an entry until its maxAge passes, saying how long it has left', () => {
    const { cache, advance } = make();
    cache.set('k', '{"a":1}', 10, [], cache.epoch);
    expect(cache.get('k')).toEqual({ body: '{"a":1}', remainingSeconds: 10 });
    advance(4_500);
    expect(cache.get('k')?.remainingSeconds).toBe(5);
    advance(5_500);
    expect(cache.get('k')).toBeNull();
    expect(cache.size).toBe(0);
    expect(cache.counts).toMatchObject({ hits: 2, misses: 1 });
  });

  it('drops the least recently used entry when over its entry budget', () => {
    const { cache } = make({ maxBytes: MB, maxEntries: 2 });
    cache.set('a', 'A', 60, [], cache.epoch);
    cache.set('b', 'B', 60, [], cache.epoch);
    cache.get('a');
    cache.set('c', 'C', 60, [], cache.epoch);
    expect(cache.get('b')).toBeNull();
    expect(cache.get('a')?.body).toBe('A');
    expect(cache.get('c')?.body).toBe('C');
    expect(cache.counts.evictions).toBe(1);
  });

  it('stays within its byte budget, and refuses an entry larger than a sixteenth of it', () => {
    const { cache } = make({ maxBytes: 64 * 1024, maxEntries: 10_000 });
    const body = 'x'.repeat(1000);
    for (let i = 0; i < 200; i++) cache.set(`k${i}`, body, 60, [], cache.epoch);
    expect(cache.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(cache.size).toBeGreaterThan(40);
    expect(cache.get('k199')?.body).toBe(body);
    expect(cache.get('k0')).toBeNull();
    cache.set('huge', 'y'.repeat(5 * 1024), 60, [], cache.epoch);
    expect(cache.get('huge')).toBeNull();
    expect(cache.counts.tooLarge).toBe(1);
  });

  it('a write drops the entries that selected what it changes, and only those', () => {
    const { cache } = make();
    cache.set('availability', '1', 60, ['Item.availability'], cache.epoch);
    cache.set('holds', '2', 60, ['Work.holdCount'], cache.epoch);
    cache.set('branches', '3', 60, [], cache.epoch);
    cache.invalidate(new Set(['Item.availability']));
    expect(cache.get('availability')).toBeNull();
    expect(cache.get('holds')?.body).toBe('2');
    expect(cache.get('branches')?.body).toBe('3');
    cache.invalidate('all');
    expect(cache.size).toBe(0);
  });

  it('a response computed across a write is not stored (it may hold the value from before it)', () => {
    const { cache } = make();
    const started = cache.epoch;
    cache.invalidate(new Set(['Item.availability']));
    cache.set('k', 'stale?', 60, [], started);
    expect(cache.get('k')).toBeNull();
    expect(cache.counts.raced).toBe(1);
  });

  it('reports its counters to Prometheus, read at scrape time', async () => {
    const { cache } = make();
    const registry = new Registry();
    registerCacheMetrics(registry, cache);
    cache.set('k', 'v', 60, [], cache.epoch);
    cache.get('k');
    cache.get('missing');
    const text = await registry.metrics();
    expect(text).toContain('# TYPE library_gateway_response_cache_hits_total counter\n');
    expect(text).toContain('library_gateway_response_cache_hits_total 1\n');
    expect(text).toContain('library_gateway_response_cache_misses_total 1\n');
    expect(text).toContain('library_gateway_response_cache_entries 1\n');
  });
});
