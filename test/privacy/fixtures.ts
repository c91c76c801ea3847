/**
 * Shared fixtures for the policy-core tests: the seeded personas as disclosure contexts, the
 * schema's field rules as the policy sees them, and builders for subject facts.
 */
import { clockAt, type Clock } from '../../src/privacy/decide/decide.js';
import type { ConsentFact, LegalOrderFact, SubjectFacts } from '../../src/privacy/decide/facts.js';
import type { FieldRule } from '../../src/privacy/decide/rule.js';
import {
  anonymousContext,
  type DisclosureContext,
} from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId, type PatronId } from '../../src/privacy/context/ids.js';

/** The instant every table row is decided at unless it says otherwise. */
export const NOW = '2026-03-15T12:00:00.000Z';
export const CLOCK: Clock = clockAt(new Date(NOW));
/** A clock on an arbitrary day (noon UTC). */
export const clockOn = (day: string): Clock => clockAt(new Date(`${day}T12:00:00.000Z`));

export const AVERY = patronId('pat_4c2e9a71d05b'); // the `patron` persona
export const MILO = patronId('pat_9b73f0e6a218'); // the `minor` persona
export const INGRID = patronId('pat_1e8d5c3b7f90'); // the `guardian` persona
export const STRANGER = patronId('pat_000000000042'); // some other patron

export const PARTNER = principalId('partner:front-range-literacy');
export const OTHER_PARTNER = principalId('partner:someone-else');
export const ORDER = 'JEFFCO-2026-CV-0142';
export const OTHER_ORDER = 'JEFFCO-2025-CV-0001';

/** A disclosure context; every field not given is the anonymous one. */
export const ctx = (over: Partial<DisclosureContext> = {}): DisclosureContext => ({
  ...anonymousContext('req-test'),
  ...over,
});

/** The personas of CONTRACT.md's caller table. */
export const P = {
  anonymous: ctx(),
  patron: ctx({ principal: principalId('patron:avery'), roles: ['patron'], patronId: AVERY }),
  minor: ctx({ principal: principalId('patron:milo'), roles: ['patron'], patronId: MILO }),
  guardian: ctx({ principal: principalId('patron:ingrid'), roles: ['patron'], patronId: INGRID }),
  circulationStaff: ctx({
    principal: principalId('staff:desk-lakewood'),
    roles: ['staff'],
    duties: ['circulation'],
  }),
  eventsStaff: ctx({
    principal: principalId('staff:programs-lakewood'),
    roles: ['staff'],
    duties: ['events'],
  }),
  partner: ctx({ principal: PARTNER, roles: ['partner'] }),
  custodian: ctx({
    principal: principalId('custodian:records-office'),
    roles: ['custodian'],
    legalOrder: ORDER,
  }),
  custodianNoHeader: ctx({
    principal: principalId('custodian:records-office'),
    roles: ['custodian'],
  }),
  analytics: ctx({ principal: principalId('analytics:planning'), roles: ['analytics'] }),
} as const;

const ALL = ['SELF', 'OPERATIONS', 'CONSENT', 'LEGAL_PROCESS', 'GUARDIAN'] as const;

/** A field rule; defaults to Patron.name's. */
export const rule = (over: Partial<FieldRule> = {}): FieldRule => ({
  coordinate: 'Patron.name',
  subject: { source: 'OBJECT', field: 'id' },
  category: 'IDENTITY',
  deidentify: null,
  exceptions: ALL,
  duties: ['circulation', 'events'],
  ...over,
});

/** The rules of subgraphs/*\/schema.graphql, as collectRules would read them. */
export const R = {
  patronName: rule(),
  patronCardNumber: rule({
    coordinate: 'Patron.cardNumber',
    exceptions: ['SELF', 'OPERATIONS', 'LEGAL_PROCESS', 'GUARDIAN'],
    duties: ['circulation'],
  }),
  patronEmail: rule({ coordinate: 'Patron.email', category: 'CONTACT', duties: ['circulation'] }),
  patronBirthDate: rule({
    coordinate: 'Patron.birthDate',
    deidentify: 'AGE_BAND',
    exceptions: ['SELF', 'OPERATIONS', 'LEGAL_PROCESS', 'GUARDIAN'],
    duties: ['circulation'],
  }),
  patronPinSet: rule({
    coordinate: 'Patron.pinSet',
    exceptions: ['SELF', 'OPERATIONS'],
    duties: ['circulation'],
  }),
  patronLoans: rule({
    coordinate: 'Patron.loans',
    category: 'CIRCULATION',
    duties: ['circulation'],
  }),
  readingHistory: rule({
    coordinate: 'Patron.readingHistory',
    category: 'READING_HISTORY',
    exceptions: ['SELF', 'LEGAL_PROCESS'],
    duties: [],
  }),
  loanPatron: rule({
    coordinate: 'Loan.patron',
    subject: { source: 'PARENT_FIELD', field: 'patronId' },
    category: 'CIRCULATION',
    duties: ['circulation'],
  }),
  registrationAttendee: rule({
    coordinate: 'Registration.attendee',
    subject: { source: 'PARENT_FIELD', field: 'patronId' },
    category: 'EVENTS',
    duties: ['events'],
  }),
  me: rule({
    coordinate: 'Query.me',
    subject: { source: 'CALLER' },
    exceptions: ['SELF'],
    duties: [],
  }),
  registerPatron: rule({
    coordinate: 'Mutation.registerPatron',
    exceptions: ['OPERATIONS'],
    duties: ['circulation'],
  }),
  /** Not in the schema today: a pseudonymous loan borrower for analytics. */
  loanPatronPseudonym: rule({
    coordinate: 'Loan.patron',
    subject: { source: 'PARENT_FIELD', field: 'patronId' },
    category: 'CIRCULATION',
    deidentify: 'PSEUDONYM',
    duties: ['circulation'],
  }),
} as const;

/** Facts about a subject that exists, with nothing registered; override what a row needs. */
export const facts = (over: Partial<SubjectFacts> = {}): SubjectFacts => ({
  patronId: AVERY,
  exists: true,
  birthDate: '1991-06-02',
  callerIsGuardian: false,
  consents: [],
  legalOrders: [],
  ...over,
});

/** Avery's written consent to the partner: identity and contact data, for 2026. */
export const consent = (over: Partial<ConsentFact> = {}): ConsentFact => ({
  grantee: PARTNER,
  scope: ['IDENTITY', 'CONTACT'],
  documentRef: 'CONSENT-2026-017',
  validFrom: '2026-01-01T00:00:00.000Z',
  validUntil: '2027-01-01T00:00:00.000Z',
  revokedAt: null,
  ...over,
});

/** The seeded court order naming Avery: identity, contact and circulation, Feb to Aug 2026. */
export const order = (over: Partial<LegalOrderFact> = {}): LegalOrderFact => ({
  reference: ORDER,
  scope: ['IDENTITY', 'CONTACT', 'CIRCULATION'],
  validFrom: '2026-02-01T00:00:00.000Z',
  validUntil: '2026-08-01T00:00:00.000Z',
  ...over,
});

/** One millisecond after NOW, as an ISO instant. */
export const JUST_AFTER_NOW = '2026-03-15T12:00:00.001Z';
export const JUST_BEFORE_NOW = '2026-03-15T11:59:59.999Z';

export type { PatronId };
