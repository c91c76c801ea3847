/**
 * Lending rules of the library, pure so they are tested as a table. The store applies them inside
 * transactions; the numbers are policy and live here once.
 */

/** Loan period in days by format: short for high-demand media. */
export const LOAN_DAYS: Record<string, number> = {
  BOOK: 21,
  LARGE_PRINT: 21,
  AUDIOBOOK: 21,
  VIDEO_GAME: 14,
  DVD: 7,
  MAGAZINE: 7,
};

/** Renewals allowed per loan. */
export const RENEWAL_LIMIT = 2;
/** Overdue fine per started day, and its cap per loan. */
export const FINE_CENTS_PER_DAY = 25;
export const FINE_CAP_CENTS = 1000;

const DAY_MS = 86_400_000;

/** The due date of a loan of `format` starting at `from`. Unknown formats get the shortest period. */
export function dueDate(format: string, from: Date): Date {
  return new Date(from.getTime() + (LOAN_DAYS[format] ?? 7) * DAY_MS);
}

/** The overdue fine for returning at `returnedAt` a loan due at `dueAt`; 0 when on time. */
export function overdueFineCents(dueAt: string, returnedAt: Date): number {
  const late = returnedAt.getTime() - new Date(dueAt).getTime();
  if (late <= 0) return 0;
  return Math.min(FINE_CAP_CENTS, Math.ceil(late / DAY_MS) * FINE_CENTS_PER_DAY);
}

/** Why a renewal is refused, or null when it may go ahead. */
export function renewalRefusal(
  loan: { renewals: number; returned_at: string | null },
  othersWaiting: number,
): string | null {
  if (loan.returned_at !== null) return 'This loan is already returned.';
  if (loan.renewals >= RENEWAL_LIMIT)
    return `This loan reached the renewal limit of ${RENEWAL_LIMIT}.`;
  if (othersWaiting > 0) return 'Another patron is waiting for this work, so it cannot be renewed.';
  return null;
}
