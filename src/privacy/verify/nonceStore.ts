/**
 * Where the nonces of accepted signatures are remembered, so each signed request is served once.
 * Every replica of a subgraph must share one store: a store per process let a call delivered to
 * one replica be replayed to another.
 */
export interface NonceStore {
  /**
   * Atomically checks and remembers `nonce` for `audience` until `expiresAt` (ms): true when it
   * was not remembered yet (the request may be served), false when it was (a replay). The expiry
   * follows from the signed time, so a replay always carries the same one (a store may key on
   * it). Throws when the store cannot answer; the caller then refuses the request.
   */
  claim(audience: string, nonce: string, expiresAt: number, now: number): Promise<boolean>;
  /** Releases what the store holds open. */
  close(): Promise<void>;
}

/**
 * The nonce store of a single process: a map swept of expired entries at most once a second, so
 * memory stays bounded by the request rate over the window. Enough for one replica and for tests.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #seen = new Map<string, number>();
  #lastSweep = 0;

  /** See NonceStore.claim. */
  async claim(audience: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    this.#sweep(now);
    const key = `${audience}\n${nonce}`;
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return false;
    this.#seen.set(key, expiresAt);
    return true;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  #sweep(now: number): void {
    if (now - this.#lastSweep < 1_000) return;
    this.#lastSweep = now;
    for (const [key, until] of this.#seen) if (until <= now) this.#seen.delete(key);
  }
}
