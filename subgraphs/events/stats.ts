import { EVENTS_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { STATS_PAGE_RESOLVERS } from '../../src/analytics/release/page.js';
import { statsAnswer, type StatsArgs } from '../../src/analytics/release/statsQuery.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import type { EventsContext } from './context.js';

/**
 * What event statistics can be grouped by (the schema's `EventDimension`). Events keep no age of
 * their attendees (collect nothing without necessity, policy #1), so there is no age band here.
 */
export const EVENT_DIMENSIONS = ['BRANCH', 'MONTH'] as const;
/** One of them. */
export type EventDimension = (typeof EVENT_DIMENSIONS)[number];

/**
 * `Query.eventStats`, for analytics, events staff and the records custodian: registrations and
 * attendance per group, from the frozen releases of the range's closed months alone, like
 * circulation's.
 */
export function eventStatsResolvers(options: { minCellSize: number }) {
  return {
    Query: {
      eventStats: async (_: unknown, args: StatsArgs<EventDimension>, ctx: EventsContext) => {
        requireRole(ctx.privacy.caller, ['analytics', 'staff', 'custodian'], ['events']);
        return statsAnswer(
          releaseDb(ctx.store.db),
          EVENTS_SCOPE,
          args,
          {
            field: (d, value) =>
              d === 'BRANCH' ? ['branch', { __typename: 'Branch', id: value }] : ['month', value],
            counts: ['registrations', 'attended'],
            people: 'distinctPatrons',
          },
          options.minCellSize,
        );
      },
    },
    EventStats: STATS_PAGE_RESOLVERS,
  };
}
