/**
 * What the public response cache may keep, and for how long: an allowlist of the catalog's and
 * the events' public types and root fields with their maxAge in seconds, in the manner of
 * `@cacheControl` hints. A type or root field that is not listed is never cached. The table is
 * checked against the supergraph's privacy directives at start (`checkHints`): it cannot make a
 * confidential field cacheable.
 *
 * A field's maxAge is its own entry in `fields`, else (for an object-valued field) its type's
 * entry in `types`, else (for a scalar or enum) its parent type's. A response lives as long as its
 * shortest-lived field.
 */
export interface CacheHints {
  /** Public object types, with the maxAge of their fields. */
  types: Readonly<Record<string, number>>;
  /** Fields whose maxAge differs from their type's, and the root fields that may be cached at all. */
  fields: Readonly<Record<string, number>>;
}

/**
 * The shortest maxAge: values that change with circulation and registrations. Replicas of the
 * gateway do not share their caches, so a write through one replica is visible through another
 * within this many seconds at most.
 */
export const VOLATILE_MAX_AGE = 5;

/** The library's hints: branches change rarely, the catalog now and then, availability all day. */
export const CACHE_HINTS: CacheHints = {
  types: {
    Branch: 3600,
    Work: 300,
    WorkConnection: 300,
    PageInfo: 300,
    Item: 300,
    Event: 60,
  },
  fields: {
    'Query.branches': 3600,
    'Query.works': 300,
    'Query.work': 300,
    'Query.item': 300,
    'Query.events': 60,
    'Query.event': 60,
    'Item.availability': VOLATILE_MAX_AGE,
    'Work.holdCount': VOLATILE_MAX_AGE,
    'Event.registrationCount': VOLATILE_MAX_AGE,
  },
};

/**
 * Timestamps that follow from a patron's activity: exact only for a caller with an exception for
 * that patron, to the day for everyone else (src/privacy/enforce/activityTime.ts). They are not
 * cached, whatever a table says, so no time of day can ever be kept for another caller.
 */
export const ACTIVITY_TIME_FIELDS: ReadonlySet<string> = new Set([
  'Item.dueAt',
  'Loan.checkedOutAt',
  'Loan.dueAt',
  'Loan.returnedAt',
  'Hold.placedAt',
  'Registration.registeredAt',
]);

/**
 * The public values each mutation can change; when one has run, cached responses that selected
 * any of them are dropped. A mutation not listed here drops the whole cache (a new mutation is
 * assumed to change anything until it is listed); an empty list changes nothing public.
 */
export const PUBLIC_WRITES: Readonly<Record<string, readonly string[]>> = {
  // A checkout can fill the borrower's own hold; a return can put the item on the hold shelf.
  checkout: ['Item.availability', 'Work.holdCount'],
  returnItem: ['Item.availability', 'Work.holdCount'],
  renewLoan: ['Item.availability', 'Work.holdCount'],
  placeHold: ['Item.availability', 'Work.holdCount'],
  // Cancelling a ready hold takes its item off the hold shelf.
  cancelHold: ['Item.availability', 'Work.holdCount'],
  registerForEvent: ['Event.registrationCount'],
  cancelRegistration: ['Event.registrationCount'],
  registerPatron: [],
  setReadingHistory: [],
  recordConsent: [],
  revokeConsent: [],
  registerLegalOrder: [],
  approveLegalOrder: [],
  linkGuardian: [],
  authenticateWithCard: [],
};
