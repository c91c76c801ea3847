/**
 * The second ladder of the analytics export: what a row publishes besides its quasi-identifiers
 * (the lending branch, the checkout and return dates), generalized until every combination of
 * all published columns stands for at least k distinct patrons. A row climbs until its group,
 * among the rows still climbing, is large enough; beyond the top it is dropped.
 *
 *   0  branch, checkout day, return day
 *   1  branch, checkout week, return week        (ISO weeks, '2026-W41')
 *   2  branch, checkout month, return month      ('2026-10')
 *   3  branch, checkout month, *
 *   4  *, checkout month, *
 *   5  as 4, with the quasi-identifiers at the top of their own ladder: (*, *, format)
 */

/** What a row publishes on the dates ladder. */
export interface PublishedDates {
  branch: string;
  checkoutDay: string;
  returnDay: string | null;
}

/** The top rung of the dates ladder. */
export const DATES_TOP = 5;

/** A generalized value. */
const ANY = '*';

/** The ISO week of a day, 'YYYY-Www' (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(day: string): string {
  const date = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - weekday + 3);
  const year = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const week =
    1 +
    Math.round(
      (date.getTime() - firstThursday.getTime()) / 86_400_000 / 7 -
        (((firstThursday.getUTCDay() + 6) % 7) - 3) / 7,
    );
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The branch and dates of a loan as published on rung `level`. */
export function datesAt(
  level: number,
  branch: string,
  checkedOutAt: string,
  returnedAt: string | null,
): PublishedDates {
  const cut = (at: string) =>
    level === 0 ? at.slice(0, 10) : level === 1 ? isoWeek(at) : at.slice(0, 7);
  return {
    branch: level >= 4 ? ANY : branch,
    checkoutDay: cut(checkedOutAt),
    returnDay: level >= 3 ? ANY : returnedAt === null ? null : cut(returnedAt),
  };
}

/** A group key of every published column: the quasi-identifiers' key and the dates. */
export const fullKey = (quasi: string, d: PublishedDates): string =>
  `${quasi}|${d.branch}|${d.checkoutDay}|${d.returnDay ?? ''}`;
