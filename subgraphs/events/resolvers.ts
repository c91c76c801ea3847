import type { Resolvers } from './generated/resolvers.js';
import { ERRORS } from '../../src/errors/codes.js';
import { isStaffWith, requireRole } from '../../src/privacy/context/roles.js';
import { actingForCard } from '../../src/privacy/context/onBehalf.js';

const registrationId = (id: string): number => {
  if (!/^\d{1,15}$/.test(id)) throw ERRORS.BAD_USER_INPUT.err(`"${id}" is not a registration id.`);
  return Number(id);
};

/** Events' resolvers; `Registration.attendee` and `Patron.registrations` are guarded by the policy. */
export const eventsResolvers = {
  Query: {
    events: (_, args, ctx) => {
      const first = args.first ?? 50;
      if (first < 1 || first > 500)
        throw ERRORS.BAD_USER_INPUT.err('first must be between 1 and 500.');
      const from = args.from ?? new Date().toISOString();
      if (Number.isNaN(Date.parse(from)))
        throw ERRORS.BAD_USER_INPUT.err('from must be an ISO 8601 date-time.');
      return ctx.store.upcoming({
        from: new Date(from).toISOString(),
        branchId: args.branchId ?? null,
        first,
      });
    },
    event: (_, { id }, ctx) => ctx.loaders.event.load(id),
  },
  Mutation: {
    // Staff register the holder of the card presented; circulation resolves it (onBehalf.ts).
    registerForEvent: async (_, args, ctx) =>
      ctx.store.register(
        args.eventId,
        await actingForCard(ctx.privacy.caller, args.cardNumber, 'events', ctx.cards),
      ),
    cancelRegistration: (_, args, ctx) => {
      const caller = ctx.privacy.caller;
      const staff = isStaffWith(caller, 'events');
      if (!staff) requireRole(caller, ['patron']);
      return ctx.store.cancel(registrationId(args.registrationId), staff ? null : caller.patronId);
    },
  },
  Event: {
    __resolveReference: (ref, ctx) => ctx.loaders.event.load(ref.id),
    branch: (e) => ({ __typename: 'Branch', id: e.branch_id }),
    startsAt: (e) => e.starts_at,
    endsAt: (e) => e.ends_at,
    registrationCount: (e, _, ctx) => ctx.loaders.registrationCount.load(e.id),
    registrations: (e, _, ctx) => ctx.loaders.registrationsOfEvent.load(e.id),
  },
  Registration: {
    __resolveReference: (ref, ctx) => ctx.store.registrationById(registrationId(ref.id)),
    id: (r) => String(r.id),
    event: async (r, _, ctx) => {
      const event = await ctx.loaders.event.load(r.event_id);
      // `Event!`: the foreign key keeps it, so a missing one is a broken database (masked), not a client's error.
      if (!event) throw new Error(`registration ${r.id} names no event`);
      return event;
    },
    attendee: (r) => (r.patron_id ? { __typename: 'Patron', id: r.patron_id } : null),
    registeredAt: (r) => r.registered_at,
    attended: (r) => r.attended === 1,
  },
  Patron: {
    __resolveReference: (ref) => ({ id: ref.id }),
    registrations: (p, _, ctx) => ctx.loaders.registrationsOfPatron.load(p.id),
  },
} satisfies Resolvers;
