import { createHmac, randomBytes } from 'node:crypto';
import { tallyMonthKey } from './tallyKey.js';
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../../db/dialect.js';
import type { LinkedRow, ReleaseScope, RowFilter } from './scopes.js';
import type { ReleaseTables } from './tables.js';

/**
 * The tally of distinct people per finest cell of a month not yet released, taken while rows
 * still name their patron (before retention unlinks them, and at release), so that a month whose
 * rows are all anonymized by then is still counted. A person is kept as an HMAC digest under that
 * month's key, derived from a configured secret (tallyKey.ts) and never stored; an entry's own
 * identity is random, so nothing on it derives from the row it counts. Each row is tallied once:
 * `stats_tallied` marks its id (naming no one). At release the month's digests are deleted with
 * secure_delete on, and nothing can link the released counts back to anyone.
 */

/** A subgraph's database as the release code sees it (both hold the release tables). */
export const releaseDb = (db: { executeQuery: unknown }): Kysely<ReleaseTables> =>
  db as unknown as Kysely<ReleaseTables>;

/** The months of `scope` already released (their tallies are gone and never start again). */
export async function releasedMonths(
  db: Kysely<ReleaseTables>,
  scope: string,
): Promise<Set<string>> {
  const rows = await db
    .selectFrom('stats_releases')
    .select('month')
    .distinct()
    .where('scope', '=', scope)
    .execute();
  return new Set(rows.map((r) => r.month));
}

/**
 * Adds linked rows not tallied before to the tally of their months (those not yet released);
 * a row already marked tallied is skipped, so tallying twice changes nothing.
 */
export async function tallyRows(
  db: Kysely<ReleaseTables>,
  scope: string,
  rows: readonly LinkedRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const released = await releasedMonths(db, scope);
  const open = rows.filter((row) => !released.has(row.month));
  const fresh = new Set<number>();
  for (let i = 0; i < open.length; i += 500) {
    const marked = await db
      .insertInto('stats_tallied')
      .values(open.slice(i, i + 500).map((row) => ({ row_id: row.rowId })))
      .onConflict((c) => c.doNothing())
      .returning('row_id')
      .execute();
    for (const m of marked) fresh.add(Number(m.row_id));
  }
  const keys = new Map<string, Buffer>();
  const values: ReleaseTables['stats_tally'][] = [];
  for (const row of open) {
    if (fresh.delete(row.rowId)) values.push(tallyEntry(keys, row));
  }
  for (let i = 0; i < values.length; i += 500) {
    await db
      .insertInto('stats_tally')
      .values(values.slice(i, i + 500))
      .execute();
  }
  return values.length;
}

/**
 * The tally entry of one linked row: a random id, the row's cell, and the person's digest under
 * the month's key (kept in `keys` per month, so a batch derives each month's key once).
 */
export function tallyEntry(
  keys: Map<string, Buffer>,
  row: LinkedRow,
): ReleaseTables['stats_tally'] {
  let key = keys.get(row.month);
  if (key === undefined) keys.set(row.month, (key = tallyMonthKey(row.month)));
  const digest = createHmac('sha256', key)
    .update(`person\u0000${row.patronId}`)
    .digest('base64url')
    .slice(0, 22);
  return { month: row.month, row: randomBytes(16).toString('base64url'), cell: row.cell, digest };
}

/**
 * A tally writer for many calls in a row (the seed writes millions of rows chunk by chunk): rows
 * wait in memory until `bufferRows` are pending, then go to `tallyRows` together, so the tally's
 * randomly keyed index is written in a few large transactions rather than in many small ones. The
 * caller must `flush` before it is done. What it writes is exactly what `tallyRows` writes.
 */
export class Tally {
  private pending: LinkedRow[] = [];

  constructor(
    private readonly scope: string,
    private readonly bufferRows = 0,
  ) {}

  /** Queues linked rows for the tally, writing them once enough are pending; returns how many were queued. */
  async add(db: Kysely<ReleaseTables>, rows: readonly LinkedRow[]): Promise<number> {
    this.pending.push(...rows);
    if (this.pending.length >= this.bufferRows) await this.flush(db);
    return rows.length;
  }

  /** Writes the rows still pending. */
  async flush(db: Kysely<ReleaseTables>): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    await tallyRows(db, this.scope, rows);
  }
}

/** Tallies the rows of `scope` matching `filter` that still name their patron. */
export async function tallyLinked(
  db: Kysely<ReleaseTables>,
  scope: ReleaseScope,
  filter: RowFilter,
): Promise<number> {
  return tallyRows(db, scope.name, await scope.linked(db, filter));
}

/** The tally of `month`: one entry per tallied row, its finest cell (joined key) and person digest. */
export async function readTally(
  db: Kysely<ReleaseTables>,
  month: string,
): Promise<{ row: string; cell: string; digest: string }[]> {
  return db
    .selectFrom('stats_tally')
    .select(['row', 'cell', 'digest'])
    .where('month', '=', month)
    .orderBy('row')
    .execute();
}

/** Destroys `month`'s digests (inside the release's transaction; the caller checkpoints the WAL after). */
export async function destroyTally(db: Kysely<ReleaseTables>, month: string): Promise<void> {
  if (dialectOf(db) === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(db);
  await db.deleteFrom('stats_tally').where('month', '=', month).execute();
}
