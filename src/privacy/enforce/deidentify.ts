import { createHmac } from 'node:crypto';
import type { Deidentification } from '../vocabulary.js';
import type { PatronId } from '../context/ids.js';

/** Age bands for analytics: wide enough that a band and a branch do not single anyone out. */
export const AGE_BANDS = ['0-12', '13-17', '18-24', '25-44', '45-64', '65+'] as const;

/** The age band of someone born on `birthDate` ('YYYY-MM-DD') on `today`. */
export function ageBand(birthDateOrTime: string, today: string): string {
  const birthDate = birthDateOrTime.slice(0, 10);
  const years =
    Number(today.slice(0, 4)) -
    Number(birthDate.slice(0, 4)) -
    (today.slice(5, 10) < birthDate.slice(5) ? 1 : 0);
  return ageBandOfAge(years);
}

/** The age band of an age in whole years. */
export function ageBandOfAge(years: number): string {
  if (years <= 12) return '0-12';
  if (years <= 17) return '13-17';
  if (years <= 24) return '18-24';
  if (years <= 44) return '25-44';
  if (years <= 64) return '45-64';
  return '65+';
}

/** A keyed pseudonym of a patron for one period: stable within it, unlinkable across periods. */
export function pseudonym(subject: PatronId, key: string, period: string): string {
  return createHmac('sha256', key)
    .update(`${period}\u0000${subject}`)
    .digest('base64url')
    .slice(0, 22);
}

/** A period label as periodOf writes it: '2026', '2026-Q1' or '2026-03'. */
const PERIOD_LABEL = /^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$/;

/**
 * Applies a de-identification to a field's value; anything it cannot transform becomes null.
 * For PSEUDONYM the field's resolver gives the period the record belongs to (the checkout's, so
 * that a key never spans two periods of one patron's activity) and the guard keys the subject
 * for it; a value that is not a period label gives null.
 */
export function deidentifyValue(
  strategy: Deidentification,
  value: unknown,
  subject: PatronId | null,
  options: { key: string; period: string; today: string },
): string | null {
  switch (strategy) {
    case 'PSEUDONYM':
      return subject === null || typeof value !== 'string' || !PERIOD_LABEL.test(value)
        ? null
        : pseudonym(subject, options.key, value);
    case 'AGE_BAND':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)
        ? ageBand(value, options.today)
        : null;
    case 'DAY':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)
        ? value.slice(0, 10)
        : null;
  }
}
