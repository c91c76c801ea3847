import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResponseCache } from './responseCache.js';

/** The cache's counters, each read from `ResponseCache.counts` when Prometheus scrapes. */
const COUNTERS: Record<keyof ResponseCache['counts'], { name: string; help: string }> = {
  hits: { name: 'hits', help: 'Anonymous public answers served from the response cache.' },
  misses: {
    name: 'misses',
    help: 'Cacheable requests not found in the response cache (computed, then stored).',
  },
  bypasses: {
    name: 'bypasses',
    help: 'Requests the response cache did not judge cacheable (a caller with credentials, a confidential field, a mutation).',
  },
  stores: { name: 'stores', help: 'Answers stored in the response cache.' },
  evictions: {
    name: 'evictions',
    help: 'Entries dropped to keep the response cache within its budget.',
  },
  invalidated: {
    name: 'invalidated',
    help: 'Entries dropped because a mutation may have changed what they hold.',
  },
  tooLarge: {
    name: 'too_large',
    help: 'Answers not stored because one alone would take more than a sixteenth of the budget.',
  },
  raced: {
    name: 'raced',
    help: 'Answers not stored because a write went through while they were computed.',
  },
};

/**
 * Registers the response cache's counters and its size in `registry`. The series carry no labels:
 * only the gateway has a response cache. A second registration (another gateway in the same
 * process, as in tests) replaces the first.
 */
export function registerCacheMetrics(registry: Registry, cache: ResponseCache): void {
  const replace = (name: string) => {
    if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
    return name;
  };
  for (const [key, { name, help }] of Object.entries(COUNTERS) as [
    keyof ResponseCache['counts'],
    { name: string; help: string },
  ][]) {
    new Counter({
      name: replace(`library_gateway_response_cache_${name}_total`),
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cache.counts[key]);
      },
    });
  }
  new Gauge({
    name: replace('library_gateway_response_cache_entries'),
    help: 'Entries held by the response cache.',
    registers: [registry],
    collect() {
      this.set(cache.size);
    },
  });
  new Gauge({
    name: replace('library_gateway_response_cache_bytes'),
    help: 'Bytes held by the response cache, as counted against RESPONSE_CACHE_MAX_MB.',
    registers: [registry],
    collect() {
      this.set(cache.bytes);
    },
  });
}
