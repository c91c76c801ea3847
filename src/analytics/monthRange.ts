import { ERRORS } from '../errors/codes.js';

/**
 * The period of a statistics query, in whole months. Statistics take no finer bounds: two
 * queries whose ranges differ by a day would otherwise publish that day's activity by
 * difference, below any threshold.
 */
export interface MonthRange {
  /** First month, 'YYYY-MM'. */
  from: string;
  /** Last month, inclusive, 'YYYY-MM'. */
  to: string;
  /** The first instant of `from` (ISO 8601, UTC). */
  start: string;
  /** The first instant after `to` (ISO 8601, UTC): compare with `<`. */
  end: string;
}

/** The longest range a query may cover. */
export const MAX_MONTHS = 120;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

const monthStart = (year: number, month: number): string =>
  new Date(Date.UTC(year, month - 1, 1)).toISOString();

/** Parses `from` and `to` ('YYYY-MM', inclusive); BAD_USER_INPUT names the argument at fault. */
export function monthRange(from: string, to: string): MonthRange {
  const a = MONTH.exec(from);
  if (!a) throw ERRORS.BAD_USER_INPUT.err('from must be a month, YYYY-MM.');
  const b = MONTH.exec(to);
  if (!b) throw ERRORS.BAD_USER_INPUT.err('to must be a month, YYYY-MM.');
  const first = Number(a[1]) * 12 + Number(a[2]) - 1;
  const last = Number(b[1]) * 12 + Number(b[2]) - 1;
  if (last < first) throw ERRORS.BAD_USER_INPUT.err('to must not be before from.');
  if (last - first + 1 > MAX_MONTHS)
    throw ERRORS.BAD_USER_INPUT.err(`A range covers at most ${MAX_MONTHS} months.`);
  return {
    from,
    to,
    start: monthStart(Number(a[1]), Number(a[2])),
    end: monthStart(Math.floor((last + 1) / 12), ((last + 1) % 12) + 1),
  };
}
