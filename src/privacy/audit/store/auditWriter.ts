import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { openSqlite, type SqliteDatabase } from '../../../db/open.js';
import { isDatabaseBusy } from '../../../errors/mask.js';
import type { Logger } from '../../../log/logger.js';
import { AuditStore, type ChainAppend } from './auditStore.js';
import { auditMigrations, type AuditTables } from './migrations.js';
import type { FilingThreadData, FiledMessage, Committed } from './auditThread.js';
import type { WireBatch } from '../record.js';

/** Whether the writer takes writes: its database is opening, open, or could not be opened. */
export type AuditWriterState = 'starting' | 'ready' | 'failed';

/**
 * Where a commit's sync of the write-ahead log runs: on the request thread (`inline`), on libuv's
 * thread pool while the request thread works on (`pool`), or chosen per commit by how busy the
 * request thread has been (`auto`, the default; see SYNC_OFF_THREAD_ABOVE).
 */
export type AuditSync = 'auto' | 'inline' | 'pool';

/**
 * Under `auto`, the share of the last window's time the request thread spent working above which
 * a commit's sync goes to the pool. A sync on the thread holds it for the disk's time (about a
 * millisecond under load); where the thread has other requests' work to do (all services in one
 * process, a busy subgraph) that hold costs every request. Where it is mostly idle, the sync on
 * the thread is the shorter wait: a sync finished on the pool waits for its turn behind whatever
 * execution the thread started meanwhile.
 */
const SYNC_OFF_THREAD_ABOVE = 0.75;

/** How often, under `auto`, the request thread's busy share is read again. */
const BUSY_WINDOW_MS = 100;

/**
 * What a subgraph writes its disclosures through, on either engine: AuditWriter (over the SQLite
 * file) or PostgresAuditWriter. `append` resolves once the records are committed and rejects
 * otherwise (then the caller redacts).
 */
export interface AuditAppender {
  readonly state: AuditWriterState;
  /** For `/ready`: throws (or rejects) unless writes are taken. */
  ensureReady(): void | Promise<void>;
  append(chain: string, batches: readonly WireBatch[]): Promise<void>;
  close(): Promise<void>;
}

/** One request's write, waiting for its transaction and then for the log's sync. */
interface Pending extends ChainAppend {
  resolve(): void;
  reject(error: Error): void;
  /** Date.now() past which it is refused rather than tried again. */
  deadline: number;
}

/** This module's own extension: `.ts` when run from source (tsx, vitest), `.js` when compiled. */
const OWN_EXTENSION = path.extname(new URL(import.meta.url).pathname);

/** How long a write waits before trying again while another connection holds SQLite's write lock. */
const BUSY_RETRY_MS = 2;

/**
 * How long commits gather before the filing thread hears of them, in one message. It files every
 * second (or 5,000 records) anyway; a message per commit cost the request thread a structured
 * clone and the filing thread a wake-up per disclosing request.
 */
const TELL_FILING_EVERY_MS = 250;

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/**
 * The script the filing thread starts with. From source (tsx, vitest) it first registers tsx's
 * loader in the thread: Node 20 applies neither the parent's `--import` hooks nor its loader to a
 * worker's modules.
 */
