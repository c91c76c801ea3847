/**
 * The audit writer's thread (see auditWriter.ts). It owns one connection to the audit database and
 * appends what the request threads send, one transaction for everything that arrived together
 * (group commit), then answers each batch with its outcome. Every so often it files the new
 * records under their patrons (AuditStore.fileSubjects), in bulk, outside any request's wait, and
 * in quiet moments it merges the runs that filing leaves (AuditStore.mergeRuns).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '../../../db/open.js';
import { AuditStore, type ChainAppend } from './auditStore.js';
import { FreshRecords } from './subjectIndex.js';
import { auditMigrations, type AuditTables } from './migrations.js';

/** A request thread's write: one request's batches for one chain. */
export interface AppendMessage extends ChainAppend {
  id: number;
}

/** The thread's answer to one batch. */
export type AppendReply = { id: number; ok: true } | { id: number; ok: false; error: string };

/** What the thread says once its database is open and it takes writes. */
export interface ReadyReply {
  ready: true;
}

/** The thread's setup, passed as `workerData`. */
export interface AuditThreadData {
  file: string;
  key: string;
  /** Stretches the timers below (a benchmark's `auditTimerScale`): under valgrind a second of work takes a minute. */
  timerScale: number;
}

const port = parentPort;
if (!port) throw new Error('auditThread runs only as a worker thread (see auditWriter.ts)');
const { file, key, timerScale } = workerData as AuditThreadData;
const database = await openSqlite<AuditTables>(file, auditMigrations);
// A filing rewrites pages of the patron index all over it. Checkpoint every 16 MiB of WAL rather
// than 4: a page rewritten by several filings is copied back once.
database.sqlite.pragma('wal_autocheckpoint = 4096');
const store = new AuditStore(database, key);

/** File after this many new records, or this long after the first unfiled one, whichever is first. */
const FILE_EVERY_RECORDS = 5000;
const FILE_WITHIN_MS = 1000 * timerScale;

/** Merge runs of the patron index once no write has come for this long (see AuditStore.mergeRuns). */
const MERGE_WHEN_QUIET_MS = 250 * timerScale;

/** What this thread appended since it last filed: filed without reading it back. */
const fresh = new FreshRecords();
let queue: AppendMessage[] = [];
let scheduled = false;
let unfiled = 0;
let fileTimer: NodeJS.Timeout | null = null;
let mergeTimer: NodeJS.Timeout | null = null;

/** Files what is unfiled. A failure only delays it: lookups read unfiled records from the chains. */
function fileSubjects(): void {
  if (fileTimer) clearTimeout(fileTimer);
  fileTimer = null;
  try {
    store.fileSubjects(fresh);
    fresh.clear();
    unfiled = 0;
  } catch {
    fileLater();
  }
}

function fileLater(): void {
  fileTimer ??= setTimeout(fileSubjects, FILE_WITHIN_MS);
}

/** Waits for a quiet moment, then merges one set of runs at a time while it stays quiet. */
function mergeWhenQuiet(): void {
  if (mergeTimer) clearTimeout(mergeTimer);
  mergeTimer = setTimeout(() => {
    mergeTimer = null;
    try {
      if (store.mergeRuns()) mergeWhenQuiet();
    } catch {
      // A failed merge changes nothing; the next quiet moment tries again.
    }
  }, MERGE_WHEN_QUIET_MS);
  mergeTimer.unref();
}

fileSubjects();
mergeWhenQuiet();
port.postMessage({ ready: true } satisfies ReadyReply);

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Appends all queued writes in one transaction; if that fails, each alone, so one bad write fails only itself. */
function drain(): void {
  scheduled = false;
  const writes = queue;
  queue = [];
  try {
    store.appendAll(writes, fresh);
    for (const { id } of writes) port!.postMessage({ id, ok: true } satisfies AppendReply);
  } catch {
    for (const write of writes) {
      try {
        store.appendAll([write], fresh);
        port!.postMessage({ id: write.id, ok: true } satisfies AppendReply);
      } catch (error) {
        port!.postMessage({ id: write.id, ok: false, error: message(error) } satisfies AppendReply);
      }
    }
  }
  unfiled += writes.reduce((n, w) => w.batches.reduce((m, b) => m + b.patrons.length, n), 0);
  if (unfiled >= FILE_EVERY_RECORDS) fileSubjects();
  else fileLater();
  mergeWhenQuiet();
}

port.on('message', (msg: AppendMessage | 'close') => {
  if (msg === 'close') {
    if (queue.length) drain();
    fileSubjects();
    if (fileTimer) clearTimeout(fileTimer);
    if (mergeTimer) clearTimeout(mergeTimer);
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
