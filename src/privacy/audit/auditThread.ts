/**
 * The audit writer's thread (see auditWriter.ts). It owns one connection to the audit database and
 * appends what the request threads send, one transaction for everything that arrived together
 * (group commit), then answers each batch with its outcome. Every so often it files the new
 * records under their patrons (AuditStore.fileSubjects), in bulk, outside any request's wait.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '../../db/open.js';
import { AuditStore, type AuditBatch } from './auditStore.js';
import { auditMigrations, type AuditTables } from './migrations.js';

/** A request thread's batch: one request's records for one chain. */
export interface AppendMessage extends AuditBatch {
  id: number;
}

/** The thread's answer to one batch. */
export type AppendReply = { id: number; ok: true } | { id: number; ok: false; error: string };

/** The thread's setup, passed as `workerData`. */
export interface AuditThreadData {
  file: string;
  key: string;
}

const port = parentPort;
if (!port) throw new Error('auditThread runs only as a worker thread (see auditWriter.ts)');
const { file, key } = workerData as AuditThreadData;
const database = await openSqlite<AuditTables>(file, auditMigrations);
// Each request's records land on as many pages of the patron index as it has subjects. Checkpoint
// every 16 MiB of WAL rather than 4: a page rewritten by many requests is copied back once.
database.sqlite.pragma('wal_autocheckpoint = 4096');
const store = new AuditStore(database, key);

/** File after this many new records, or this long after the first unfiled one, whichever is first. */
const FILE_EVERY_RECORDS = 5000;
const FILE_WITHIN_MS = 1000;

let queue: AppendMessage[] = [];
let scheduled = false;
let unfiled = 0;
let fileTimer: NodeJS.Timeout | null = null;

/** Files what is unfiled. A failure only delays it: lookups read unfiled records from the chains. */
function fileSubjects(): void {
  if (fileTimer) clearTimeout(fileTimer);
  fileTimer = null;
  try {
    store.fileSubjects();
    unfiled = 0;
  } catch {
    fileLater();
  }
}

function fileLater(): void {
  fileTimer ??= setTimeout(fileSubjects, FILE_WITHIN_MS);
}

fileSubjects();

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Writes all queued batches in one transaction; if that fails, each alone, so one bad batch fails only itself. */
function drain(): void {
  scheduled = false;
  const batches = queue;
  queue = [];
  try {
    store.appendAll(batches);
    for (const { id } of batches) port!.postMessage({ id, ok: true } satisfies AppendReply);
  } catch {
    for (const batch of batches) {
      try {
        store.appendAll([batch]);
        port!.postMessage({ id: batch.id, ok: true } satisfies AppendReply);
      } catch (error) {
        port!.postMessage({ id: batch.id, ok: false, error: message(error) } satisfies AppendReply);
      }
    }
  }
  unfiled += batches.reduce((n, b) => n + b.entries.length, 0);
  if (unfiled >= FILE_EVERY_RECORDS) fileSubjects();
  else fileLater();
}

port.on('message', (msg: AppendMessage | 'close') => {
  if (msg === 'close') {
    if (queue.length) drain();
    fileSubjects();
    if (fileTimer) clearTimeout(fileTimer);
    void database.close().then(() => port.close());
    return;
  }
  queue.push(msg);
  // Batches that arrive while a transaction runs wait in the port and are drained together next.
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});
