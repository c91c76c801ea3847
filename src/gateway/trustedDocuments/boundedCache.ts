/**
 * A least-recently-used map held to a number of entries and a total size, so that whatever keys a
 * client invents (hostile hashes, one-off queries) the memory it can take is fixed. An entry larger
 * than the whole budget is not kept at all.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private total = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxSize: number,
    /** The size an entry counts for, in the unit of `maxSize` (bytes for text). */
    private readonly sizeOf: (key: string, value: V) => number,
  ) {}

  /** The value under `key`, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` under `key`, evicting the least recently used entries until both bounds hold. */
  set(key: string, value: V): void {
    const size = this.sizeOf(key, value);
    this.delete(key);
    if (size > this.maxSize || this.maxEntries === 0) return;
    this.entries.set(key, { value, size });
    this.total += size;
    while (this.entries.size > this.maxEntries || this.total > this.maxSize) {
      this.delete(this.entries.keys().next().value!);
    }
  }

  /** Forgets `key`; true when it was there. */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.total -= entry.size;
    return true;
  }

  /** How many entries are held. */
  get size(): number {
    return this.entries.size;
  }

  /** The sum of the entries' sizes. */
  get totalSize(): number {
    return this.total;
  }
}
