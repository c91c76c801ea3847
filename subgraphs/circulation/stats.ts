import { sql, type RawBuilder } from 'kysely';
import { graphError } from '../../src/errors/codes.js';
import { groupedTable, type GroupedQuery } from '../../src/analytics/groupedCounts.js';
import { monthRange, type MonthRange } from '../../src/analytics/monthRange.js';
import { shapeStats } from '../../src/analytics/shape.js';
import { suppress } from '../../src/analytics/suppression.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import type { CirculationContext } from './resolvers.js';

/** What circulation statistics can be grouped by (the schema's `CirculationDimension`). */
export const CIRCULATION_DIMENSIONS = ['BRANCH', 'FORMAT', 'AGE_BAND', 'HOME_BRANCH', 'MONTH'] as const;
/** One of them. */
export type CirculationDimension = (typeof CIRCULATION_DIMENSIONS)[number];

/** The most groups one answer may have: finer tables are all suppression and cost the most. */
export const MAX_GROUPS = 20_000;

/** Each dimension as SQL over `loans l` (and `items i` for the format). */
const EXPRESSION: Record<CirculationDimension, RawBuilder<unknown>> = {
  BRANCH: sql`l.branch_id`,
  FORMAT: sql`i.format`,
  AGE_BAND: sql`l.patron_age_band`,
  HOME_BRANCH: sql`l.patron_home_branch_id`,
  MONTH: sql`substr(l.checked_out_at, 1, 7)`,
};

/**
 * The borrower a loan still names for statistics: none once anonymized, and none for a returned
 * loan of a patron who keeps reading history (that link is kept for the patron's own view alone,
 * so it counts for no one here, as in the export).
 */
const BORROWER = sql`CASE WHEN l.returned_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM patrons p WHERE p.id = l.patron_id AND p.reading_history = 1) THEN NULL ELSE l.patron_id END`;

/** Checkouts and distinct (still linked) borrowers of the loans checked out within `range`. */
export function circulationQuery(range: MonthRange, groupBy: readonly CirculationDimension[]): GroupedQuery {
  // A left join keeps every loan in every grouping, so the totals agree whatever is grouped.
  const items = groupBy.includes('FORMAT') ? sql`LEFT JOIN items i ON i.id = l.item_id` : sql``;
  return {
    from: sql`FROM loans l ${items} WHERE l.checked_out_at >= ${range.start} AND l.checked_out_at < ${range.end}`,
    dimensions: groupBy.map((d) => EXPRESSION[d]),
    counts: [sql`count(*)`],
    people: sql`count(DISTINCT ${BORROWER})`,
  };
}

const branch = (id: string) => ({ __typename: 'Branch', id });
const FIELD: Record<CirculationDimension, (value: string) => [string, unknown]> = {
  BRANCH: (v) => ['branch', branch(v)],
  FORMAT: (v) => ['format', v],
  AGE_BAND: (v) => ['ageBand', v],
  HOME_BRANCH: (v) => ['homeBranch', branch(v)],
  MONTH: (v) => ['month', v],
};

interface StatsArgs {
  from: string;
  to: string;
  groupBy?: CirculationDimension[] | null;
}

/**
 * `Query.circulationStats`, for analytics, circulation staff and the records custodian: the same
 * suppressed answer for each, with k = `minCellSize` (ANALYTICS_MIN_CELL).
 */
export function circulationStatsResolvers(options: { minCellSize: number }) {
  return {
    Query: {
      circulationStats: async (_: unknown, args: StatsArgs, ctx: CirculationContext) => {
        requireRole(ctx.privacy.caller, ['analytics', 'staff', 'custodian'], ['circulation']);
        const range = monthRange(args.from, args.to);
        const groupBy = [...new Set(args.groupBy ?? [])];
        const table = await groupedTable(ctx.store.db, circulationQuery(range, groupBy), MAX_GROUPS);
        if (table === null) {
          throw graphError('BAD_USER_INPUT', `More than ${MAX_GROUPS} groups: narrow the range or group by fewer dimensions.`);
        }
        const published = suppress(table, options.minCellSize);
        const shaped = shapeStats(published, groupBy, {
          field: (d, value) => FIELD[d](value),
          counts: ['checkouts'],
          people: 'distinctBorrowers',
        });
        return { from: range.from, to: range.to, groupBy, minGroupSize: options.minCellSize, ...shaped };
      },
    },
  };
}
