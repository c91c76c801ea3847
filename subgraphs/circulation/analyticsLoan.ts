import { patronId } from '../../src/privacy/context/ids.js';
import type { DisclosureContext } from '../../src/privacy/context/disclosureContext.js';
import { pseudonym } from '../../src/privacy/redact/deidentify.js';
import type { CirculationContext } from './resolvers.js';
import type { LoanRow } from './store.js';

/** For analytics, an activity time cut to its day (midnight UTC); for anyone else, as stored. */
export function activityTimeFor(caller: DisclosureContext, at: string | null): string | null {
  return at !== null && caller.roles.includes('analytics') ? `${at.slice(0, 10)}T00:00:00.000Z` : at;
}

/**
 * What analytics read of a loan. `borrowerKey`, `checkedOutDay` and `returnedDay` are
 * @confidential with `deidentify` and no exception: only analytics receive them, de-identified by
 * the guard; the resolvers already return the de-identified form, so nothing more leaves even
 * where enforcement is off (benchmarks). The raw `checkedOutAt`, `dueAt` and `returnedAt` are not
 * patron-linked, but their time of day would help tie a pseudonymous loan to a person seen at
 * the desk: analytics get them cut to the day, and so the due time of an item on loan (public,
 * but with it the time of checkout follows from the loan period). These resolvers are merged over
 * the ones in resolvers.ts (service.ts), so they replace its `Loan` timestamps and `Item.dueAt`.
 */
export const analyticsLoanResolvers = {
  Loan: {
    borrowerKey: (l: LoanRow, _: unknown, ctx: CirculationContext) =>
      l.patron_id ? pseudonym(patronId(l.patron_id), ctx.privacy.pseudonym.key, ctx.privacy.pseudonym.period) : null,
    checkedOutDay: (l: LoanRow) => l.checked_out_at.slice(0, 10),
    returnedDay: (l: LoanRow) => l.returned_at?.slice(0, 10) ?? null,
    checkedOutAt: (l: LoanRow, _: unknown, ctx: CirculationContext) => activityTimeFor(ctx.privacy.caller, l.checked_out_at),
    dueAt: (l: LoanRow, _: unknown, ctx: CirculationContext) => activityTimeFor(ctx.privacy.caller, l.due_at),
    returnedAt: (l: LoanRow, _: unknown, ctx: CirculationContext) => activityTimeFor(ctx.privacy.caller, l.returned_at),
  },
  Item: {
    dueAt: async (i: { id: string }, _: unknown, ctx: CirculationContext) =>
      activityTimeFor(ctx.privacy.caller, (await ctx.loaders.openLoanOfItem.load(i.id))?.due_at ?? null),
  },
};
