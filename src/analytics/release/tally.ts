import { createHmac, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { LinkedRow, ReleaseScope, RowFilter } from './scopes.js';
import type { ReleaseTables } from './tables.js';

/**
 * The tally of distinct people per finest cell of a month not yet released, taken while rows
 * still name their patron (before retention unlinks them, and at release), so that a month whose
 * rows are all anonymized by then is still counted. A person is kept as an HMAC digest under a
 * random key of that month alone; at release the month's key and digests are deleted with
 * secure_delete on, and nothing can link the released counts back to anyone.
 */

/** A subgraph's database as the release code sees it (both hold the release tables). */
export const releaseDb = (db: { executeQuery: unknown }): Kysely<ReleaseTables> => db as unknown as Kysely<ReleaseTables>;

/** The months of `scope` already released (their tallies are gone and never start again). */
async function releasedMonths(db: Kysely<ReleaseTables>, scope: string): Promise<Set<string>> {
  const rows = await db.selectFrom('stats_releases').select('month').distinct().where('scope', '=', scope).execute();
  return new Set(rows.map((r) => r.month));
}

/** The key of `month`, made on first use. */
async function monthKey(db: Kysely<ReleaseTables>, month: string): Promise<string> {
  await db.insertInto('stats_tally_keys').values({ month, key: randomBytes(32).toString('base64url') }).onConflict((c) => c.doNothing()).execute();
  const row = await db.selectFrom('stats_tally_keys').select('key').where('month', '=', month).executeTakeFirstOrThrow();
  return row.key;
}

/** Adds linked rows to the tally of their months (those not yet released); idempotent. */
export async function tallyRows(db: Kysely<ReleaseTables>, scope: string, rows: readonly LinkedRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const released = await releasedMonths(db, scope);
  const keys = new Map<string, string>();
  const values: ReleaseTables['stats_tally'][] = [];
  for (const row of rows) {
    if (released.has(row.month)) continue;
    let key = keys.get(row.month);
    if (key === undefined) keys.set(row.month, (key = await monthKey(db, row.month)));
    const hmac = (text: string) => createHmac('sha256', key!).update(text).digest('base64url').slice(0, 22);
    values.push({ month: row.month, row: hmac(`row\u0000${row.rowId}`), cell: row.cell, digest: hmac(`person\u0000${row.patronId}`) });
  }
  for (let i = 0; i < values.length; i += 500) {
    await db.insertInto('stats_tally').values(values.slice(i, i + 500)).onConflict((c) => c.doNothing()).execute();
  }
  return values.length;
}

/** Tallies the rows of `scope` matching `filter` that still name their patron. */
export async function tallyLinked(db: Kysely<ReleaseTables>, scope: ReleaseScope, filter: RowFilter): Promise<number> {
  return tallyRows(db, scope.name, await scope.linked(db, filter));
}

/** The tally of `month`: one entry per tallied row, its finest cell (joined key) and person digest. */
export async function readTally(db: Kysely<ReleaseTables>, month: string): Promise<{ row: string; cell: string; digest: string }[]> {
  return db.selectFrom('stats_tally').select(['row', 'cell', 'digest']).where('month', '=', month).orderBy('row').execute();
}

/** Destroys `month`'s key and digests (inside the release's transaction). */
export async function destroyTally(db: Kysely<ReleaseTables>, month: string): Promise<void> {
  await sql`PRAGMA secure_delete = ON`.execute(db);
  await db.deleteFrom('stats_tally').where('month', '=', month).execute();
  await db.deleteFrom('stats_tally_keys').where('month', '=', month).execute();
}
