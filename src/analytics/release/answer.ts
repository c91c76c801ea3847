import type { Kysely } from 'kysely';
import type { MonthRange } from '../monthRange.js';
import type { AnswerTable } from './releaseIndex.js';
import { indexedReleases } from './releaseCache.js';
import { identityOf } from './page.js';
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
  /** The answer's identity (page.ts): scope, protection, grouping, range and release ids. */
  identity: string;
}

/** Answers kept per database handle, by identity, most recently used last. */
const answers = new WeakMap<object, Map<string, AnswerTable>>();
/** How many answers, and how many of their groups in all, are kept per database. */
const KEEP_ANSWERS = 64;
const KEEP_GROUPS = 200_000;

const groupsOf = (t: AnswerTable): number =>
  t.cells.length + t.margins.reduce((n, m) => n + m.length, 0) + 1;

function keep(db: object, identity: string, table: AnswerTable): void {
  let kept = answers.get(db);
  if (!kept) answers.set(db, (kept = new Map()));
  kept.set(identity, table);
  let groups = 0;
  for (const t of kept.values()) groups += groupsOf(t);
  for (const [id, t] of kept) {
    if (kept.size <= 1 || (kept.size <= KEEP_ANSWERS && groups <= KEEP_GROUPS)) break;
    kept.delete(id);
    groups -= groupsOf(t);
  }
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
 * lists the releases, then sums their cells over months from the in-memory release index
 * (releaseCache.ts reads a release's cells once, the first time an answer needs them). The sums
 * of the latest answers are kept by identity, so the pages of one answer are summed once.
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
  const identity = identityOf({
    scope: scope.name,
    protection,
    groupBy,
    from: range.from,
    to: range.to,
    releaseIds: releases.map((r) => r.id),
  });
  let table = answers.get(db)?.get(identity);
  if (table) {
    // Most recently used last.
    answers.get(db)!.delete(identity);
    answers.get(db)!.set(identity, table);
  } else {
    const { index, releases: indexed } = await indexedReleases(
      db,
      scope,
      releases.map((r) => ({ id: r.id, month: r.month, mode: MODE[protection] })),
    );
    // Under noise every cell of the domain is released, most of them empty; a cell whose noisy count
    // is within its margin of error of 0 is left out, as an empty one is (post-processing: no
    // privacy cost), so that fine groupings do not answer with thousands of noise-only cells.
    table = index.combine(indexed, groupBy, {
      dropWithinMargin: protection === 'DIFFERENTIAL_PRIVACY',
    });
    // Releases never change (a correction is a new id, so a new identity): the sums stay true.
    keep(db, identity, table);
  }
  return {
    table,
    identity,
    releases: releases.map((r) => ({
      id: r.id,
      month: r.month,
      version: r.version,
      releasedAt: r.released_at,
      minGroupSize: r.k,
      protection,
      epsilon: r.epsilon,
      contributionBound: r.contribution,
    })),
    unreleasedMonths: months.filter((m) => !latest.has(m)),
  };
}
