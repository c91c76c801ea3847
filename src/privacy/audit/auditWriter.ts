import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log/logger.js';
import type { AppendMessage, AppendReply, AuditThreadData } from './auditThread.js';
import type { DisclosureEntry } from './record.js';

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** This module's own extension: `.ts` when run from source (tsx, vitest), `.js` when compiled. */
const OWN_EXTENSION = path.extname(new URL(import.meta.url).pathname);

/**
 * The script a thread starts with. From source (tsx, vitest) it first registers tsx's loader in the
 * thread: Node 20 applies neither the parent's `--import` hooks nor its loader to a worker's modules.
 */
function threadScript(): string {
  const thread = JSON.stringify(new URL(`./auditThread${OWN_EXTENSION}`, import.meta.url).href);
  if (OWN_EXTENSION !== '.ts') return `import(${thread})`;
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return `import(${tsx}).then((api) => { api.register(); return import(${thread}); })`;
}

/**
 * Appends disclosure records from a dedicated thread. SQLite writes are synchronous: on the request
 * thread, the write of a 1,000-loan listing's records (about 140 patrons) would stall every other
 * request. Here a request hands its records over and awaits the commit before its response leaves,
 * while other requests go on; requests that finish together share one transaction (group commit).
 * Nothing is disclosed unaudited: a failed write, a dead thread or no answer within `timeoutMs`
 * rejects, and the caller redacts.
 */
export class AuditWriter {
  #worker: Worker | null = null;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #closed = false;

  constructor(
    private readonly options: { file: string; key: string; logger: Logger; timeoutMs?: number },
  ) {
    if (options.file === ':memory:') throw new Error('the audit writer needs a database file; an in-memory audit cannot be shared with its thread');
    // Started now, so the first disclosure does not wait for the thread to load.
    this.#start();
  }

  /** Appends one request's records to `chain`; resolves once they are committed. */
  append(chain: string, entries: readonly DisclosureEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the audit writer is closed'));
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`the audit write did not finish within ${this.options.timeoutMs ?? 10_000} ms`));
      }, this.options.timeoutMs ?? 10_000);
      this.#waiting.set(id, { resolve, reject, timer });
      worker.postMessage({ id, chain, entries } satisfies AppendMessage);
    });
  }

  /** Lets queued writes finish, then stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    const exited = once(worker, 'exit');
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  #start(): Worker {
    const worker = new Worker(threadScript(), {
      eval: true,
      workerData: { file: this.options.file, key: this.options.key } satisfies AuditThreadData,
    });
    worker.unref();
    worker.on('message', (reply: AppendReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      clearTimeout(waiting.timer);
      if (reply.ok) waiting.resolve();
      else waiting.reject(new Error(reply.error));
    });
    // A thread that dies fails what it held; the next append starts a new one.
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const [id, waiting] of this.#waiting) {
        clearTimeout(waiting.timer);
        waiting.reject(error);
        this.#waiting.delete(id);
      }
    };
    worker.on('error', (error) => {
      this.options.logger.error({ err: error.message }, 'audit writer thread failed');
      fail(error);
    });
    worker.on('exit', (code) => fail(new Error(`the audit writer thread exited (${code})`)));
    this.#worker = worker;
    return worker;
  }
}
