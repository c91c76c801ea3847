/**
 * The summing of released cells over months as it was first written (string keys split and joined
 * per cell, a map of groups by joined key), kept as the reference the in-memory release index
 * (src/analytics/release/releaseIndex.ts) must agree with.
 */
import { KEY_SEPARATOR } from '../../src/analytics/release/tables.js';
import {
  groupingOf,
  MONTH_DIMENSION,
  type AnswerGroup,
  type AnswerTable,
  type MonthRelease,
} from '../../src/analytics/release/combine.js';

/**
 * Sums released cells over months into the groups of `groupBy` (release dimensions and MONTH,
 * in the caller's order). A group is suppressed when any month's part of it is: then it says
 * nothing that a month's release did not, so no range of months can be differenced against
 * another to reopen a suppressed cell. A missing cell of a month is a published 0. Distinct
 * people do not add up across months (each month's tally had its own key), so a group that draws
 * on more than one month has none. Margins of error add in quadrature (independent noise).
 */
export function combineReference(
  months: readonly MonthRelease[],
  groupBy: readonly string[],
  releaseDimensions: readonly string[],
  metrics: number,
): AnswerTable {
  const table = (dims: readonly string[]): AnswerGroup[] => {
    const g = groupingOf(dims, releaseDimensions);
    const inRelease = releaseDimensions.map((_, d) => d).filter((d) => (g >> d) & 1);
    // Where each grouped dimension's value sits in a cell's key (-1: the month).
    const at = dims.map((d) =>
      d === MONTH_DIMENSION ? -1 : inRelease.indexOf(releaseDimensions.indexOf(d)),
    );
    const groups = new Map<string, AnswerGroup & { months: number; variance: number[] | null }>();
    for (const { month, cells } of months) {
      for (const cell of cells) {
        if (cell.grouping !== g) continue;
        const parts =
          cell.key === '' && inRelease.length === 0 ? [] : cell.key.split(KEY_SEPARATOR);
        const key = at.map((i) => (i === -1 ? month : parts[i]!));
        const id = key.join(KEY_SEPARATOR);
        const group = groups.get(id);
        const variance = cell.moe ? cell.moe.map((m) => m * m) : null;
        if (!group) {
          groups.set(id, {
            key,
            counts: [...cell.counts],
            people: cell.people,
            suppressed: cell.suppressed,
            moe: null,
            months: 1,
            variance,
          });
          continue;
        }
        group.counts = group.counts.map((c, m) => c + cell.counts[m]!);
        group.suppressed ||= cell.suppressed;
        group.months += 1;
        group.people = null;
        if (group.variance && variance)
          group.variance = group.variance.map((v, i) => v + variance[i]!);
      }
    }
    // In order of the groups' joined keys (the map's keys), computed once rather than per comparison.
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { months: _months, variance, ...group }]) => ({
        ...group,
        moe: variance ? variance.map(Math.sqrt) : null,
      }));
  };
  const totals = table([]);
  const total: AnswerGroup = totals[0] ?? {
    key: [],
    counts: new Array<number>(metrics).fill(0),
    people: 0,
    suppressed: false,
    moe: null,
  };
  return {
    cells: groupBy.length === 0 ? [] : table(groupBy),
    margins: groupBy.length >= 2 ? groupBy.map((d) => table([d])) : [],
    total,
  };
}
