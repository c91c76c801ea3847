/** The catalog formats (the `Format` enum of the catalog schema), in a fixed order for typed arrays. */
export const FORMATS = ['BOOK', 'LARGE_PRINT', 'AUDIOBOOK', 'DVD', 'MAGAZINE', 'VIDEO_GAME'] as const;
/** One catalog format. */
export type Format = (typeof FORMATS)[number];

/** Share of works per format, in `FORMATS` order: books most. */
export const FORMAT_WEIGHTS = [62, 6, 10, 12, 4, 6] as const;

/** Loan period in days per format: 21 for reading and listening, 14 for games, 7 for DVDs and magazines. */
export const LOAN_DAYS: Record<Format, number> = {
  BOOK: 21,
  LARGE_PRINT: 21,
  AUDIOBOOK: 21,
  VIDEO_GAME: 14,
  DVD: 7,
  MAGAZINE: 7,
};

/** Loan period in days by index into `FORMATS`, for the hot loan loop. */
export const LOAN_DAYS_BY_INDEX: readonly number[] = FORMATS.map((f) => LOAN_DAYS[f]);

/** Overdue fine per day late, in cents, and its cap per loan. */
export const FINE_CENTS_PER_DAY = 25;
/** The most one overdue loan can cost, in cents. */
export const FINE_CAP_CENTS = 1_000;

/** The catalog item statuses (the `ItemStatus` enum), in a fixed order for typed arrays. */
export const ITEM_STATUSES = ['IN_SERVICE', 'IN_REPAIR', 'LOST', 'WITHDRAWN'] as const;
/** Share of items per status: almost all in service. */
export const ITEM_STATUS_WEIGHTS = [95, 2, 2, 1] as const;
/** Index of IN_SERVICE in `ITEM_STATUSES`. */
export const IN_SERVICE = 0;
