/**
 * The heap a rate limiter holds when full: DEFAULT_MAX_KEYS keys shaped like the gateway's (64 hex
 * characters), each with a bucket. Run: `node --expose-gc --import tsx bench/ratelimitMemory.ts`.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_MAX_KEYS, KeyedLimiter } from '../src/ratelimit/keyedLimiter.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
gc();
const before = process.memoryUsage().heapUsed;
const limiter = new KeyedLimiter({ perMinute: 60, burst: 20 });
for (let i = 0; i < DEFAULT_MAX_KEYS; i++)
  limiter.take(createHash('sha256').update(String(i)).digest('hex'), 0);
gc();
const held = process.memoryUsage().heapUsed - before;
// Read the limiter after measuring, so it is still alive when the heap is measured.
console.log(
  `${limiter.take('last', 0).kind}: ${DEFAULT_MAX_KEYS.toLocaleString('en-US')} keys hold ${(held / 1e6).toFixed(1)} MB of heap, ${Math.round(held / DEFAULT_MAX_KEYS)} bytes a key`,
);
