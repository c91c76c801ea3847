import { sql, type Kysely } from 'kysely';

/**
 * The tables of statistics releases, the same in the circulation and events databases (each
 * releases its own statistics): the per-month tally of distinct people, which lives only until
 * its month is released, and the releases themselves, which never change once written.
 */
export interface ReleaseTables {
  /** One random key per month not yet released; deleted (with the month's tally) at release. */
  stats_tally_keys: { month: string; key: string };
  /**
   * Who was in which finest cell of a month, one entry per row (loan, registration): the person
   * and the row as HMAC digests under that month's key. Per row, so that a person's contribution
   * to a month can be bounded (differential privacy) and tallying a row twice changes nothing.
   */
  stats_tally: { month: string; row: string; cell: string; digest: string };
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

/** Creates the release tables (a migration step of each subgraph that releases statistics). */
export async function createReleaseTables(db: Kysely<unknown>): Promise<void> {
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
    .addColumn('epsilon', 'real')
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
    .addColumn('moe0', 'real')
    .addColumn('moe1', 'real')
    .addColumn('moe_people', 'real')
    .addPrimaryKeyConstraint('stats_release_cells_pk', ['release_id', 'grouping', 'key'])
    .execute();
  // A release never changes: a correction is a new version, so the database refuses edits.
  for (const table of ['stats_releases', 'stats_release_cells']) {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_${op.toLowerCase()}`)} BEFORE ${sql.raw(op)} ON ${sql.raw(table)}
        BEGIN SELECT RAISE(ABORT, 'statistics releases are immutable'); END`.execute(db);
    }
  }
}
