import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { FinestCell } from './protect.js';
import { KEY_SEPARATOR, type ReleaseTables } from './tables.js';

/** A row still linked to a person, as the tally reads it: its month, finest cell and person. */
export interface LinkedRow {
  /** The row's id (loan or registration). */
  rowId: number;
  month: string;
  cell: string;
  patronId: string;
}

/** Which rows of a scope to read: those of one month, or some by id. */
export type RowFilter = { month: string } | { ids: readonly number[] };

/**
 * What one subgraph releases: its finest dimensions (named as its schema's dimension enum), the
 * counts of each cell, and how to read its rows. The month of a row is the month of its
 * checkout (circulation) or of its event's start (events).
 */
export interface ReleaseScope {
  name: 'circulation' | 'events';
  dimensions: readonly string[];
  /** How many additive counts a cell has. */
  metrics: number;
  /** The month's finest cells, counted from its rows (linked or anonymized alike). */
  cells(db: Kysely<ReleaseTables>, month: string): Promise<FinestCell[]>;
  /** Rows still linked to a patron and not tallied yet (`stats_tallied`: tallying skips the others anyway). */
  linked(db: Kysely<ReleaseTables>, filter: RowFilter): Promise<LinkedRow[]>;
  /** Every month that has a row. */
  months(db: Kysely<ReleaseTables>): Promise<string[]>;
  /** Every value each dimension takes in the scope's data (the domain a DP release covers). */
  domains(db: Kysely<ReleaseTables>): Promise<string[][]>;
}

const distinct = async (
  db: Kysely<ReleaseTables>,
  query: ReturnType<typeof sql<{ v: string | null }>>,
): Promise<string[]> => (await query.execute(db)).rows.map((r) => r.v ?? '').sort();

/** The value of a dimension a row does not know. */
export const UNKNOWN_VALUE = '';

const monthBounds = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return {
    start: new Date(Date.UTC(y, m - 1, 1)).toISOString(),
    end: new Date(Date.UTC(y, m, 1)).toISOString(),
  };
};

const ids = (list: readonly number[]) => sql.join(list.map((id) => sql`${id}`));

/** The rows whose instant `column` falls in `month`. */
const inMonth = (column: string, month: string): RawBuilder<unknown> => {
  const { start, end } = monthBounds(month);
  return sql`${sql.ref(column)} >= ${start} AND ${sql.ref(column)} < ${end}`;
};

/** The rows `filter` picks: those whose `monthColumn` falls in its month, or whose `idColumn` is among its ids. */
const picked = (filter: RowFilter, monthColumn: string, idColumn: string): RawBuilder<unknown> =>
  'month' in filter
    ? inMonth(monthColumn, filter.month)
    : filter.ids.length === 0
      ? sql`1 = 0`
      : sql`${sql.ref(idColumn)} IN (${ids(filter.ids)})`;

