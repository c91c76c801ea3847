/** Milliseconds in one day. */
export const DAY = 86_400_000;
/** Milliseconds in one hour. */
export const HOUR = 3_600_000;
/** Milliseconds in one minute. */
export const MINUTE = 60_000;

/**
 * The seed's clock: every date is relative to the start (00:00 UTC) of the day of `now`, so two
 * seeds on the same day produce identical rows, and everything placed "before now" is.
 */
export class SeedClock {
  /** 00:00 UTC of the seeding day, in epoch milliseconds. */
  readonly anchor: number;

  constructor(now: Date) {
    const t = now.getTime();
    if (!Number.isFinite(t)) throw new Error('seed: `now` is not a valid date');
    this.anchor = t - (((t % DAY) + DAY) % DAY);
  }

  /** The anchor moved by a (possibly fractional, possibly negative) number of days. */
  days(offset: number): number {
    return this.anchor + Math.round(offset * DAY);
  }

  /** An ISO 8601 UTC timestamp for `days(offset)`. */
  isoDays(offset: number): string {
    return iso(this.days(offset));
  }

  /**
   * A birth date ('YYYY-MM-DD') for someone exactly `age` whole years old on the seeding day,
   * whose last birthday was `daysSinceBirthday` (1..360) days ago.
   */
  birthDate(age: number, daysSinceBirthday: number): string {
    const today = new Date(this.anchor);
    const sameDay = Date.UTC(today.getUTCFullYear() - age, today.getUTCMonth(), today.getUTCDate());
    return new Date(sameDay - daysSinceBirthday * DAY).toISOString().slice(0, 10);
  }
}

/** Epoch milliseconds as an ISO 8601 UTC string, the format every table stores. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Rounds epoch milliseconds down to the minute, so generated times look like real ones. */
export function toMinute(ms: number): number {
  return ms - (ms % MINUTE);
}
