import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../../log/logger.js';
import type { AppendMessage, AppendReply, AuditThreadData, ReadyReply } from './auditThread.js';
import type { WireBatch } from '../record.js';

/** Whether the writer takes writes: its thread is loading, running, or could not start. */
export type AuditWriterState = 'starting' | 'ready' | 'failed';

/**
 * What a subgraph writes its disclosures through, on either engine: AuditWriter (a thread over the
 * SQLite file) or PostgresAuditWriter. `append` resolves once the records are committed and
 * rejects otherwise (then the caller redacts).
 */
export interface AuditAppender {
  readonly state: AuditWriterState;
  /** For `/ready`: throws (or rejects) unless writes are taken. */
  ensureReady(): void | Promise<void>;
  append(chain: string, batches: readonly WireBatch[]): Promise<void>;
  close(): Promise<void>;
}

/** What a thread that cannot start sends before it ends. */
interface FatalReply {
  fatal: string;
}

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** A running thread and the writes it has not answered yet. */
interface Thread {
  worker: Worker;
  waiting: Map<number, Waiting>;
}

/** This module's own extension: `.ts` when run from source (tsx, vitest), `.js` when compiled. */
const OWN_EXTENSION = path.extname(new URL(import.meta.url).pathname);

/**
 * The script a thread starts with. From source (tsx, vitest) it first registers tsx's loader in the
 * thread: Node 20 applies neither the parent's `--import` hooks nor its loader to a worker's modules.
 */
function threadScript(): string {
  const thread = JSON.stringify(new URL(`./auditThread${OWN_EXTENSION}`, import.meta.url).href);
  // tsx is resolved only from source: compiled code runs where it is not installed (--omit=dev).
  const load =
    OWN_EXTENSION === '.ts'
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((api) => { api.register(); return import(${thread}); })`
      : `import(${thread})`;
  // A thread that cannot start (no database, say) says why and ends, failing what it was sent.
  const fatal = '{ fatal: String((error && error.message) || error) }';
  return `${load}.catch((error) => { require('node:worker_threads').parentPort.postMessage(${fatal}); process.exit(1); });`;
}

/**
 * Appends disclosure records from a dedicated thread. SQLite writes are synchronous: on the request
 * thread, the write of a 1,000-loan listing's records (about 140 patrons) would stall every other
 * request. Here a request hands its records over and awaits the commit before its response leaves,
 * while other requests go on; requests that finish together share one transaction (group commit).
 * Nothing is disclosed unaudited: a failed write, a dead thread or no answer within `timeoutMs`
 * rejects, and the caller redacts.
 */
export class AuditWriter implements AuditAppender {
  #thread: Thread | null = null;
  #nextId = 1;
  #closed = false;
  #state: AuditWriterState = 'starting';

  constructor(
    private readonly options: {
      file: string;
      key: string;
      logger: Logger;
      timeoutMs?: number;
      timerScale?: number;
    },
  ) {
    if (options.file === ':memory:')
      throw new Error(
        'the audit writer needs a database file; an in-memory audit cannot be shared with its thread',
      );
    // Started now, so the first disclosure does not wait for the thread to load.
    this.#thread = this.#start();
  }

  /** Whether the thread takes writes: shown on the subgraphs' /health. */
  get state(): AuditWriterState {
    return this.#state;
  }

  /**
   * For `/ready`: throws unless the thread takes writes. A thread that died is started again here,
   * so a replica taken out of rotation by its readiness probe comes back without a request.
   */
  ensureReady(): void {
    if (this.#closed) throw new Error('the audit writer is closed');
    this.#thread ??= this.#start();
    if (this.#state !== 'ready') throw new Error(`the audit writer is ${this.#state}`);
  }

  /** Appends one request's batches of records to `chain`; resolves once they are committed. */
  append(chain: string, batches: readonly WireBatch[]): Promise<void> {
    if (batches.every((b) => b.patrons.length === 0)) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the audit writer is closed'));
    const thread = (this.#thread ??= this.#start());
    const id = this.#nextId++;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        thread.waiting.delete(id);
        reject(new Error(`the audit write did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      thread.waiting.set(id, { resolve, reject, timer });
      thread.worker.postMessage({ id, chain, batches } satisfies AppendMessage);
    });
  }

  /** Lets queued writes finish, then stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const thread = this.#thread;
    if (!thread) return;
    const exited = once(thread.worker, 'exit');
    thread.worker.ref();
    thread.worker.postMessage('close');
    await exited;
  }

  #start(): Thread {
    const worker = new Worker(threadScript(), {
      eval: true,
      workerData: {
        file: this.options.file,
        key: this.options.key,
        timerScale: this.options.timerScale ?? 1,
      } satisfies AuditThreadData,
    });
    worker.unref();
    const thread: Thread = { worker, waiting: new Map() };
    this.#state = 'starting';
    // A thread that dies fails what it was sent; the next append starts a new one.
    const fail = (error: Error) => {
      if (this.#thread === thread) {
        this.#thread = null;
        this.#state = 'failed';
      }
      for (const waiting of thread.waiting.values()) {
        clearTimeout(waiting.timer);
        waiting.reject(error);
      }
      thread.waiting.clear();
    };
    worker.on('message', (reply: AppendReply | FatalReply | ReadyReply) => {
      if ('ready' in reply) {
        if (this.#thread === thread) this.#state = 'ready';
        return;
      }
      if ('fatal' in reply) {
        this.options.logger.error({ err: reply.fatal }, 'audit writer thread could not start');
        return fail(new Error(reply.fatal));
      }
      const waiting = thread.waiting.get(reply.id);
      if (!waiting) return;
      thread.waiting.delete(reply.id);
      clearTimeout(waiting.timer);
      if (reply.ok) waiting.resolve();
      else waiting.reject(new Error(reply.error));
    });
    worker.on('error', (error) => {
      this.options.logger.error({ err: error.message }, 'audit writer thread failed');
      fail(error);
    });
    worker.on('exit', (code) => fail(new Error(`the audit writer thread exited (${code})`)));
    return thread;
  }
}
