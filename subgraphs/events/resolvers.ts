import DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '../../src/subgraph/service.js';
import { ERRORS } from '../../src/errors/codes.js';
import { isStaffWith, requireRole } from '../../src/privacy/context/roles.js';
import { actingForCard, type CardDirectory } from '../../src/privacy/context/onBehalf.js';
import type { EnforcedContext } from '../../src/privacy/redact/enforce.js';
import type { EventRow, EventsStore, RegistrationRow } from './store.js';

/** Events' per-request loaders. */
export interface EventsLoaders {
  event: DataLoader<string, EventRow | null>;
  registrationsOfEvent: DataLoader<string, RegistrationRow[]>;
  registrationsOfPatron: DataLoader<string, RegistrationRow[]>;
  registrationCount: DataLoader<string, number>;
}

/** Builds fresh loaders for one request. */
export function createEventsLoaders(store: EventsStore): EventsLoaders {
  return {
    event: new DataLoader((ids) => store.eventsByIds(ids)),
    registrationsOfEvent: new DataLoader((ids) => store.registrationsOfEvents(ids)),
    registrationsOfPatron: new DataLoader((ids) => store.registrationsOfPatrons(ids)),
    registrationCount: new DataLoader((ids) => store.registrationCounts(ids)),
  };
}

/** Events' request context. */
export interface EventsContext extends EnforcedContext {
  store: EventsStore;
  loaders: EventsLoaders;
  /** Resolves the card a patron presents for on-behalf registration, through circulation. */
  cards: CardDirectory;
}

const registrationId = (id: string): number => {
  if (!/^\d{1,15}$/.test(id)) throw ERRORS.BAD_USER_INPUT.err(`"${id}" is not a registration id.`);
  return Number(id);
};

/** Events' resolvers; `Registration.attendee` and `Patron.registrations` are guarded by the policy. */
export const eventsResolvers = {
  Query: {
    events: (_: unknown, args: { from?: string | null; branchId?: string | null; first?: number }, ctx: EventsContext) => {
      const first = args.first ?? 50;
      if (first < 1 || first > 500) throw ERRORS.BAD_USER_INPUT.err('first must be between 1 and 500.');
      const from = args.from ?? new Date().toISOString();
      if (Number.isNaN(Date.parse(from))) throw ERRORS.BAD_USER_INPUT.err('from must be an ISO 8601 date-time.');
      return ctx.store.upcoming({ from: new Date(from).toISOString(), branchId: args.branchId ?? null, first });
    },
    event: (_: unknown, { id }: { id: string }, ctx: EventsContext) => ctx.loaders.event.load(id),
  },
  Mutation: {
    // Staff register the holder of the card presented; circulation resolves it (onBehalf.ts).
    registerForEvent: async (_: unknown, args: { eventId: string; cardNumber?: string | null }, ctx: EventsContext) =>
      ctx.store.register(args.eventId, await actingForCard(ctx.privacy.caller, args.cardNumber, 'events', ctx.cards)),
    cancelRegistration: (_: unknown, args: { registrationId: string }, ctx: EventsContext) => {
      const caller = ctx.privacy.caller;
      const staff = isStaffWith(caller, 'events');
      if (!staff) requireRole(caller, ['patron']);
      return ctx.store.cancel(registrationId(args.registrationId), staff ? null : caller.patronId);
    },
  },
  Event: {
    __resolveReference: (ref: { id: string }, ctx: EventsContext) => ctx.loaders.event.load(ref.id),
    branch: (e: EventRow) => ({ __typename: 'Branch', id: e.branch_id }),
    startsAt: (e: EventRow) => e.starts_at,
    endsAt: (e: EventRow) => e.ends_at,
    registrationCount: (e: EventRow, _: unknown, ctx: EventsContext) => ctx.loaders.registrationCount.load(e.id),
    registrations: (e: EventRow, _: unknown, ctx: EventsContext) => ctx.loaders.registrationsOfEvent.load(e.id),
  },
  Registration: {
    __resolveReference: (ref: { id: string }, ctx: EventsContext) => ctx.store.registrationById(registrationId(ref.id)),
    id: (r: RegistrationRow) => String(r.id),
    event: (r: RegistrationRow, _: unknown, ctx: EventsContext) => ctx.loaders.event.load(r.event_id),
    attendee: (r: RegistrationRow) => (r.patron_id ? { __typename: 'Patron', id: r.patron_id } : null),
    registeredAt: (r: RegistrationRow) => r.registered_at,
    attended: (r: RegistrationRow) => r.attended === 1,
  },
  Patron: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    registrations: (p: { id: string }, _: unknown, ctx: EventsContext) => ctx.loaders.registrationsOfPatron.load(p.id),
  },
} as unknown as GraphQLResolverMap;
