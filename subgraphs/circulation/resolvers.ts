import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { hashPin } from '../../src/privacy/authenticate/pin.js';
import { ERRORS } from '../../src/errors/codes.js';
import { parseInput } from '../../src/subgraph/parseInput.js';
import { isStaffWith, requireRole } from '../../src/privacy/context/roles.js';
import { actingForCard } from '../../src/privacy/context/onBehalf.js';
import type { DisclosureContext } from '../../src/privacy/context/disclosureContext.js';
import type { LoanResolvers, Resolvers } from './generated/resolvers.js';
import type { LoanRow } from './store.js';

const loanId = (id: string): number => {
  if (!/^\d{1,15}$/.test(id)) throw ERRORS.BAD_USER_INPUT.err(`"${id}" is not a loan id.`);
  return Number(id);
};
const holdId = (id: string): number => {
  if (!/^\d{1,15}$/.test(id)) throw ERRORS.BAD_USER_INPUT.err(`"${id}" is not a hold id.`);
  return Number(id);
};

const NewPatronInput = z.object({
  name: z.string().trim().min(1, 'name is required').max(200),
  email: z.string().trim().email('email is not an email address').nullish(),
  phone: z
    .string()
    .trim()
    .regex(/^[0-9 +().-]{7,20}$/, 'phone is not a phone number')
    .nullish(),
  address: z.string().trim().max(300).nullish(),
  birthDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'birthDate must be YYYY-MM-DD')
    .refine(
      (d) => !Number.isNaN(Date.parse(d)) && d <= new Date().toISOString().slice(0, 10),
      'birthDate must be a real date in the past',
    ),
  homeBranchId: z.string().min(1),
  pin: z.string().regex(/^\d{4,8}$/, 'pin must be 4 to 8 digits'),
});

const cardNumber = (): string =>
  `2901${BigInt('0x' + randomBytes(8).toString('hex'))
    .toString()
    .padStart(10, '0')
    .slice(-10)}`;

const loanFields = {
  id: (l) => String(l.id),
  item: (l) => ({ __typename: 'Item', id: l.item_id }),
  patron: (l, _, ctx) => (l.patron_id ? ctx.loaders.patron.load(l.patron_id) : null),
  branch: (l) => ({ __typename: 'Branch', id: l.branch_id }),
  checkedOutAt: (l) => l.checked_out_at,
  dueAt: (l) => l.due_at,
  returnedAt: (l) => l.returned_at,
  status: (l) => (l.returned_at ? 'RETURNED' : 'OPEN'),
} satisfies LoanResolvers;

const dayOf = (at: string): string => `${at.slice(0, 10)}T00:00:00.000Z`;

/**
 * A loan of the `loans` list as a records custodian sees it: times cut to the day, as analytics get
 * them, so they cannot be matched against the disclosure log's exact times; and no link to the
 * borrower unless the custodian invokes a legal order (then the guard discloses only its patrons).
 * Circulation staff (OPERATIONS) and everyone else get the row as stored.
 */
function asCustodianSees(caller: DisclosureContext, row: LoanRow): LoanRow {
  if (!caller.roles.includes('custodian') || isStaffWith(caller, 'circulation')) return row;
  const patron = caller.legalOrder ? row.patron_id : null;
  return {
    ...row,
    checked_out_at: dayOf(row.checked_out_at),
    due_at: dayOf(row.due_at),
    returned_at: row.returned_at === null ? null : dayOf(row.returned_at),
    patron_id: patron,
    patronId: patron,
  };
}

