import type SQLite from 'better-sqlite3';
import type { Logger } from '../log/logger.js';
import type { Database } from './open.js';

/** What a store calls after a write removed personal data, and what its service closes. */
export interface RemovalFlush {
  request(): void;
  close(): void;
}

/**
 * The flush of removed rows for one store: a WAL checkpointer for SQLite. PostgreSQL keeps a
 * removed row's old version in the table until (auto)vacuum reclaims it and in its own WAL until
 * recycled; that is the server's to manage (README, "PostgreSQL"), so nothing is asked here.
 */
export function removalFlushFor<Tables>(
  database: Database<Tables>,
  options: { delayMs: number; logger?: Logger },
): RemovalFlush {
  if (database.dialect === 'sqlite') return new WalCheckpointer(database.sqlite, options);
  return { request: () => undefined, close: () => undefined };
}

/**
 * Checkpoints one SQLite file's write-ahead log soon after a write that removed personal data
 * (anonymizing a loan or a hold). Until then the WAL still holds the pages as they were before,
 * with the patron link the write removed. `TRUNCATE` copies every frame into the database file,
 * where `secure_delete` has zeroed the removed cells, and cuts the WAL to zero bytes.
 *
 * Requests are coalesced: the first schedules one checkpoint `delayMs` later and later ones join
 * it, so a steady stream of returns costs one checkpoint per delay, never one per request, and
 * none is postponed past the delay. A checkpoint that cannot finish now (a reader in another
 * process, a transaction open on this connection) is retried shortly; it never waits on a lock,
 * so it never blocks the event loop.
 */
export class WalCheckpointer {
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly options: { delayMs: number; logger?: Logger; retryMs?: number },
  ) {}

  /** Asks for a checkpoint within the delay (joins the one already pending). */
  request(): void {
    if (this.#timer !== null || this.sqlite.memory) return;
    this.#schedule(this.options.delayMs);
  }

  /** Checkpoints now; true when the whole WAL was copied and truncated. */
  checkpointNow(): boolean {
    if (!this.sqlite.open || this.sqlite.inTransaction) return false;
    const timeout = this.sqlite.pragma('busy_timeout', { simple: true }) as number;
    this.sqlite.pragma('busy_timeout = 0');
    try {
      const [result] = this.sqlite.pragma('wal_checkpoint(TRUNCATE)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      return result !== undefined && result.busy === 0 && result.log === 0;
    } finally {
      this.sqlite.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /** Drops a pending checkpoint (the connection is closing, and closing checkpoints itself). */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => this.#run(), ms);
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = null;
    if (!this.sqlite.open) return;
    let done = false;
    try {
      done = this.checkpointNow();
    } catch (error) {
      this.options.logger?.warn(
        { err: error instanceof Error ? error.message : 'unknown' },
        'WAL checkpoint failed; retrying',
      );
    }
    if (!done) this.#schedule(this.options.retryMs ?? 250);
  }
}
