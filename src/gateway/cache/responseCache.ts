/** One cached response: the serialized `data`, when it goes stale, and what writes can change it. */
interface Entry {
  body: string;
  bytes: number;
  expiresAt: number;
  volatile: readonly string[];
}

/** Bookkeeping per entry beside its body (key, object, map slot), counted against the byte budget. */
const ENTRY_OVERHEAD_BYTES = 256;

/** Bounds of the cache: total bytes and number of entries, least recently used dropped first. */
export interface ResponseCacheLimits {
  maxBytes: number;
  maxEntries: number;
}

/** The most entries kept, whatever the byte budget: a bound on the bookkeeping of many small entries. */
export const MAX_ENTRIES = 10_000;

/** A hit: the serialized data and the seconds it has left. */
export interface CacheHit {
  body: string;
  remainingSeconds: number;
}

/**
 * The gateway's in-memory store of public responses: LRU within a byte and an entry budget, each
 * entry expiring after its maxAge, and dropped at once when a mutation changes what it selected.
 * `epoch` moves on every invalidation, so a response computed across one is not stored (it may
 * hold the value from before the write).
 */
export class ResponseCache {
  /** Insertion order is recency: a hit moves its entry to the end, eviction takes from the front. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #epoch = 0;
  readonly #limits: ResponseCacheLimits;
  readonly #now: () => number;
  /** What happened to requests and entries since start, for /metrics. */
  readonly counts = {
    hits: 0,
    misses: 0,
    bypasses: 0,
    stores: 0,
    evictions: 0,
    invalidated: 0,
    tooLarge: 0,
    raced: 0,
  };

  constructor(limits: ResponseCacheLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** The current invalidation epoch; pass it back to `set` to store only if no write came between. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held now, as counted against the budget. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The live entry under `key`, counted as a hit or a miss. */
  get(key: string): CacheHit | null {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > this.#now()) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.counts.hits += 1;
      return {
        body: entry.body,
        remainingSeconds: Math.max(0, Math.floor((entry.expiresAt - this.#now()) / 1000)),
      };
    }
    if (entry) this.#delete(key, entry);
    this.counts.misses += 1;
    return null;
  }

  /**
   * Stores `body` for `maxAge` seconds unless an invalidation happened since `epoch` or the entry
   * alone would take more than a sixteenth of the budget (one page must not empty the cache).
   */
  set(key: string, body: string, maxAge: number, volatile: readonly string[], epoch: number): void {
    if (epoch !== this.#epoch) {
      this.counts.raced += 1;
      return;
    }
    const bytes = Buffer.byteLength(body) + key.length + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.#limits.maxBytes / 16) {
      this.counts.tooLarge += 1;
      return;
    }
    const previous = this.#entries.get(key);
    if (previous) this.#delete(key, previous);
    this.#entries.set(key, { body, bytes, expiresAt: this.#now() + maxAge * 1000, volatile });
    this.#bytes += bytes;
    this.counts.stores += 1;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#limits.maxBytes && this.#entries.size <= this.#limits.maxEntries)
        break;
      this.#delete(oldest, entry);
      this.counts.evictions += 1;
    }
  }

  /** Drops every entry that selected one of `coordinates`, or every entry when `coordinates` is 'all'. */
  invalidate(coordinates: ReadonlySet<string> | 'all'): void {
    this.#epoch += 1;
    for (const [key, entry] of this.#entries) {
      if (coordinates === 'all' || entry.volatile.some((c) => coordinates.has(c))) {
        this.#delete(key, entry);
        this.counts.invalidated += 1;
      }
    }
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
