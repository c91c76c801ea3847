/**
 * Pages of a statistics answer's `cells`. An answer of a fine grouping over a year has tens of
 * thousands of groups; a request lists at most STATS_PAGE_MAX of them, in the answer's order, and
 * says how many there are and where the next page starts. Every page carries the same margins,
 * total and releases: a page is a slice of the one answer, so paging publishes nothing the whole
 * answer does not.
 *
 * A cursor names a position in one answer: the answer's identity (scope, protection, grouping,
 * range and the ids of the releases it drew on) and the offset, with a check digest over both. A
 * cursor of another answer (another grouping or range, or a correction released between two
 * pages), or one altered by hand, is refused with BAD_USER_INPUT rather than answered with a page
 * of something else. The cursor holds no secret: it only spares the client counting.
 */
import { createHash } from 'node:crypto';
import { ERRORS } from '../../errors/codes.js';
import type { StatsShaper } from '../shape.js';

/** Groups a page lists when the request does not say (`first`'s default), and all `cells` lists. */
export const STATS_PAGE_DEFAULT = 1000;
/** The most groups of `cells` one request may list. */
export const STATS_PAGE_MAX = 1000;

/** What identifies an answer: the same identity gives the same groups in the same order. */
export interface AnswerIdentity {
  scope: string;
  protection: string;
  groupBy: readonly string[];
  from: string;
  to: string;
  releaseIds: readonly string[];
}

/** The identity of an answer as one string (also the key of answers kept in memory). */
export const identityOf = (a: AnswerIdentity): string =>
  JSON.stringify([a.scope, a.protection, a.groupBy, a.from, a.to, a.releaseIds]);

const check = (identity: string, offset: number): string =>
  createHash('sha256').update(`${identity}\u0000${offset}`).digest('base64url').slice(0, 16);

/** The cursor after the first `offset` groups of the answer `identity`. */
export const cursorAt = (identity: string, offset: number): string =>
  Buffer.from(`${offset}.${check(identity, offset)}`).toString('base64url');

/** The page's place in the answer: groups [start, end) of `count`, and the cursor after it. */
export interface Page {
  start: number;
  end: number;
  count: number;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

const NOT_OURS =
  'after is not a cursor of this answer: cursors hold for the same from, to, groupBy, protection and releases; ask again without after.';

/** Where the page `first` groups after `after` lies in an answer of `count` groups; BAD_USER_INPUT for a bad `first` or cursor. */
export function pageOf(
  identity: string,
  count: number,
  first: number | null | undefined,
  after: string | null | undefined,
): Page {
  const size = first ?? STATS_PAGE_DEFAULT;
  if (!Number.isInteger(size) || size < 1 || size > STATS_PAGE_MAX)
    throw ERRORS.BAD_USER_INPUT.err(`first must be between 1 and ${STATS_PAGE_MAX}.`);
  let start = 0;
  if (after !== null && after !== undefined) {
    const match = /^(\d{1,9})\.([A-Za-z0-9_-]{16})$/.exec(
      Buffer.from(after, 'base64url').toString('latin1'),
    );
    const offset = match ? Number(match[1]) : NaN;
    if (!match || cursorAt(identity, offset) !== after || offset < 1 || offset > count)
      throw ERRORS.BAD_USER_INPUT.err(NOT_OURS);
    start = offset;
  }
  const end = Math.min(count, start + size);
  return {
    start,
    end,
    count,
    pageInfo: { endCursor: end > start ? cursorAt(identity, end) : null, hasNextPage: end < count },
  };
}

const PAGED = Symbol('paged statistics');

/** A statistics answer as the `...Stats` type resolves it: `cells` and `cellPage` from `PAGED`. */
export interface PagedStats {
  cellCount: number;
  margins: Record<string, unknown>[];
  total: Record<string, unknown>;
  [PAGED]: { identity: string; shaper: StatsShaper };
}

/** The paged fields of an answer, to spread into the `...Stats` object a resolver returns. */
export const pagedStats = (identity: string, count: number, shaper: StatsShaper): PagedStats => ({
  cellCount: count,
  margins: shaper.margins,
  total: shaper.total,
  [PAGED]: { identity, shaper },
});

/** Resolvers of the paged fields of `CirculationStats` and `EventStats`. */
export const STATS_PAGE_RESOLVERS = {
  /**
   * All groups of an answer of at most a page; a larger answer is refused rather than cut short,
   * so no analyst takes the first page for the whole.
   */
  cells: (stats: PagedStats) => {
    if (stats.cellCount > STATS_PAGE_MAX) {
      throw ERRORS.BAD_USER_INPUT.err(
        `This answer has ${stats.cellCount} groups, more than cells lists (${STATS_PAGE_MAX}): read them with cellPage(first, after), or group by fewer dimensions.`,
      );
    }
    return stats[PAGED].shaper.cells(0, stats.cellCount);
  },
  cellPage: (stats: PagedStats, args: { first?: number | null; after?: string | null }) => {
    const page = pageOf(stats[PAGED].identity, stats.cellCount, args.first, args.after);
    return {
      nodes: stats[PAGED].shaper.cells(page.start, page.end),
      totalCount: page.count,
      pageInfo: page.pageInfo,
    };
  },
};
