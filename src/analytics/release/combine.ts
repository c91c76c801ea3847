import { ReleaseIndex, type AnswerTable } from './releaseIndex.js';

export { groupingOf, MONTH_DIMENSION, type AnswerGroup, type AnswerTable } from './releaseIndex.js';

/** One released cell as the answer reads it. */
export interface StoredCell {
  grouping: number;
  key: string;
  counts: number[];
  /** Null where not released (DP releases). */
  people: number | null;
  suppressed: boolean;
  /** Half-widths of the 95% intervals of the counts and of people (noise-protected releases). */
  moe: number[] | null;
}

/** One month's release, as read for an answer. */
export interface MonthRelease {
  month: string;
  cells: readonly StoredCell[];
}

/**
 * Sums released cells over months into the groups of `groupBy` (release dimensions and MONTH, in
 * the caller's order), as ReleaseIndex.combine specifies, for releases given as cells rather than
 * indexed already: each is indexed, then combined (`dropWithinMargin` as there).
 */
export function combine(
  months: readonly MonthRelease[],
  groupBy: readonly string[],
  releaseDimensions: readonly string[],
  metrics: number,
  options: { dropWithinMargin?: boolean } = {},
): AnswerTable {
  const index = new ReleaseIndex(releaseDimensions, metrics);
  const releases = months.map((m, i) =>
    index.index(
      `${i}`,
      m.month,
      m.cells.map((c) => ({
        grouping: c.grouping,
        key: c.key,
        c0: c.counts[0]!,
        c1: c.counts[1] ?? null,
        people: c.people,
        suppressed: c.suppressed,
        moe0: c.moe?.[0] ?? null,
        moe1: c.moe?.[1] ?? null,
        moe_people: c.moe?.[2] ?? null,
      })),
    ),
  );
  return index.combine(releases, groupBy, options);
}
