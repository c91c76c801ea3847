import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../../db/dialect.js';

/**
 * The tables of statistics releases, the same in the circulation and events databases (each
 * releases its own statistics): the per-month tally of distinct people, which lives only until
 * its month is released, and the releases themselves, which never change once written.
 */
export interface ReleaseTables {
  /**
   * Who was in which finest cell of a month, one entry per row (loan, registration): the person as
   * an HMAC digest under that month's key (derived from configuration, never stored), the entry's
   * identity random. Per row, so that a person's contribution to a month can be bounded
   * (differential privacy). Stored without rowid, in the order of its random identity, so the
   * order entries were written in does not line them up with the rows they count.
   */
  stats_tally: { month: string; row: string; cell: string; digest: string };
  /** Ids of the rows tallied already (so none is tallied twice); says nothing about who. */
  stats_tallied: { row_id: number };
  stats_releases: {
    /** `<scope>:<month>:<mode>:v<version>`. */
    id: string;
    scope: string;
    month: string;
    version: number;
    /** 'suppression' or 'dp'. */
    mode: string;
    /** k of suppression (mode 'suppression'). */
    k: number | null;
    /** Privacy loss of the month's release (mode 'dp'). */
    epsilon: number | null;
    /** The largest number of checkouts (registrations) one person counts for in the month (mode 'dp'). */
    contribution: number | null;
    released_at: string;
    /** Why this version was made: 'closed' (first release) or the correction's reason. */
    reason: string;
  };
  stats_release_cells: {
    release_id: string;
    /** Bitmask of the release's dimensions this cell groups by (0: the month's total). */
    grouping: number;
    /** The cell's values on those dimensions, joined by U+001F. */
    key: string;
    c0: number;
    c1: number | null;
    /** Distinct people; null in a DP release (not released). */
    people: number | null;
    suppressed: number;
    /** Half-width of the 95% interval of c0 (mode 'dp'), else null. */
    moe0: number | null;
    moe1: number | null;
    moe_people: number | null;
  };
}

/** Separates the values of a cell key. */
export const KEY_SEPARATOR = '\u001f';

/**
 * Replaces the tally of the first release tables (random month keys stored beside digests of the
 * row id) with the unlinkable one: the stored keys and their digests are destroyed (secure_delete),
 * so months not yet released count only the people of rows still linked at their release, never
 * more (fail closed: fewer people, more suppression).
 */
export async function unlinkTally(db: Kysely<unknown>): Promise<void> {
  const sqlite = dialectOf(db) === 'sqlite';
  if (sqlite) await sql`PRAGMA secure_delete = ON`.execute(db);
  await sql`DELETE FROM stats_tally`.execute(db);
  await sql`DELETE FROM stats_tally_keys`.execute(db);
  await db.schema.dropTable('stats_tally').execute();
  await db.schema.dropTable('stats_tally_keys').execute();
  const tally = db.schema
    .createTable('stats_tally')
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('row', 'text', (c) => c.notNull())
    .addColumn('cell', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stats_tally_pk', ['month', 'row']);
  // PostgreSQL has no clustered tables: its heap keeps the order rows were written in (README, "PostgreSQL").
  await (sqlite ? tally.modifyEnd(sql`WITHOUT ROWID`) : tally).execute();
  await db.schema
    .createTable('stats_tallied')
    .addColumn('row_id', 'integer', (c) => c.primaryKey())
    .execute();
}

/** Creates the release tables (a migration step of each subgraph that releases statistics). */
export async function createReleaseTables(db: Kysely<unknown>): Promise<void> {
  // SQLite's REAL is 8 bytes; PostgreSQL's is 4, so there the same column is double precision.
  const real = dialectOf(db) === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('stats_tally_keys')
    .addColumn('month', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('stats_tally')
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('row', 'text', (c) => c.notNull())
    .addColumn('cell', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stats_tally_pk', ['month', 'row'])
    .execute();
  await db.schema
    .createTable('stats_releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('k', 'integer')
    .addColumn('epsilon', real)
    .addColumn('contribution', 'integer')
    .addColumn('released_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addUniqueConstraint('stats_releases_version', ['scope', 'month', 'mode', 'version'])
    .execute();
  await db.schema
    .createTable('stats_release_cells')
    .addColumn('release_id', 'text', (c) => c.notNull().references('stats_releases.id'))
    .addColumn('grouping', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('c0', 'integer', (c) => c.notNull())
    .addColumn('c1', 'integer')
    .addColumn('people', 'integer')
    .addColumn('suppressed', 'integer', (c) => c.notNull())
    .addColumn('moe0', real)
    .addColumn('moe1', real)
    .addColumn('moe_people', real)
    .addPrimaryKeyConstraint('stats_release_cells_pk', ['release_id', 'grouping', 'key'])
    .execute();
  // A release never changes: a correction is a new version, so the database refuses edits.
  if (dialectOf(db) === 'postgres') {
    await sql`CREATE FUNCTION stats_release_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'statistics releases are immutable'; END $$`.execute(db);
    for (const table of ['stats_releases', 'stats_release_cells']) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_change`)} BEFORE UPDATE OR DELETE ON ${sql.raw(table)}
        FOR EACH ROW EXECUTE FUNCTION stats_release_immutable()`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.raw(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION stats_release_immutable()`.execute(db);
    }
    return;
  }
  for (const table of ['stats_releases', 'stats_release_cells']) {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_${op.toLowerCase()}`)} BEFORE ${sql.raw(op)} ON ${sql.raw(table)}
        BEGIN SELECT RAISE(ABORT, 'statistics releases are immutable'); END`.execute(db);
    }
  }
}