/** Circulation: loans by branch x format x age band x home branch, counting checkouts. */
export const CIRCULATION_SCOPE: ReleaseScope = {
  name: 'circulation',
  dimensions: ['BRANCH', 'FORMAT', 'AGE_BAND', 'HOME_BRANCH'],
  metrics: 1,
  async cells(db, month) {
    const { rows } = await sql<{ b: string; f: string; a: string; h: string; n: number }>`
      SELECT l.branch_id AS b, coalesce(i.format, '') AS f, coalesce(l.patron_age_band, '') AS a,
             coalesce(l.patron_home_branch_id, '') AS h, count(*) AS n
      FROM loans l LEFT JOIN items i ON i.id = l.item_id
      WHERE ${inMonth('l.checked_out_at', month)}
      GROUP BY 1, 2, 3, 4`.execute(db);
    return rows.map((r) => ({ key: [r.b, r.f, r.a, r.h], counts: [Number(r.n)] }));
  },
  async linked(db, filter) {
    const where = picked(filter, 'l.checked_out_at', 'l.id');
    const { rows } = await sql<{
      id: number;
      month: string;
      b: string;
      f: string;
      a: string;
      h: string;
      p: string;
    }>`
      SELECT l.id AS id, substr(l.checked_out_at, 1, 7) AS month, l.branch_id AS b, coalesce(i.format, '') AS f,
             coalesce(l.patron_age_band, '') AS a, coalesce(l.patron_home_branch_id, '') AS h, l.patron_id AS p
      FROM loans l LEFT JOIN items i ON i.id = l.item_id
      WHERE l.patron_id IS NOT NULL AND ${where}
        AND NOT EXISTS (SELECT 1 FROM stats_tallied t WHERE t.row_id = l.id)`.execute(db);
    return rows.map((r) => ({
      rowId: r.id,
      month: r.month,
      cell: [r.b, r.f, r.a, r.h].join(KEY_SEPARATOR),
      patronId: r.p,
    }));
  },
  async months(db) {
    const { rows } = await sql<{
      month: string;
    }>`SELECT DISTINCT substr(checked_out_at, 1, 7) AS month FROM loans ORDER BY 1`.execute(db);
    return rows.map((r) => r.month);
  },
  async domains(db) {
    // One pass over loans and one over items (the tables are large), each value set in JS.
    const { rows: lent } = await sql<{ b: string | null; a: string; h: string }>`
      SELECT DISTINCT branch_id AS b, coalesce(patron_age_band, '') AS a, coalesce(patron_home_branch_id, '') AS h FROM loans`.execute(
      db,
    );
    const { rows: held } = await sql<{
      b: string | null;
      f: string | null;
    }>`SELECT DISTINCT branch_id AS b, format AS f FROM items`.execute(db);
    const values = (list: (string | null)[]) => [...new Set(list.map((v) => v ?? ''))].sort();
    return [
      values([...lent.map((r) => r.b), ...held.map((r) => r.b)]),
      values(held.map((r) => r.f)),
      values(lent.map((r) => r.a)),
      values(lent.map((r) => r.h)),
    ];
  },
};

/** Events: registrations by the event's branch, counting registrations and attendance. */
export const EVENTS_SCOPE: ReleaseScope = {
  name: 'events',
  dimensions: ['BRANCH'],
  metrics: 2,
  async cells(db, month) {
    const { rows } = await sql<{ b: string; n: number; a: number }>`
      SELECT e.branch_id AS b, count(*) AS n, coalesce(sum(r.attended), 0) AS a
      FROM registrations r JOIN events e ON e.id = r.event_id
      WHERE ${inMonth('e.starts_at', month)}
      GROUP BY 1`.execute(db);
    return rows.map((r) => ({ key: [r.b], counts: [Number(r.n), Number(r.a)] }));
  },
  async linked(db, filter) {
    const where = picked(filter, 'e.starts_at', 'r.id');
    const { rows } = await sql<{ id: number; month: string; b: string; p: string }>`
      SELECT r.id AS id, substr(e.starts_at, 1, 7) AS month, e.branch_id AS b, r.patron_id AS p
      FROM registrations r JOIN events e ON e.id = r.event_id
      WHERE r.patron_id IS NOT NULL AND ${where}
        AND NOT EXISTS (SELECT 1 FROM stats_tallied t WHERE t.row_id = r.id)`.execute(db);
    return rows.map((r) => ({ rowId: r.id, month: r.month, cell: r.b, patronId: r.p }));
  },
  async months(db) {
    const { rows } = await sql<{ month: string }>`
      SELECT DISTINCT substr(e.starts_at, 1, 7) AS month FROM registrations r JOIN events e ON e.id = r.event_id ORDER BY 1`.execute(
      db,
    );
    return rows.map((r) => r.month);
  },
  async domains(db) {
    return [
      await distinct(db, sql<{ v: string | null }>`SELECT DISTINCT branch_id AS v FROM events`),
    ];
  },
};
