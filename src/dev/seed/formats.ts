import { LOAN_DAYS } from '../../../subgraphs/circulation/lending.js';

/** The catalog formats (the `Format` enum of the catalog schema), in a fixed order for typed arrays. */
export const FORMATS = [
  'BOOK',
  'LARGE_PRINT',
  'AUDIOBOOK',
  'DVD',
  'MAGAZINE',
  'VIDEO_GAME',
] as const;
/** One catalog format. */
export type Format = (typeof FORMATS)[number];

/** Share of works per format, in `FORMATS` order: books most. */
export const FORMAT_WEIGHTS = [62, 6, 10, 12, 4, 6] as const;

/** Loan period in days by index into `FORMATS`, for the hot loan loop (the lending rules' periods). */
export const LOAN_DAYS_BY_INDEX: readonly number[] = FORMATS.map((f) => LOAN_DAYS[f] ?? 7);

/** The catalog item statuses (the `ItemStatus` enum), in a fixed order for typed arrays. */
export const ITEM_STATUSES = ['IN_SERVICE', 'IN_REPAIR', 'LOST', 'WITHDRAWN'] as const;
/** Share of items per status: almost all in service. */
export const ITEM_STATUS_WEIGHTS = [95, 2, 2, 1] as const;
/** Index of IN_SERVICE in `ITEM_STATUSES`. */
export const IN_SERVICE = 0;
