/**
 * The purge: applies the retention rules to every closed record, in batches. Each batch is one
 * transaction over the next ids due after the previous batch (keyset), so a run that is killed
 * leaves only whole batches applied and a rerun continues; a row once anonymized is never due
 * again, so a second run changes nothing.
 *
 * Then the files are cleaned of what anonymization left behind. `secure_delete` (on for every
 * connection) zeroes deleted cells and freed pages, but when SQLite rebalances a B-tree page it
 * moves cells without zeroing the space they leave, so an old copy of a patron id can survive in
 * a page's unused space (test/retention/unlinkable.test.ts caught one in an index page). VACUUM
 * rebuilds each file from its live rows only, and the write-ahead log is then checkpointed and
 * truncated, so the page images written before anonymization do not linger in the -wal file.
 *
 * On PostgreSQL each batch is a SERIALIZABLE transaction (run again on a conflict), and the
 * cleaning is a VACUUM of the purged tables, which reclaims the dead versions the updates left;
 * the server's own WAL and free space are its to manage (README, "PostgreSQL").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { CirculationTables } from '../../subgraphs/circulation/migrations.js';
import type { EventsTables } from '../../subgraphs/events/migrations.js';
import {
  anonymizeFines,
  anonymizeHolds,
  anonymizeLoans,
  anonymizeRegistrations,
  dueHoldIds,
  dueLoanIds,
  dueRegistrationIds,
  noRows,
  strayFineIds,
  type PurgeTable,
  type TableCounts,
} from './anonymize.js';
import type { RetentionRules } from '../config/retention.js';
import { cutoff, loanCutoffs } from './rules.js';
import { dialectOf, serializable } from '../db/dialect.js';

/** The databases to purge; a service that runs alone purges only its own. */
export interface PurgeTargets {
  circulation?: Kysely<CirculationTables> | undefined;
  events?: Kysely<EventsTables> | undefined;
}

/** Where a run is: the table, the last id reached of its highest id, and rows anonymized so far. */
export interface PurgeProgress {
  table: PurgeTable;
  position: number;
  end: number;
  anonymized: TableCounts;
}

/** How to run. */
export interface PurgeOptions {
  rules: RetentionRules;
  /** The instant the rules are applied at, fixed for the whole run. Defaults to now. */
  now?: Date;
  /** Rows per batch (and per transaction). Default 10,000. */
  batchSize?: number;
  /** Count what would be anonymized: every batch is rolled back. */
  dryRun?: boolean;
  /** Milliseconds to wait between batches, leaving the database to other writers. Default 0. */
  pauseMs?: number;
  /** Stops the run after the batch in progress (the rows done stay done). */
  signal?: AbortSignal;
  /**
   * Rebuild the files after the batches (VACUUM; default true), so no copy of an anonymized link
   * survives in the unused space of a page (see the module comment). Skipped for dry runs and
   * interrupted runs; the next full run does it.
   */
  vacuum?: boolean;
  onProgress?: (progress: PurgeProgress) => void;
}

/** What a run did. Counts only: a report never names a patron. */
export interface PurgeReport {
  anonymized: TableCounts;
  total: number;
  batches: number;
  seconds: number;
  rowsPerSecond: number;
  dryRun: boolean;
  /** Stopped by the signal before the end; a rerun finishes. */
  interrupted: boolean;
  /** The files were rebuilt (VACUUM), and how long that took, in seconds. */
  vacuumed: boolean;
  vacuumSeconds: number;
  /** The write-ahead logs were folded in and truncated (false: a reader held them; see the logs). */
  checkpointed: boolean;
}

/** The default batch size: about 0.2 s of work per transaction on the county database. */
export const DEFAULT_BATCH_SIZE = 10_000;

/** One table's batches: its highest id, the next ids due, and how to anonymize them. */
interface Pass {
  table: PurgeTable;
  db: Kysely<unknown>;
  end(db: Kysely<unknown>): Promise<number>;
  due(db: Kysely<unknown>, after: number, limit: number): Promise<number[]>;
  apply(db: Kysely<unknown>, ids: number[]): Promise<Partial<TableCounts>>;
}

const maxId =
  (table: PurgeTable) =>
  async (db: Kysely<unknown>): Promise<number> => {
    const result = await sql<{
      max: number | null;
    }>`SELECT max(id) AS max FROM ${sql.table(table)}`.execute(db);
    return Number(result.rows[0]?.max ?? 0);
  };

