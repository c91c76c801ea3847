import { sql, type RawBuilder } from 'kysely';
import { graphError } from '../../src/errors/codes.js';
import { groupedTable, type GroupedQuery } from '../../src/analytics/groupedCounts.js';
import { monthRange, type MonthRange } from '../../src/analytics/monthRange.js';
import { shapeStats } from '../../src/analytics/shape.js';
import { suppress } from '../../src/analytics/suppression.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import type { EventsContext } from './resolvers.js';

/**
 * What event statistics can be grouped by (the schema's `EventDimension`). Events keep no age of
 * their attendees (collect nothing without necessity, policy #1), so there is no age band here.
 */
export const EVENT_DIMENSIONS = ['BRANCH', 'MONTH'] as const;
/** One of them. */
export type EventDimension = (typeof EVENT_DIMENSIONS)[number];

/** The most groups one answer may have. */
export const MAX_GROUPS = 20_000;

const EXPRESSION: Record<EventDimension, RawBuilder<unknown>> = {
  BRANCH: sql`e.branch_id`,
  MONTH: sql`substr(e.starts_at, 1, 7)`,
};

/** Registrations, attendances and distinct (still linked) registrants of events starting within `range`. */
export function eventsQuery(range: MonthRange, groupBy: readonly EventDimension[]): GroupedQuery {
  return {
    from: sql`FROM registrations r JOIN events e ON e.id = r.event_id WHERE e.starts_at >= ${range.start} AND e.starts_at < ${range.end}`,
    dimensions: groupBy.map((d) => EXPRESSION[d]),
    counts: [sql`count(*)`, sql`coalesce(sum(r.attended), 0)`],
    people: sql`count(DISTINCT r.patron_id)`,
  };
}

interface StatsArgs {
  from: string;
  to: string;
  groupBy?: EventDimension[] | null;
}

/**
 * `Query.eventStats`, for analytics, events staff and the records custodian: registrations and
 * attendance per group, suppressed like circulation's with k = `minCellSize`.
 */
export function eventStatsResolvers(options: { minCellSize: number }) {
  return {
    Query: {
      eventStats: async (_: unknown, args: StatsArgs, ctx: EventsContext) => {
        requireRole(ctx.privacy.caller, ['analytics', 'staff', 'custodian'], ['events']);
        const range = monthRange(args.from, args.to);
        const groupBy = [...new Set(args.groupBy ?? [])];
        const table = await groupedTable(ctx.store.db, eventsQuery(range, groupBy), MAX_GROUPS);
        if (table === null) {
          throw graphError('BAD_USER_INPUT', `More than ${MAX_GROUPS} groups: narrow the range or group by fewer dimensions.`);
        }
        const shaped = shapeStats(suppress(table, options.minCellSize), groupBy, {
          field: (d, value) => (d === 'BRANCH' ? ['branch', { __typename: 'Branch', id: value }] : ['month', value]),
          counts: ['registrations', 'attended'],
          people: 'distinctPatrons',
        });
        return { from: range.from, to: range.to, groupBy, minGroupSize: options.minCellSize, ...shaped };
      },
    },
  };
}
