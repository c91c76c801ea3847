import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { STATS_PAGE_RESOLVERS } from '../../src/analytics/release/page.js';
import { statsAnswer, type StatsArgs } from '../../src/analytics/release/statsQuery.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import type { CirculationContext } from './context.js';

/** What circulation statistics can be grouped by (the schema's `CirculationDimension`). */
export const CIRCULATION_DIMENSIONS = [
  'BRANCH',
  'FORMAT',
  'AGE_BAND',
  'HOME_BRANCH',
  'MONTH',
] as const;
/** One of them. */
export type CirculationDimension = (typeof CIRCULATION_DIMENSIONS)[number];

const branch = (id: string) => ({ __typename: 'Branch', id });
const FIELD: Record<CirculationDimension, (value: string) => [string, unknown]> = {
  BRANCH: (v) => ['branch', branch(v)],
  FORMAT: (v) => ['format', v],
  AGE_BAND: (v) => ['ageBand', v],
  HOME_BRANCH: (v) => ['homeBranch', branch(v)],
  MONTH: (v) => ['month', v],
};

/**
 * `Query.circulationStats`, for analytics, circulation staff and the records custodian: the same
 * answer for each, computed from the frozen releases of the range's closed months alone
 * (src/analytics/release), never from loans; it names the releases it drew on.
 */
export function circulationStatsResolvers(options: { minCellSize: number }) {
  return {
    Query: {
      circulationStats: async (
        _: unknown,
        args: StatsArgs<CirculationDimension>,
        ctx: CirculationContext,
      ) => {
        requireRole(ctx.privacy.caller, ['analytics', 'staff', 'custodian'], ['circulation']);
        return statsAnswer(
          releaseDb(ctx.store.db),
          CIRCULATION_SCOPE,
          args,
          {
            field: (d, value) => FIELD[d](value),
            counts: ['checkouts'],
            people: 'distinctBorrowers',
          },
          options.minCellSize,
        );
      },
    },
    CirculationStats: STATS_PAGE_RESOLVERS,
  };
}
