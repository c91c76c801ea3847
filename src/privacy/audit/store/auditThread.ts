/**
 * The audit's filing thread (see auditWriter.ts): the slow upkeep of the SQLite audit, kept off the
 * request thread. It owns a connection of its own and, as the request thread reports commits,
 * files the new records under their patrons (AuditStore.fileSubjects) in bulk; in quiet moments it
 * merges the runs that filing leaves (AuditStore.mergeRuns). Its commits also checkpoint the
 * write-ahead log, which the request thread's connection never does. Appends wait for its
 * transactions (SQLite has one writer at a time) without blocking the request thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '../../../db/open.js';
import { AuditStore } from './auditStore.js';
import { FreshRecords } from './subjectIndex.js';
import { auditMigrations, type AuditTables } from './migrations.js';

/**
 * Records the request thread committed: a chain's first seq, its records' patrons in order, and
 * the seqs the batch took (a repeat takes seqs but has no records of its own).
 */
export interface Committed {
  chain: string;
  firstSeq: number;
  patrons: readonly string[];
  seqs: number;
}

/** What the request thread sends after each transaction. */
export interface FiledMessage {
  committed: Committed[];
}

/** The thread's setup, passed as `workerData`. */
export interface FilingThreadData {
  file: string;
  key: string;
  /** Stretches the timers below (a benchmark's `auditTimerScale`): under valgrind a second of work takes a minute. */
  timerScale: number;
}

const port = parentPort;
if (!port) throw new Error('auditThread runs only as a worker thread (see auditWriter.ts)');
const { file, key, timerScale } = workerData as FilingThreadData;
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

/** What was committed since the last filing: filed without reading it back. */
const fresh = new FreshRecords();
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

port.on('message', (msg: FiledMessage | 'close') => {
  if (msg === 'close') {
    fileSubjects();
    if (fileTimer) clearTimeout(fileTimer);
    if (mergeTimer) clearTimeout(mergeTimer);
    void database.close().then(() => port.close());
    return;
  }
  for (const { chain, firstSeq, patrons, seqs } of msg.committed) {
    fresh.add(chain, firstSeq, patrons, seqs);
    unfiled += patrons.length;
  }
  if (unfiled >= FILE_EVERY_RECORDS) fileSubjects();
  else fileLater();
  mergeWhenQuiet();
});
