import type { Kysely } from 'kysely';
import type { MonthRange } from '../monthRange.js';
import { combine, groupingOf, MONTH_DIMENSION, type AnswerTable, type MonthRelease } from './combine.js';
import type { ReleaseScope } from './scopes.js';
import type { ReleaseTables } from './tables.js';

/** A release an answer drew on, as the schema's `StatsRelease` names it. */
export interface ReleaseRef {
  id: string;
  month: string;
  version: number;
  releasedAt: string;
  /** k of the release's suppression. */
  minGroupSize: number | null;
  /** 'SUPPRESSION' or 'DIFFERENTIAL_PRIVACY'. */
  protection: Protection;
  /** Privacy loss per person of the month (DP releases). */
  epsilon: number | null;
  /** The most rows one person counts for in the month (DP releases). */
  contributionBound: number | null;
}

/** How a release is protected, as the schema's `StatsProtection` names it. */
export type Protection = 'SUPPRESSION' | 'DIFFERENTIAL_PRIVACY';
const MODE: Record<Protection, string> = { SUPPRESSION: 'suppression', DIFFERENTIAL_PRIVACY: 'dp' };

/** A statistics answer: the table, the releases it drew on, and the months of the range it could not. */
export interface ReleasedAnswer {
  table: AnswerTable;
  releases: ReleaseRef[];
  /** Months of the range with no release (the open month, future months, months not yet released). */
  unreleasedMonths: string[];
}

/** Every month of a range, 'YYYY-MM'. */
export function monthsOf(range: MonthRange): string[] {
  const out: string[] = [];
  const [y0, m0] = range.from.split('-').map(Number) as [number, number];
  for (let i = y0 * 12 + m0 - 1; ; i++) {
    const month = `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
    out.push(month);
    if (month === range.to) return out;
  }
}

/**
 * Answers `groupBy` over `range` from the latest release of each month alone (never from rows):
 * reads the cells of the groupings the answer needs (its cells, each margin, the total) and sums
 * them over months (combine.ts). Two indexed reads, whatever the range or the data's size.
 */
export async function answerFromReleases(
  db: Kysely<ReleaseTables>,
  scope: ReleaseScope,
  range: MonthRange,
  groupBy: readonly string[],
  protection: Protection = 'SUPPRESSION',
): Promise<ReleasedAnswer> {
  const months = monthsOf(range);
  const rows = await db
    .selectFrom('stats_releases')
    .select(['id', 'month', 'version', 'released_at', 'k', 'epsilon', 'contribution'])
    .where('scope', '=', scope.name)
    .where('mode', '=', MODE[protection])
    .where('month', '>=', range.from)
    .where('month', '<=', range.to)
    .orderBy('month')
    .orderBy('version', 'desc')
    .execute();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!latest.has(r.month)) latest.set(r.month, r);
  const releases = [...latest.values()];
  const dims = groupBy.filter((d) => d !== MONTH_DIMENSION);
  const wanted = [...new Set([groupingOf(dims, scope.dimensions), ...dims.map((d) => groupingOf([d], scope.dimensions)), 0])];
  const cells =
    releases.length === 0
      ? []
      : await db
          .selectFrom('stats_release_cells')
          .selectAll()
          .where('release_id', 'in', releases.map((r) => r.id))
          .where('grouping', 'in', wanted)
          .execute();
  const byRelease = new Map<string, MonthRelease>(releases.map((r) => [r.id, { month: r.month, cells: [] }]));
  for (const c of cells) {
    (byRelease.get(c.release_id)!.cells as MonthRelease['cells'][number][]).push({
      grouping: c.grouping,
      key: c.key,
      counts: scope.metrics === 2 && c.c1 !== null ? [c.c0, c.c1] : [c.c0],
      people: c.people,
      suppressed: c.suppressed === 1,
      moe: c.moe0 === null ? null : [c.moe0, c.moe1 ?? 0, c.moe_people ?? 0],
    });
  }
  const table = combine([...byRelease.values()], groupBy, scope.dimensions, scope.metrics);
  // Under noise every cell of the domain is released, most of them empty; a cell whose noisy count
  // is within its margin of error of 0 is left out, as an empty one is (post-processing: no
  // privacy cost), so that fine groupings do not answer with thousands of noise-only cells.
  if (protection === 'DIFFERENTIAL_PRIVACY') table.cells = table.cells.filter((c) => c.counts[0]! > (c.moe?.[0] ?? 0));
  return {
    table,
    releases: releases.map((r) => ({
      id: r.id, month: r.month, version: r.version, releasedAt: r.released_at, minGroupSize: r.k, protection, epsilon: r.epsilon, contributionBound: r.contribution,
    })),
    unreleasedMonths: months.filter((m) => !latest.has(m)),
  };
}