function threadScript(): string {
  const thread = JSON.stringify(new URL(`./auditThread${OWN_EXTENSION}`, import.meta.url).href);
  // tsx is resolved only from source: compiled code runs where it is not installed (--omit=dev).
  const load =
    OWN_EXTENSION === '.ts'
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((api) => { api.register(); return import(${thread}); })`
      : `import(${thread})`;
  return `${load}.catch((error) => { console.error(error); process.exit(1); });`;
}

/**
 * Appends disclosure records to the SQLite audit from the request thread, in the same turn of the
 * event loop: a response that waits for its record waits for the commit and the log's sync, not
 * for another thread to run its transaction, nor for its turn behind later requests' work. The
 * appends of one turn commit in one transaction (group commit), and so do writes that waited for
 * the lock. A commit appends to the write-ahead log, and no append resolves before a sync of the
 * log that began after its commit has finished, so a record a response waited for is on the disk.
 * The sync runs on the request thread or on libuv's pool (AuditSync); syncs on the pool run one at
 * a time, and the commits made while one runs share the next.
 *
 * The request thread never blocks on SQLite's lock: its connection does not wait for the lock
 * (busy_timeout 0) and does not checkpoint, and a write that finds the lock taken (by the filing
 * thread, or another process writing the same audit) is tried again a moment later. What takes
 * long runs on a thread of its own (auditThread.ts): filing new records under their patrons,
 * merging the patron index, and checkpointing the write-ahead log.
 *
 * Nothing is disclosed unaudited: a failed write, an audit that cannot be opened, or no commit
 * within `timeoutMs` rejects, and the caller redacts.
 */
export class AuditWriter implements AuditAppender {
  #store: AuditStore | null = null;
  #database: SqliteDatabase<AuditTables> | null = null;
  #opening: Promise<AuditStore> | null = null;
  #state: AuditWriterState = 'starting';
  #queue: Pending[] = [];
  /** Whether a flush is scheduled or running; appends meanwhile join the next transaction. */
  #running = false;
  #closed = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => undefined;
  #filing: Worker | null = null;
  /** The write-ahead log, opened for syncing it. */
  #log: number | null = null;
  /** Committed writes waiting for a sync on the pool that begins after their commit. */
  #unsynced: Pending[] = [];
  /** Whether a sync runs on the pool. */
  #syncing = false;
  /** Under `auto`: the request thread's busy time when last read, and whether it was busy then. */
  #busySince: EventLoopUtilization | null = null;
  #busyReadAt = 0;
  #busy = false;
  /** Commits the filing thread has not heard of yet, and the timer that tells it. */
  #untold: Committed[] = [];
  #tellTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      file: string;
      key: string;
      logger: Logger;
      timeoutMs?: number;
      timerScale?: number;
      /** Where the log's sync runs (default `auto`). */
      sync?: AuditSync;
    },
  ) {
    if (options.file === ':memory:')
      throw new Error(
        'the audit writer needs a database file; an in-memory audit cannot be shared with its filing thread',
      );
    // Opened now, so the first disclosure does not wait for the migrations.
    this.#open().catch(() => undefined);
  }

  /** Whether writes are taken: shown on the subgraphs' /health. */
  get state(): AuditWriterState {
    return this.#state;
  }

  /**
   * For `/ready`: throws unless writes are taken. An audit that could not be opened is tried again
   * here, so a replica taken out of rotation by its readiness probe comes back without a request.
   */
  ensureReady(): void {
    if (this.#closed) throw new Error('the audit writer is closed');
    if (this.#state === 'failed') this.#open().catch(() => undefined);
    if (this.#state !== 'ready') throw new Error(`the audit writer is ${this.#state}`);
  }

  /** Appends one request's batches of records to `chain`; resolves once they are committed. */
  append(chain: string, batches: readonly WireBatch[]): Promise<void> {
    if (batches.every((b) => b.patrons.length === 0)) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the audit writer is closed'));
    const deadline = Date.now() + (this.options.timeoutMs ?? 10_000);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ chain, batches, resolve, reject, deadline });
      if (this.#running) return;
      this.#running = true;
      // Idle means no flush and no sync on the pool: while a sync runs, the writer is not idle yet.
      if (!this.#syncing) this.#idle = new Promise((done) => (this.#markIdle = done));
      // Every append of this turn of the event loop joins one transaction, committed once its I/O
      // callbacks have run (the check phase): the followers of a shared execution, read in one poll,
      // commit together, and their responses wait for one sync, not one each.
      setImmediate(() => void this.#flush());
    });
  }

  /** Lets queued writes finish, files what is unfiled, then closes the database. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#idle;
    await this.#opening?.catch(() => undefined);
    // What was committed but not yet told is filed before the thread closes.
    this.#tellFiling(true);
    const filing = this.#filing;
    this.#filing = null;
    if (filing) {
      const exited = once(filing, 'exit');
      filing.ref();
      filing.postMessage('close');
      await exited;
    }
    await this.#database?.close();
    this.#database = null;
    this.#store = null;
    if (this.#log !== null) fs.closeSync(this.#log);
    this.#log = null;
  }

  /** Opens the audit (once at a time); a failure is reported to the writes waiting for it. */
  #open(): Promise<AuditStore> {
    this.#opening ??= (async () => {
      this.#state = 'starting';
      try {
        const database = await openSqlite<AuditTables>(this.options.file, auditMigrations);
        database.sqlite.pragma('busy_timeout = 0');
        database.sqlite.pragma('wal_autocheckpoint = 0');
        // A disclosure's record must survive the machine losing power, not only the process
        // crashing: SQLite's commits here only write the log (synchronous=NORMAL, which keeps the
        // database consistent but syncs the log only at checkpoints), and the writer syncs the log
        // itself before any append resolves (#sync), on this thread or on the pool.
        database.sqlite.pragma('synchronous = NORMAL');
        try {
          this.#log = fs.openSync(`${this.options.file}-wal`, 'r');
        } catch (error) {
          await database.close();
          throw error;
        }
        this.#database = database;
        this.#store = new AuditStore(database, this.options.key);
        this.#state = 'ready';
        return this.#store;
      } catch (error) {
        this.#state = 'failed';
        this.#opening = null;
        this.options.logger.error({ err: asError(error).message }, 'audit could not be opened');
        throw error;
      }
    })();
    return this.#opening;
  }

  /**
   * Appends what is queued in one transaction: synchronously when the audit is open, else once
   * it is. If the lock is taken, tries again shortly, with whatever was queued meanwhile
   * (group commit); if the transaction fails otherwise, appends each write alone, so one bad write
   * fails only itself.
   */
  async #flush(): Promise<void> {
    let store = this.#store;
    if (!store) {
      try {
        store = await this.#open();
      } catch (error) {
        for (const w of this.#take()) w.reject(asError(error));
        return this.#next();
      }
    }
    const writes = this.#take();
    const committed: Committed[] = [];
    // The filing thread's message is a copy (structured clone): the batches' own arrays go in it.
    const note = {
      add: (chain: string, firstSeq: number, patrons: readonly string[], seqs: number) => {
        committed.push({ chain, firstSeq, patrons, seqs });
      },
    };
    const busy: Pending[] = [];
    const done: Pending[] = [];
    try {
      store.appendAll(writes, note);
      done.push(...writes);
    } catch (error) {
      if (isDatabaseBusy(error)) busy.push(...writes);
      else
        for (const w of writes) {
          try {
            store.appendAll([w], note);
            done.push(w);
          } catch (alone) {
            if (isDatabaseBusy(alone)) busy.push(w);
            else w.reject(asError(alone));
          }
        }
    }
    if (done.length > 0) this.#sync(done);
    if (committed.length > 0) this.#file(committed);
    const now = Date.now();
    for (const w of busy) {
      if (now < w.deadline) this.#queue.unshift(w);
      else w.reject(new Error('the audit write did not finish in time: the audit stayed locked'));
    }
    this.#next();
  }

  #take(): Pending[] {
    const writes = this.#queue;
    this.#queue = [];
    return writes;
  }

  /** Tries again shortly if writes are waiting (the lock was taken), else marks the writer idle. */
  #next(): void {
    if (this.#queue.length > 0) {
      setTimeout(() => void this.#flush(), BUSY_RETRY_MS);
      return;
    }
    this.#running = false;
    if (!this.#syncing) this.#markIdle();
  }

  /**
   * Resolves committed writes once the log is synced (rejects them if the sync fails: the caller
   * then redacts). On the request thread the sync covers every commit made so far; on the pool it
   * begins only once the one running has ended, and covers the writes committed before it begins.
   */
  #sync(committed: Pending[]): void {
    const log = this.#log;
    if (log === null) {
      for (const w of committed) w.reject(new Error('the audit log is not open'));
      return;
    }
    if (!this.#offThread()) {
      try {
        fs.fdatasyncSync(log);
      } catch (error) {
        for (const w of committed) w.reject(asError(error));
        return;
      }
      for (const w of committed) w.resolve();
      return;
    }
    this.#unsynced.push(...committed);
    if (!this.#syncing) this.#syncOnPool(log);
  }

  #syncOnPool(log: number): void {
    const group = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = true;
    fs.fdatasync(log, (error) => {
      for (const w of group) {
        if (error) w.reject(asError(error));
        else w.resolve();
      }
      if (this.#unsynced.length > 0) {
        if (this.#log !== null) return this.#syncOnPool(this.#log);
        for (const w of this.#unsynced) w.reject(new Error('the audit log is not open'));
        this.#unsynced = [];
      }
      this.#syncing = false;
      if (!this.#running) this.#markIdle();
    });
  }

  /** Whether this commit's sync goes to the pool (AuditSync). */
  #offThread(): boolean {
    const policy = this.options.sync ?? 'auto';
    if (policy !== 'auto') return policy === 'pool';
    const now = performance.now();
    if (now - this.#busyReadAt >= BUSY_WINDOW_MS) {
      const total = performance.eventLoopUtilization();
      const window = this.#busySince
        ? performance.eventLoopUtilization(total, this.#busySince)
        : total;
      this.#busy = window.utilization > SYNC_OFF_THREAD_ABOVE;
      this.#busySince = total;
      this.#busyReadAt = now;
    }
    return this.#busy;
  }

  /**
   * Notes what was committed for the filing thread, which hears of it within
   * TELL_FILING_EVERY_MS. Should the process end before, nothing is lost: the thread files from
   * the chains what it was not told of, and lookups read unfiled records from the chains.
   */
  #file(committed: Committed[]): void {
    this.#untold.push(...committed);
    if (this.#tellTimer || this.#closed) return;
    this.#tellTimer = setTimeout(
      () => this.#tellFiling(),
      TELL_FILING_EVERY_MS * (this.options.timerScale ?? 1),
    );
    this.#tellTimer.unref();
  }

  /**
   * Tells the filing thread what was committed since it last heard, starting it with the first
   * commit (a process that never discloses, catalog say, runs none) and again if it died.
   */
  #tellFiling(closing = false): void {
    if (this.#tellTimer) clearTimeout(this.#tellTimer);
    this.#tellTimer = null;
    const committed = this.#untold;
    if (committed.length === 0) return;
    this.#untold = [];
    if (!this.#filing && (closing || !this.#closed)) this.#startFiling();
    this.#filing?.postMessage({ committed } satisfies FiledMessage);
  }

  #startFiling(): void {
    if (this.#filing) return;
    const worker = new Worker(threadScript(), {
      eval: true,
      workerData: {
        file: this.options.file,
        key: this.options.key,
        timerScale: this.options.timerScale ?? 1,
      } satisfies FilingThreadData,
    });
    worker.unref();
    worker.on('error', (error) => {
      this.options.logger.error({ err: error.message }, 'audit filing thread failed');
    });
    // Filing only speeds up lookups by patron (they read unfiled records from the chains): a thread
    // that dies is started again with the next commit.
    worker.on('exit', () => {
      if (this.#filing === worker) this.#filing = null;
    });
    this.#filing = worker;
  }
}
