import type { AuditAppender, AuditWriterState } from './auditWriter.js';
import type { ChainAppend } from './auditStore.js';
import type { PostgresAuditStore } from './postgresAuditStore.js';
import type { WireBatch } from '../record.js';

interface Queued extends ChainAppend {
  resolve(): void;
  reject(error: Error): void;
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/**
 * Appends disclosure records to the audit on PostgreSQL, from the request thread: the database
 * does the waiting, so no thread is needed to keep a request's write from stalling the others (the
 * hashes of a 1,000-loan listing's records take well under a millisecond). One transaction at a
 * time per process: requests whose records arrive while one commits are appended together in the
 * next (group commit). Nothing is disclosed unaudited: a failed write, or no commit within
 * `timeoutMs`, rejects, and the caller redacts.
 */
export class PostgresAuditWriter implements AuditAppender {
  #queue: Queued[] = [];
  #running = false;
  #closed = false;
  #state: AuditWriterState = 'ready';
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => undefined;

  constructor(
    private readonly store: PostgresAuditStore,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  /** For /health: `failed` while the last transaction failed, until one commits. */
  get state(): AuditWriterState {
    return this.#state;
  }

  /** For `/ready`: the audit database answers, and the writer is not closed. */
  async ensureReady(): Promise<void> {
    if (this.#closed) throw new Error('the audit writer is closed');
    await this.store.ping();
  }

  /** Appends one request's batches of records to `chain`; resolves once they are committed. */
  append(chain: string, batches: readonly WireBatch[]): Promise<void> {
    if (batches.every((b) => b.patrons.length === 0)) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the audit writer is closed'));
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the audit write did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#queue.push({
        chain,
        batches,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      if (!this.#running) {
        this.#running = true;
        this.#idle = new Promise((done) => (this.#markIdle = done));
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Appends what is queued, one transaction per round; if a round fails, each write alone, so one bad write fails only itself. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const writes = this.#queue;
      this.#queue = [];
      try {
        await this.store.appendAll(writes);
        this.#state = 'ready';
        for (const w of writes) w.resolve();
      } catch (error) {
        this.#state = 'failed';
        if (writes.length === 1) writes[0]!.reject(asError(error));
        else {
          for (const w of writes) {
            try {
              await this.store.appendAll([w]);
              this.#state = 'ready';
              w.resolve();
            } catch (alone) {
              w.reject(asError(alone));
            }
          }
        }
      }
    }
    this.#running = false;
    this.#markIdle();
  }

  /** Lets queued writes finish; later appends are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#idle;
  }
}
