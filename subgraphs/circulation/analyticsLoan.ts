import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { ERRORS } from '../../src/errors/codes.js';
import {
  activityTime,
  HOLD_ACTIVITY,
  LOAN_ACTIVITY,
} from '../../src/privacy/enforce/activityTime.js';
import { periodOf, type PseudonymPeriod } from '../../src/privacy/enforce/pseudonymPeriod.js';
import type { CirculationContext } from './context.js';
import type { QueryResolvers } from './generated/resolvers.js';
import { circulationResolvers } from './resolvers.js';
import type { HoldRow, LoanRow } from './store.js';

const listLoans = circulationResolvers.Query.loans;

const isAnalytics = (ctx: CirculationContext): boolean =>
  ctx.privacy.caller.roles.includes('analytics');

/**
 * A loan's id as analytics see it: a keyed digest of the loan for the period of its checkout.
 * The raw id would link rows across periods and give the order of checkouts within a day.
 */
export function analyticsLoanId(
  id: number,
  checkedOutAt: string,
  key: string,
  unit: PseudonymPeriod,
): string {
  return `loan_${createHmac('sha256', key)
    .update(`loan\u0000${periodOf(checkedOutAt, unit)}\u0000${id}`)
    .digest('base64url')
    .slice(0, 22)}`;
}

const loanKey = (l: LoanRow, ctx: CirculationContext): string =>
  analyticsLoanId(l.id, l.checked_out_at, ctx.privacy.pseudonym.key, ctx.privacy.pseudonym.unit);

const cursorKey = (key: string) => createHash('sha256').update(`${key}\u0000loan-cursor`).digest();

/** An analytics page cursor: the last loan id, encrypted (AES-256-GCM), so it names no loan. */
function sealCursor(cursor: string, key: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cursorKey(key), iv);
  const body = Buffer.concat([cipher.update(cursor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** Opens a cursor sealCursor made; anything else is BAD_USER_INPUT. */
function openCursor(sealed: string, key: string): string {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', cursorKey(key), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw ERRORS.BAD_USER_INPUT.err('after is not a cursor this API returned.');
  }
}

/**
 * What analytics read of a loan, and the times of patron activity for everyone. `borrowerKey`,
 * `checkedOutDay` and `returnedDay` are @confidential with `deidentify` and no exception: only
 * analytics receive them, de-identified by the guard; the resolvers already return the
 * de-identified form, so nothing more leaves even where enforcement is off (benchmarks).
 * `borrowerKey` is keyed by the period of the checkout, never of the request, so one key never
 * spans two periods of a patron's loans; a loan's `id` and the page cursors of `loans` are opaque
 * to analytics (a per-period key, a sealed cursor). The times of a loan and of a hold (and the due time of an
 * item on loan, from which the checkout time follows) are exact only for a caller with an
 * exception for the patron, to the day for everyone else (src/privacy/enforce/activityTime.ts).
 * These resolvers are merged over the ones in resolvers.ts (service.ts).
 */
export const analyticsLoanResolvers = {
  Query: {
    loans: async (source, args, ctx) => {
      if (!isAnalytics(ctx)) return listLoans(source, args, ctx);
      const after = args.after ? openCursor(args.after, ctx.privacy.pseudonym.key) : null;
      const page = await listLoans(source, { ...args, after }, ctx);
      const last = page.pageInfo.endCursor;
      return {
        ...page,
        pageInfo: {
          ...page.pageInfo,
          endCursor: last === null ? null : sealCursor(last, ctx.privacy.pseudonym.key),
        },
      };
    },
  } satisfies QueryResolvers,
  Loan: {
    id: (l: LoanRow, _: unknown, ctx: CirculationContext) =>
      isAnalytics(ctx) ? loanKey(l, ctx) : String(l.id),
    /** The period of the checkout; the guard turns it into the borrower's key for that period. */
    borrowerKey: (l: LoanRow, _: unknown, ctx: CirculationContext) =>
      l.patron_id ? periodOf(l.checked_out_at, ctx.privacy.pseudonym.unit) : null,
    checkedOutDay: (l: LoanRow) => l.checked_out_at.slice(0, 10),
    returnedDay: (l: LoanRow) => l.returned_at?.slice(0, 10) ?? null,
    checkedOutAt: (l: LoanRow, _: unknown, ctx: CirculationContext) =>
      activityTime(ctx.privacy, LOAN_ACTIVITY, l.patron_id, l.checked_out_at),
    dueAt: (l: LoanRow, _: unknown, ctx: CirculationContext) =>
      activityTime(ctx.privacy, LOAN_ACTIVITY, l.patron_id, l.due_at),
    returnedAt: (l: LoanRow, _: unknown, ctx: CirculationContext) =>
      activityTime(ctx.privacy, LOAN_ACTIVITY, l.patron_id, l.returned_at),
  },
  Hold: {
    placedAt: (h: HoldRow, _: unknown, ctx: CirculationContext) =>
      activityTime(ctx.privacy, HOLD_ACTIVITY, h.patron_id, h.placed_at),
  },
  Item: {
    dueAt: async (i: { id: string }, _: unknown, ctx: CirculationContext) => {
      const loan = await ctx.loaders.openLoanOfItem.load(i.id);
      return loan ? activityTime(ctx.privacy, LOAN_ACTIVITY, loan.patron_id, loan.due_at) : null;
    },
  },
};
