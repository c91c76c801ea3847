import type { Kysely } from 'kysely';
import { monthRange } from '../monthRange.js';
import { statsShaper, type GroupFields } from '../shape.js';
import { answerFromReleases, type Protection } from './answer.js';
import { pagedStats } from './page.js';
import type { ReleaseScope } from './scopes.js';
import type { ReleaseTables } from './tables.js';

/** The arguments of a `...Stats` query (`circulationStats`, `eventStats`). */
export interface StatsArgs<D extends string> {
  from: string;
  to: string;
  groupBy?: D[] | null;
  protection?: Protection | null;
}

/**
 * The answer of a `...Stats` query, for circulation's and events' alike: computed from the frozen
 * releases of the range's closed months of `scope` alone (never from raw rows), naming the
 * releases it drew on, its groups shaped by `fields` and paged (`STATS_PAGE_RESOLVERS`). Under
 * suppression, `minGroupSize` is the smallest k of those releases (`minCellSize` where none).
 */
export async function statsAnswer<D extends string>(
  db: Kysely<ReleaseTables>,
  scope: ReleaseScope,
  args: StatsArgs<D>,
  fields: GroupFields<D>,
  minCellSize: number,
) {
  const range = monthRange(args.from, args.to);
  const groupBy = [...new Set(args.groupBy ?? [])];
  const protection = args.protection ?? 'SUPPRESSION';
  const answer = await answerFromReleases(db, scope, range, groupBy, protection);
  const shaper = statsShaper(answer.table, groupBy, fields);
  const ks = answer.releases.map((r) => r.minGroupSize ?? minCellSize);
  return {
    from: range.from,
    to: range.to,
    groupBy,
    protection,
    minGroupSize: protection === 'SUPPRESSION' ? (ks.length ? Math.min(...ks) : minCellSize) : null,
    releases: answer.releases,
    unreleasedMonths: answer.unreleasedMonths,
    ...pagedStats(answer.identity, answer.table.cells.length, shaper),
  };
}
