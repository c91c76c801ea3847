import { sql, type QueryExecutorProvider, type RawBuilder } from 'kysely';
import type { StatsGroup, StatsTable } from './suppression.js';

/**
 * A statistics query, as SQL fragments: the rows counted, one expression per grouped dimension,
 * the additive counts and the distinct people. Each subgraph writes its own; `groupedTable` runs
 * it for the cells, each dimension's margin and the total, ready for `suppress`.
 */
export interface GroupedQuery {
  /** `FROM ... WHERE ...`: the rows counted. */
  from: RawBuilder<unknown>;
  /** One expression per grouped dimension; NULL (unknown) is grouped as ''. */
  dimensions: readonly RawBuilder<unknown>[];
  /** Additive aggregates, such as `count(*)`, never NULL. */
  counts: readonly RawBuilder<unknown>[];
  /**
   * `count(DISTINCT <patron id>)`: the people still linked to the rows. Rows whose patron was
   * removed by retention count for no one, so a threshold on it fails closed.
   */
  people: RawBuilder<unknown>;
}

/** The value a dimension takes for rows where it is unknown. */
export const UNKNOWN = '';

async function groups(db: QueryExecutorProvider, query: GroupedQuery, dimensions: readonly RawBuilder<unknown>[]): Promise<StatsGroup[]> {
  const columns = [
    ...dimensions.map((d, i) => sql`coalesce(${d}, ${UNKNOWN}) AS ${sql.ref(`d${i}`)}`),
    ...query.counts.map((c, i) => sql`${c} AS ${sql.ref(`c${i}`)}`),
    sql`${query.people} AS people`,
  ];
  const groupBy = dimensions.length ? sql`GROUP BY ${sql.join(dimensions.map((_, i) => sql.raw(String(i + 1))))}` : sql``;
  const { rows } = await sql<Record<string, unknown>>`SELECT ${sql.join(columns)} ${query.from} ${groupBy}`.execute(db);
  return rows.map((row) => ({
    key: dimensions.map((_, i) => String(row[`d${i}`])),
    counts: query.counts.map((_, i) => Number(row[`c${i}`] ?? 0)),
    people: Number(row.people ?? 0),
  }));
}

/**
 * Runs `query` for the cells, the one-dimension margins (two or more dimensions) and the total;
 * null, before the margins are counted, when there are more than `maxCells` cells.
 */
export async function groupedTable(db: QueryExecutorProvider, query: GroupedQuery, maxCells = Infinity): Promise<StatsTable | null> {
  const n = query.dimensions.length;
  const cells = n === 0 ? [] : await groups(db, query, query.dimensions);
  if (cells.length > maxCells) return null;
  const margins: StatsGroup[][] = [];
  if (n >= 2) for (const d of query.dimensions) margins.push(await groups(db, query, [d]));
  const [total] = await groups(db, query, []);
  return { dimensions: n, cells, margins, total: total ?? { key: [], counts: query.counts.map(() => 0), people: 0 } };
}