function passes(targets: PurgeTargets, rules: RetentionRules, now: Date): Pass[] {
  const list: Pass[] = [];
  const circ = targets.circulation as Kysely<unknown> | undefined;
  const asCirc = (db: Kysely<unknown>) => db as Kysely<CirculationTables>;
  if (circ) {
    const cuts = loanCutoffs(rules, now);
    const holdCut = cutoff(rules.holds, now);
    list.push(
      {
        table: 'loans',
        db: circ,
        end: maxId('loans'),
        due: (db, after, limit) => dueLoanIds(asCirc(db), cuts, { after, limit }),
        apply: (db, ids) => anonymizeLoans(asCirc(db), ids),
      },
      {
        table: 'fines',
        db: circ,
        end: maxId('fines'),
        due: (db, after, limit) => strayFineIds(asCirc(db), after, limit),
        apply: async (db, ids) => ({ fines: await anonymizeFines(asCirc(db), ids) }),
      },
      {
        table: 'holds',
        db: circ,
        end: maxId('holds'),
        due: (db, after, limit) => dueHoldIds(asCirc(db), holdCut, { after, limit }),
        apply: async (db, ids) => ({ holds: await anonymizeHolds(asCirc(db), ids) }),
      },
    );
  }
  if (targets.events) {
    const regCut = cutoff(rules.registrations, now);
    const asEvents = (db: Kysely<unknown>) => db as Kysely<EventsTables>;
    list.push({
      table: 'registrations',
      db: targets.events as Kysely<unknown>,
      end: maxId('registrations'),
      due: (db, after, limit) => dueRegistrationIds(asEvents(db), regCut, after, limit),
      apply: async (db, ids) => ({
        registrations: await anonymizeRegistrations(asEvents(db), ids),
      }),
    });
  }
  return list;
}

/** A dry run's batch result, thrown to roll its PostgreSQL transaction back. */
class RolledBack<T> {
  constructor(readonly result: T) {}
}

/**
 * Runs `work` in one write transaction on one connection. BEGIN IMMEDIATE takes the write lock
 * before reading, so another process committing in between cannot invalidate the batch's read;
 * on PostgreSQL, SERIALIZABLE gives the same (a batch that lost a race runs again).
 */
async function batchTransaction<T>(
  db: Kysely<unknown>,
  rollback: boolean,
  work: (trx: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  if (dialectOf(db) === 'postgres') {
    try {
      return await serializable(db, async (trx) => {
        const result = await work(trx);
        if (rollback) throw new RolledBack(result);
        return result;
      });
    } catch (error) {
      if (error instanceof RolledBack) return error.result as T;
      throw error;
    }
  }
  return db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await work(conn);
      await sql.raw(rollback ? 'ROLLBACK' : 'COMMIT').execute(conn);
      return result;
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

/**
 * Folds the write-ahead log into the database file and truncates it to zero bytes. Returns false
 * when a reader kept part of it (the next checkpoint finishes the job).
 */
export async function checkpoint(db: Kysely<unknown>): Promise<boolean> {
  if (dialectOf(db) !== 'sqlite') return true;
  const result = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  return Number(result.rows[0]?.busy ?? 0) === 0;
}

/** Applies the retention rules to the target databases; see the module comment. */
export async function purge(targets: PurgeTargets, options: PurgeOptions): Promise<PurgeReport> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new Error('purge: batchSize must be a positive integer');
  const dryRun = options.dryRun ?? false;
  const anonymized = noRows();
  let batches = 0;
  let interrupted = false;
  const databases = [targets.circulation, targets.events].filter(
    (db): db is NonNullable<typeof db> => db !== undefined,
  ) as Kysely<unknown>[];
  // Overwrite deleted content with zeros on these connections, whoever opened them.
  for (const db of databases)
    if (dialectOf(db) === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(db);

  run: for (const pass of passes(targets, options.rules, now)) {
    const end = await pass.end(pass.db);
    let after = 0;
    options.onProgress?.({ table: pass.table, position: 0, end, anonymized: { ...anonymized } });
    for (;;) {
      if (options.signal?.aborted) {
        interrupted = true;
        break run;
      }
      const step = await batchTransaction(pass.db, dryRun, async (trx) => {
        const ids = await pass.due(trx, after, batchSize);
        return {
          found: ids.length,
          last: ids.at(-1),
          counts: ids.length > 0 ? await pass.apply(trx, ids) : {},
        };
      });
      if (step.last === undefined) break;
      batches += 1;
      after = step.last;
      for (const [table, n] of Object.entries(step.counts) as [PurgeTable, number][])
        anonymized[table] += n;
      options.onProgress?.({
        table: pass.table,
        position: after,
        end,
        anonymized: { ...anonymized },
      });
      if (step.found < batchSize) break;
      if (options.pauseMs) await sleep(options.pauseMs);
    }
    options.onProgress?.({ table: pass.table, position: end, end, anonymized: { ...anonymized } });
  }

  const seconds = (performance.now() - started) / 1000;
  const vacuumed = !dryRun && !interrupted && (options.vacuum ?? true);
  if (vacuumed) {
    for (const db of databases) if (dialectOf(db) === 'sqlite') await sql`VACUUM`.execute(db);
    for (const pass of passes(targets, options.rules, now)) {
      if (dialectOf(pass.db) === 'postgres')
        await sql`VACUUM ${sql.table(pass.table)}`.execute(pass.db);
    }
  }
  let checkpointed = true;
  if (!dryRun) for (const db of databases) checkpointed = (await checkpoint(db)) && checkpointed;
  const vacuumSeconds = (performance.now() - started) / 1000 - seconds;
  const total = Object.values(anonymized).reduce((a, b) => a + b, 0);
  return {
    anonymized,
    total,
    batches,
    seconds: Math.round(seconds * 1000) / 1000,
    rowsPerSecond: Math.round(total / Math.max(seconds, 0.001)),
    dryRun,
    interrupted,
    vacuumed,
    vacuumSeconds: Math.round(vacuumSeconds * 1000) / 1000,
    checkpointed,
  };
}