/** Circulation's resolvers; every read of a patron goes through a field the privacy guard wraps. */
export const circulationResolvers = {
  Query: {
    patron: (_, { id }, ctx) => ctx.loaders.patron.load(id),
    me: (_, __, ctx) =>
      ctx.privacy.caller.patronId ? ctx.loaders.patron.load(ctx.privacy.caller.patronId) : null,
    loans: async (_, args, ctx) => {
      requireRole(ctx.privacy.caller, ['staff', 'custodian', 'analytics'], ['circulation']);
      const first = args.first ?? 100;
      if (first < 1 || first > 1000)
        throw ERRORS.BAD_USER_INPUT.err('first must be between 1 and 1000.');
      const after = args.after ? loanId(args.after) : null;
      const rows = await ctx.store.listLoans({
        status: args.status ?? null,
        first: first + 1,
        after,
      });
      const nodes = rows.slice(0, first).map((row) => asCustodianSees(ctx.privacy.caller, row));
      return {
        nodes,
        pageInfo: {
          hasNextPage: rows.length > first,
          endCursor: nodes.length ? String(nodes[nodes.length - 1]!.id) : null,
        },
      };
    },
  },
  Mutation: {
    registerPatron: async (_, { input }, ctx) => {
      requireRole(ctx.privacy.caller, ['staff'], ['circulation']);
      const data = parseInput(NewPatronInput, input);
      return ctx.store.registerPatron({
        id: `pat_${randomBytes(6).toString('hex')}`,
        cardNumber: cardNumber(),
        name: data.name,
        email: data.email ?? null,
        phone: data.phone ?? null,
        address: data.address ?? null,
        birthDate: data.birthDate,
        homeBranchId: data.homeBranchId,
        pinHash: await hashPin(data.pin),
      });
    },
    checkout: async (_, args, ctx) =>
      ctx.store.checkout(
        args.itemId,
        await actingForCard(ctx.privacy.caller, args.cardNumber, 'circulation', ctx.cards),
      ),
    returnItem: (_, args, ctx) => {
      requireRole(ctx.privacy.caller, ['staff'], ['circulation']);
      return ctx.store.returnItem(args.itemId);
    },
    renewLoan: (_, args, ctx) => {
      const caller = ctx.privacy.caller;
      const staff = caller.roles.includes('staff') && caller.duties.includes('circulation');
      if (!staff) requireRole(caller, ['patron']);
      return ctx.store.renewLoan(loanId(args.loanId), staff ? null : caller.patronId);
    },
    placeHold: async (_, args, ctx) =>
      ctx.store.placeHold(
        args.workId,
        await actingForCard(ctx.privacy.caller, args.cardNumber, 'circulation', ctx.cards),
        args.pickupBranchId,
      ),
    cancelHold: (_, args, ctx) => {
      const caller = ctx.privacy.caller;
      const staff = caller.roles.includes('staff') && caller.duties.includes('circulation');
      if (!staff) requireRole(caller, ['patron']);
      return ctx.store.cancelHold(holdId(args.holdId), staff ? null : caller.patronId);
    },
    // Reading history is the patron's own choice: no staff, guardian or custodian sets it for them.
    setReadingHistory: (_, args, ctx) => {
      const caller = ctx.privacy.caller;
      requireRole(caller, ['patron']);
      if (!caller.patronId) throw ERRORS.FORBIDDEN.err('Your role may not perform this operation.');
      return ctx.store.setReadingHistory(caller.patronId, args.enabled);
    },
    // The registers of the statute's exceptions (b), (c), (d): the records custodian writes them.
    recordConsent: (_, { input }, ctx) => {
      requireRole(ctx.privacy.caller, ['custodian']);
      return ctx.registers.recordConsent(input);
    },
    revokeConsent: (_, { consentId }, ctx) => {
      requireRole(ctx.privacy.caller, ['custodian']);
      return ctx.registers.revokeConsent(consentId);
    },
    registerLegalOrder: (_, { input }, ctx) => {
      requireRole(ctx.privacy.caller, ['custodian']);
      return ctx.registers.registerLegalOrder(input, ctx.privacy.caller);
    },
    // The second person of the two-person rule: a different custodian (registers.ts).
    approveLegalOrder: (_, { orderId }, ctx) => {
      requireRole(ctx.privacy.caller, ['custodian']);
      return ctx.registers.approveLegalOrder(orderId, ctx.privacy.caller);
    },
    linkGuardian: (_, { input }, ctx) => {
      requireRole(ctx.privacy.caller, ['custodian']);
      return ctx.registers.linkGuardian(input);
    },
    /**
     * Anyone may try a card and PIN (anonymous callers above all); cardLogin refuses uniformly, and
     * throttles by the client key the gateway signed into the context.
     */
    authenticateWithCard: (_, args, ctx) =>
      ctx.cardLogin.authenticate(args.cardNumber, args.pin, ctx.privacy.caller.clientKey ?? null),
  },
  Patron: {
    __resolveReference: async (ref, ctx) =>
      (await ctx.loaders.patron.load(ref.id)) ?? { id: ref.id },
    name: (p) => p.name ?? null,
    cardNumber: (p) => p.card_number ?? null,
    email: (p) => p.email ?? null,
    phone: (p) => p.phone ?? null,
    address: (p) => p.address ?? null,
    birthDate: (p) => p.birth_date ?? null,
    homeBranch: (p) => (p.home_branch_id ? { __typename: 'Branch', id: p.home_branch_id } : null),
    pinSet: (p) => (p.card_number === undefined ? null : p.pin_hash != null),
    loans: (p, _, ctx) => ctx.loaders.loansOfPatron.load(p.id),
    holds: (p, _, ctx) => ctx.loaders.holdsOfPatron.load(p.id),
    fines: (p, _, ctx) => ctx.loaders.finesOfPatron.load(p.id),
    readingHistory: (p, _, ctx) => ctx.loaders.historyOfPatron.load(p.id),
  },
  Loan: {
    __resolveReference: (ref, ctx) => ctx.loaders.loan.load(loanId(ref.id)),
    ...loanFields,
  },
  Hold: {
    __resolveReference: async (ref, ctx) => {
      return ctx.store.holdById(holdId(ref.id));
    },
    id: (h) => String(h.id),
    work: (h) => ({ __typename: 'Work', id: h.work_id }),
    patron: (h, _, ctx) => (h.patron_id ? ctx.loaders.patron.load(h.patron_id) : null),
    pickupBranch: (h) => ({ __typename: 'Branch', id: h.pickup_branch_id }),
    placedAt: (h) => h.placed_at,
    item: (h) => (h.item_id ? { __typename: 'Item', id: h.item_id } : null),
  },
  Fine: {
    id: (f) => String(f.id),
    amountCents: (f) => f.amount_cents,
    createdAt: (f) => f.created_at,
    paidAt: (f) => f.paid_at,
    loan: (f, _, ctx) => (f.loan_id ? ctx.loaders.loan.load(f.loan_id) : null),
  },
  Item: {
    __resolveReference: (ref) => ({ id: ref.id }),
    availability: async (i, _, ctx) => {
      if (await ctx.loaders.openLoanOfItem.load(i.id)) return 'ON_LOAN';
      return (await ctx.loaders.readyHoldOfItem.load(i.id)) ? 'ON_HOLD_SHELF' : 'AVAILABLE';
    },
    dueAt: async (i, _, ctx) => (await ctx.loaders.openLoanOfItem.load(i.id))?.due_at ?? null,
  },
  Work: {
    __resolveReference: (ref) => ({ id: ref.id }),
    holdCount: (w, _, ctx) => ctx.loaders.waitingHoldsOfWork.load(w.id),
  },
} satisfies Resolvers;
