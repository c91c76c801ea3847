import { answerFromReleases, type Protection } from '../../src/analytics/release/answer.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { monthRange } from '../../src/analytics/monthRange.js';
import { statsShaper } from '../../src/analytics/shape.js';
import { pagedStats, STATS_PAGE_RESOLVERS } from '../../src/analytics/release/page.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import type { CirculationContext } from './resolvers.js';

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

interface StatsArgs {
  from: string;
  to: string;
  groupBy?: CirculationDimension[] | null;
  protection?: Protection | null;
}

/**
 * `Query.circulationStats`, for analytics, circulation staff and the records custodian: the same
 * answer for each, computed from the frozen releases of the range's closed months alone
 * (src/analytics/release), never from loans; it names the releases it drew on.
 */
export function circulationStatsResolvers(options: { minCellSize: number }) {
  return {
    Query: {
      circulationStats: async (_: unknown, args: StatsArgs, ctx: CirculationContext) => {
        requireRole(ctx.privacy.caller, ['analytics', 'staff', 'custodian'], ['circulation']);
        const range = monthRange(args.from, args.to);
        const groupBy = [...new Set(args.groupBy ?? [])];
        const protection = args.protection ?? 'SUPPRESSION';
        const answer = await answerFromReleases(
          releaseDb(ctx.store.db),
          CIRCULATION_SCOPE,
          range,
          groupBy,
          protection,
        );
        const shaper = statsShaper(answer.table, groupBy, {
          field: (d, value) => FIELD[d](value),
          counts: ['checkouts'],
          people: 'distinctBorrowers',
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
    CirculationStats: STATS_PAGE_RESOLVERS,
  };
}
