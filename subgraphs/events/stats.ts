import { answerFromReleases, type Protection } from '../../src/analytics/release/answer.js';
import { EVENTS_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { monthRange } from '../../src/analytics/monthRange.js';
import { statsShaper } from '../../src/analytics/shape.js';
import { pagedStats, STATS_PAGE_RESOLVERS } from '../../src/analytics/release/page.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import type { EventsContext } from './context.js';

/**
 * What event statistics can be grouped by (the schema's `EventDimension`). Events keep no age of
 * their attendees (collect nothing without necessity, policy #1), so there is no age band here.
 */
export const EVENT_DIMENSIONS = ['BRANCH', 'MONTH'] as const;
/** One of them. */
export type EventDimension = (typeof EVENT_DIMENSIONS)[number];

interface StatsArgs {
  from: string;
  to: string;
  groupBy?: EventDimension[] | null;
  protection?: Protection | null;
}

/**
 * `Query.eventStats`, for analytics, events staff and the records custodian: registrations and
 * attendance per group, from the frozen releases of the range's closed months alone, like
 * circulation's.
 */
export function eventStatsResolvers(options: { minCellSize: number }) {
  return {
    Query: {
      eventStats: async (_: unknown, args: StatsArgs, ctx: EventsContext) => {
        requireRole(ctx.privacy.caller, ['analytics', 'staff', 'custodian'], ['events']);
        const range = monthRange(args.from, args.to);
        const groupBy = [...new Set(args.groupBy ?? [])];
        const protection = args.protection ?? 'SUPPRESSION';
        const answer = await answerFromReleases(
          releaseDb(ctx.store.db),
          EVENTS_SCOPE,
          range,
          groupBy,
          protection,
        );
        const shaper = statsShaper(answer.table, groupBy, {
          field: (d, value) =>
            d === 'BRANCH' ? ['branch', { __typename: 'Branch', id: value }] : ['month', value],
          counts: ['registrations', 'attended'],
          people: 'distinctPatrons',
        });
        const ks = answer.releases.map((r) => r.minGroupSize ?? options.minCellSize);
        const k =
          protection === 'SUPPRESSION' ? (ks.length ? Math.min(...ks) : options.minCellSize) : null;
        return {
          from: range.from,
          to: range.to,
          groupBy,
          protection,
          minGroupSize: k,
          releases: answer.releases,
          unreleasedMonths: answer.unreleasedMonths,
          ...pagedStats(answer.identity, answer.table.cells.length, shaper),
        };
      },
    },
    EventStats: STATS_PAGE_RESOLVERS,
  };
}
