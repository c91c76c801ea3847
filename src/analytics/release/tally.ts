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

/** Rows per INSERT of the tally: 4 variables each, under SQLite's 32,766 per statement. */
const TALLY_ROWS_PER_STATEMENT = 8_000;
/** Person digests remembered across calls of one Tally before the memory is cleared. */
const PERSON_CACHE_LIMIT = 500_000;

/**
 * A tally writer for many calls in a row (the seed writes millions of rows chunk by chunk): it
 * reads the released months and each month's key once, computes a person's digest once per
 * (month, person) while it remembers it, and writes in large multi-row statements in the
 * primary key's order. With `bufferRows`, rows wait in memory until that many are pending (or
 * `flush`), so that each page of the tally's randomly keyed index is written once per flush
 * rather than once per transaction: the caller must call `flush` before it is done. What it
 * writes is exactly what `tallyRows` writes; it must not outlive a release of its scope (the
 * seed releases nothing while it runs).
 */
export class Tally {
  private released: Set<string> | undefined;
  private readonly keys = new Map<string, string>();
  private readonly people = new Map<string, string>();
  private pending: ReleaseTables['stats_tally'][] = [];

  constructor(
    private readonly scope: string,
    private readonly bufferRows = 0,
  ) {}

  /** Adds linked rows to the tally of their months (those not yet released); idempotent. */
  async add(db: Kysely<ReleaseTables>, rows: readonly LinkedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    this.released ??= await releasedMonths(db, this.scope);
    let added = 0;
    for (const row of rows) {
      if (this.released.has(row.month)) continue;
      let key = this.keys.get(row.month);
      if (key === undefined) this.keys.set(row.month, (key = await monthKey(db, row.month)));
      const personAt = `${row.month}\u0000${row.patronId}`;
      let digest = this.people.get(personAt);
      if (digest === undefined) {
        if (this.people.size >= PERSON_CACHE_LIMIT) this.people.clear();
        this.people.set(personAt, (digest = hmac(key, `person\u0000${row.patronId}`)));
      }
      this.pending.push({ month: row.month, row: hmac(key, `row\u0000${row.rowId}`), cell: row.cell, digest });
      added += 1;
    }
    if (this.pending.length >= this.bufferRows) await this.flush(db);
    return added;
  }

  /** Writes the rows still pending. */
  async flush(db: Kysely<ReleaseTables>): Promise<void> {
    const values = this.pending;
    this.pending = [];
    // In index order, so each statement walks the primary key's pages once.
    values.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : a.row < b.row ? -1 : a.row > b.row ? 1 : 0));
    for (let i = 0; i < values.length; i += TALLY_ROWS_PER_STATEMENT) {
      await db.insertInto('stats_tally').values(values.slice(i, i + TALLY_ROWS_PER_STATEMENT)).onConflict((c) => c.doNothing()).execute();
    }
  }
}

/** A digest of `text` under a month's key, as the tally stores persons and rows. */
const hmac = (key: string, text: string): string => createHmac('sha256', key).update(text).digest('base64url').slice(0, 22);

/** Adds linked rows to the tally of their months (those not yet released); idempotent. */
export async function tallyRows(db: Kysely<ReleaseTables>, scope: string, rows: readonly LinkedRow[]): Promise<number> {
  return new Tally(scope).add(db, rows);
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
