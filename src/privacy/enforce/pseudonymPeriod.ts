import type { PseudonymPeriod } from '../../config/analytics.js';

/**
 * How long one analytics pseudonym lasts is configured (`PSEUDONYM_PERIOD`, the periods in
 * src/config/analytics.ts). A patron keeps the same key within a period and gets an unlinkable
 * one in the next (the HMAC input carries the period: src/privacy/enforce/deidentify.ts).
 */
export type { PseudonymPeriod };

/**
 * The period an instant falls in, as the label that goes into the HMAC: '2026-03' (month),
 * '2026-Q1' (quarter) or '2026' (year), in UTC. Takes an ISO 8601 string or a Date.
 */
export function periodOf(at: string | Date, unit: PseudonymPeriod): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  const year = iso.slice(0, 4);
  switch (unit) {
    case 'month':
      return iso.slice(0, 7);
    case 'quarter':
      return `${year}-Q${Math.floor((Number(iso.slice(5, 7)) - 1) / 3) + 1}`;
    case 'year':
      return year;
  }
}
