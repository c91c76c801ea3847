/**
 * The policy core as a behaviour table: persona x field rule x facts -> decision.
 * src/privacy/decide/decide.ts is pure, so every row is one call with no setup.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  candidateExceptions,
  clockAt,
  decide,
  isMinorOn,
  needsFacts,
  type Clock,
} from '../../../src/privacy/decide/decide.js';
import {
  disclose,
  isDisclose,
  redact,
  type Decision,
} from '../../../src/privacy/decide/decision.js';
import type {
  ConsentFact,
  LegalOrderFact,
  SubjectFacts,
} from '../../../src/privacy/decide/facts.js';
import type { FieldRule, SubjectLocator } from '../../../src/privacy/decide/rule.js';
import {
  DEIDENTIFICATIONS,
  DUTIES,
  PATRON_DATA_CATEGORIES,
  RULE_DUTIES,
  STATUTORY_EXCEPTIONS,
  type RuleDuty,
  type StatutoryException,
} from '../../../src/privacy/vocabulary.js';
import { ROLES, type DisclosureContext } from '../../../src/privacy/context/disclosureContext.js';
import { patronId, principalId, type PatronId } from '../../../src/privacy/context/ids.js';
import {
  AVERY,
  CLOCK,
  INGRID,
  JUST_AFTER_NOW,
  JUST_BEFORE_NOW,
  MILO,
  NOW,
  ORDER,
  OTHER_ORDER,
  OTHER_PARTNER,
  PARTNER,
  P,
  R,
  STRANGER,
  clockOn,
  consent,
  ctx,
  facts,
  order,
  rule,
} from '../fixtures.js';

interface Row {
  name: string;
  caller: DisclosureContext;
  rule: FieldRule;
  subject: PatronId | null;
  facts: SubjectFacts | undefined;
  expected: Decision;
  clock?: Clock;
}

const NO_EXCEPTION = redact('no-exception-for-caller');
// A missing fact (an unknown patron, an unknown birth date) is redacted for the same reason as no
// exception: the metrics must not tell an unknown id from one the caller may not see.
const MISSING_FACT = NO_EXCEPTION;
const NO_SUBJECT = redact('no-subject');

const runTable = (rows: Row[]): void => {
  it.each(rows)('$name', ({ caller, rule: r, subject, facts: f, expected, clock }) => {
    expect(decide({ rule: r, caller, subject, facts: f, clock: clock ?? CLOCK })).toEqual(expected);
  });
};

describe("SELF: the patron's own record", () => {
  runTable([
    {
      name: 'patron reads own Patron.name -> disclose SELF (no facts needed)',
      caller: P.patron,
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: disclose('SELF'),
    },
    {
      name: 'patron reads own Patron.readingHistory -> disclose SELF',
      caller: P.patron,
      rule: R.readingHistory,
      subject: AVERY,
      facts: undefined,
      expected: disclose('SELF'),
    },
    {
      name: 'patron reads own Query.me (subject CALLER) -> disclose SELF',
      caller: P.patron,
      rule: R.me,
      subject: AVERY,
      facts: undefined,
      expected: disclose('SELF'),
    },
    {
      name: 'minor reads own Patron.birthDate -> disclose SELF',
      caller: P.minor,
      rule: R.patronBirthDate,
      subject: MILO,
      facts: undefined,
      expected: disclose('SELF'),
    },
    {
      name: "patron reads another patron's Patron.name (not their guardian) -> redact",
      caller: P.patron,
      rule: R.patronName,
      subject: STRANGER,
      facts: facts({ patronId: STRANGER }),
      expected: NO_EXCEPTION,
    },
    {
      name: "patron reads another patron's Patron.name, facts not loaded -> redact missing-fact (GUARDIAN could not be checked)",
      caller: P.patron,
      rule: R.patronName,
      subject: STRANGER,
      facts: undefined,
      expected: MISSING_FACT,
    },
    {
      name: "patron reads another patron's Patron.readingHistory (SELF only for patrons) -> redact",
      caller: P.patron,
      rule: R.readingHistory,
      subject: STRANGER,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: "patron reads another patron's Loan.patron -> redact",
      caller: P.patron,
      rule: R.loanPatron,
      subject: STRANGER,
      facts: facts({ patronId: STRANGER }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'anonymous reads Patron.name -> redact',
      caller: P.anonymous,
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'anonymous reads Patron.name even with every fact favourable -> redact',
      caller: P.anonymous,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({
        consents: [consent()],
        legalOrders: [order()],
        callerIsGuardian: true,
        birthDate: '2014-01-01',
      }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'anonymous Query.me (no patronId, subject null) -> redact',
      caller: P.anonymous,
      rule: R.me,
      subject: null,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'patron with a CALLER-sourced field and a null subject -> redact no-subject',
      caller: P.patron,
      rule: R.me,
      subject: null,
      facts: undefined,
      expected: NO_SUBJECT,
    },
    {
      name: 'patron on an anonymized record (subject null) -> redact no-subject',
      caller: P.patron,
      rule: R.loanPatron,
      subject: null,
      facts: undefined,
      expected: NO_SUBJECT,
    },
    {
      name: 'circulation staff on a CALLER-sourced OPERATIONS field with no own record -> redact no-subject',
      caller: P.circulationStaff,
      rule: rule({
        subject: { source: 'CALLER' },
        exceptions: ['OPERATIONS'],
        duties: ['circulation'],
      }),
      subject: null,
      facts: undefined,
      expected: NO_SUBJECT,
    },
    {
      name: 'a field with no @disclosableUnder (SELF only) read by circulation staff -> redact',
      caller: P.circulationStaff,
      rule: rule({ exceptions: ['SELF'], duties: [] }),
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    // A token's roles are the only statement of who the caller is; a bare patronId claim with no
    // role (not the `patron` role) must not unlock SELF, as GUARDIAN already requires `patron`.
    {
      name: "a caller with NO roles but a patronId claim reads that patron's Patron.name -> redact",
      caller: ctx({ principal: principalId('someone'), patronId: AVERY }),
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
  ]);
});

describe("OPERATIONS: staff with the field's duty (statute (a))", () => {
  runTable([
    {
      name: 'circulation staff read Patron.email (duties [circulation]) -> disclose OPERATIONS',
      caller: P.circulationStaff,
      rule: R.patronEmail,
      subject: AVERY,
      facts: undefined,
      expected: disclose('OPERATIONS'),
    },
    {
      name: 'circulation staff read Loan.patron -> disclose OPERATIONS',
      caller: P.circulationStaff,
      rule: R.loanPatron,
      subject: AVERY,
      facts: undefined,
      expected: disclose('OPERATIONS'),
    },
    {
      name: 'events staff read Registration.attendee (duties [events]) -> disclose OPERATIONS',
      caller: P.eventsStaff,
      rule: R.registrationAttendee,
      subject: AVERY,
      facts: undefined,
      expected: disclose('OPERATIONS'),
    },
    {
      name: 'events staff read Patron.name (duties [circulation, events]) -> disclose OPERATIONS',
      caller: P.eventsStaff,
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: disclose('OPERATIONS'),
    },
    {
      name: 'events staff read Patron.email (wrong duty) -> redact',
      caller: P.eventsStaff,
      rule: R.patronEmail,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'events staff read Loan.patron (wrong duty) -> redact',
      caller: P.eventsStaff,
      rule: R.loanPatron,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'circulation staff read Registration.attendee (wrong duty) -> redact',
      caller: P.circulationStaff,
      rule: R.registrationAttendee,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'staff with no duties read Patron.email -> redact',
      caller: ctx({ principal: principalId('staff:new'), roles: ['staff'] }),
      rule: R.patronEmail,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'staff with both duties read an events-only field -> disclose OPERATIONS',
      caller: ctx({
        principal: principalId('staff:both'),
        roles: ['staff'],
        duties: ['circulation', 'events'],
      }),
      rule: R.registrationAttendee,
      subject: AVERY,
      facts: undefined,
      expected: disclose('OPERATIONS'),
    },
    {
      name: 'a patron with a circulation duties claim reads Patron.pinSet of another -> redact',
      caller: ctx({
        principal: principalId('patron:x'),
        roles: ['patron'],
        duties: ['circulation'],
        patronId: STRANGER,
      }),
      rule: R.patronPinSet,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'a partner with a circulation duties claim reads Patron.pinSet -> redact',
      caller: ctx({ principal: PARTNER, roles: ['partner'], duties: ['circulation'] }),
      rule: R.patronPinSet,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'a custodian with a circulation duties claim reads Patron.pinSet -> redact',
      caller: ctx({
        principal: principalId('custodian:x'),
        roles: ['custodian'],
        duties: ['circulation'],
        legalOrder: ORDER,
      }),
      rule: R.patronPinSet,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'a caller with no roles and a duties claim reads Patron.email -> redact',
      caller: ctx({ principal: principalId('x'), duties: ['circulation', 'events'] }),
      rule: R.patronEmail,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'OPERATIONS-only Mutation.registerPatron: circulation staff -> disclose OPERATIONS',
      caller: P.circulationStaff,
      rule: R.registerPatron,
      subject: AVERY,
      facts: undefined,
      expected: disclose('OPERATIONS'),
    },
    {
      name: 'OPERATIONS-only Mutation.registerPatron: events staff -> redact',
      caller: P.eventsStaff,
      rule: R.registerPatron,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'OPERATIONS-only Mutation.registerPatron: the patron themself -> redact (SELF not listed)',
      caller: P.patron,
      rule: R.registerPatron,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'OPERATIONS-only rule: partner with a valid consent -> redact',
      caller: P.partner,
      rule: rule({ exceptions: ['OPERATIONS'], duties: ['events'] }),
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'OPERATIONS listed but no duties in the rule: circulation staff -> redact',
      caller: P.circulationStaff,
      rule: rule({ exceptions: ['OPERATIONS'], duties: [] }),
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'circulation staff on a subjectless record -> redact no-subject',
      caller: P.circulationStaff,
      rule: R.loanPatron,
      subject: null,
      facts: undefined,
      expected: NO_SUBJECT,
    },
  ]);
});

describe('CONSENT: written consent naming the grantee (statute (b))', () => {
  runTable([
    {
      name: 'partner, valid consent covering IDENTITY -> disclose CONSENT citing the document',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: disclose('CONSENT', 'CONSENT-2026-017'),
    },
    {
      name: 'partner, valid consent covering CONTACT, reads Patron.email -> disclose CONSENT',
      caller: P.partner,
      rule: R.patronEmail,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: disclose('CONSENT', 'CONSENT-2026-017'),
    },
    {
      name: 'partner, consent starting exactly now (validFrom == now) -> disclose',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ validFrom: NOW })] }),
      expected: disclose('CONSENT', 'CONSENT-2026-017'),
    },
    {
      name: 'partner, consent ending 1 ms from now -> disclose',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ validUntil: JUST_AFTER_NOW })] }),
      expected: disclose('CONSENT', 'CONSENT-2026-017'),
    },
    {
      name: 'partner, consent expired exactly now (validUntil == now) -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ validUntil: NOW })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent expired 1 ms ago -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ validUntil: JUST_BEFORE_NOW })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent expired last year -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({
        consents: [
          consent({
            validFrom: '2025-01-01T00:00:00.000Z',
            validUntil: '2025-12-31T00:00:00.000Z',
          }),
        ],
      }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent not yet valid (validFrom 1 ms after now) -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ validFrom: JUST_AFTER_NOW })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent revoked -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ revokedAt: '2026-03-01T09:00:00.000Z' })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent revoked with a future date -> redact (any revocation counts)',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ revokedAt: '2026-12-01T00:00:00.000Z' })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent scope [CONTACT] but field is IDENTITY -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ scope: ['CONTACT'] })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent scope [IDENTITY, CONTACT] but field is Patron.loans (CIRCULATION) -> redact',
      caller: P.partner,
      rule: R.patronLoans,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent with empty scope -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ scope: [] })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, consent naming another grantee -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent({ grantee: OTHER_PARTNER })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, first consent revoked, second valid -> disclose citing the valid one',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({
        consents: [
          consent({ documentRef: 'OLD', revokedAt: '2026-02-01T00:00:00.000Z' }),
          consent({ documentRef: 'NEW' }),
        ],
      }),
      expected: disclose('CONSENT', 'NEW'),
    },
    {
      name: 'partner, facts missing (undefined) -> redact missing-fact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: MISSING_FACT,
    },
    {
      name: 'partner, subject does not exist (exists false, a stray valid consent) -> redact missing-fact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ exists: false, consents: [consent()] }),
      expected: MISSING_FACT,
    },
    {
      name: 'partner, no consents at all -> redact',
      caller: P.partner,
      rule: R.patronName,
      subject: AVERY,
      facts: facts(),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, valid consent, field without CONSENT (Patron.cardNumber) -> redact',
      caller: P.partner,
      rule: R.patronCardNumber,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner role but no principal -> redact',
      caller: ctx({ roles: ['partner'] }),
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'a patron (not a partner) who is the grantee of a valid consent -> redact',
      caller: ctx({ principal: PARTNER, roles: ['patron'], patronId: STRANGER }),
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner, subject null -> redact no-subject',
      caller: P.partner,
      rule: R.patronName,
      subject: null,
      facts: undefined,
      expected: NO_SUBJECT,
    },
  ]);
});

describe('LEGAL_PROCESS: a court order invoked with X-Legal-Process (statute (c))', () => {
  runTable([
    {
      name: 'custodian, order covering the patron, in dates and scope -> disclose LEGAL_PROCESS citing the order',
      caller: P.custodian,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: disclose('LEGAL_PROCESS', ORDER),
    },
    {
      name: 'custodian, order in scope for Loan.patron (CIRCULATION) -> disclose',
      caller: P.custodian,
      rule: R.loanPatron,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: disclose('LEGAL_PROCESS', ORDER),
    },
    {
      name: 'custodian, order valid from exactly now -> disclose',
      caller: P.custodian,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order({ validFrom: NOW })] }),
      expected: disclose('LEGAL_PROCESS', ORDER),
    },
    {
      name: 'custodian, order expired exactly now -> redact',
      caller: P.custodian,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order({ validUntil: NOW })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian, order expired last month -> redact',
      caller: P.custodian,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order({ validUntil: '2026-02-15T00:00:00.000Z' })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian, order not yet valid (1 ms from now) -> redact',
      caller: P.custodian,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order({ validFrom: JUST_AFTER_NOW })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian, order does not cover this patron (legalOrders empty) -> redact',
      caller: P.custodian,
      rule: R.patronName,
      subject: STRANGER,
      facts: facts({ patronId: STRANGER }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian, order out of scope (READING_HISTORY not in its scope) -> redact',
      caller: P.custodian,
      rule: R.readingHistory,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian, order scoped to READING_HISTORY -> disclose Patron.readingHistory',
      caller: P.custodian,
      rule: R.readingHistory,
      subject: AVERY,
      facts: facts({ legalOrders: [order({ scope: ['READING_HISTORY'] })] }),
      expected: disclose('LEGAL_PROCESS', ORDER),
    },
    {
      name: 'custodian without X-Legal-Process (legalOrder null), order on file -> redact',
      caller: P.custodianNoHeader,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian invoking a different order reference -> redact',
      caller: ctx({ ...P.custodian, legalOrder: OTHER_ORDER }),
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian invoking the order, facts missing (undefined) -> redact missing-fact',
      caller: P.custodian,
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: MISSING_FACT,
    },
    {
      name: 'custodian invoking the order, subject does not exist -> redact missing-fact',
      caller: P.custodian,
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ exists: false, legalOrders: [order()] }),
      expected: MISSING_FACT,
    },
    {
      name: 'circulation staff sending X-Legal-Process on a field without OPERATIONS -> redact',
      caller: ctx({ ...P.circulationStaff, legalOrder: ORDER }),
      rule: R.readingHistory,
      subject: AVERY,
      facts: facts({ legalOrders: [order({ scope: ['READING_HISTORY'] })] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'a patron sending X-Legal-Process for another patron -> redact',
      caller: ctx({ ...P.patron, legalOrder: ORDER }),
      rule: R.readingHistory,
      subject: STRANGER,
      facts: facts({ patronId: STRANGER, legalOrders: [order({ scope: ['READING_HISTORY'] })] }),
      expected: NO_EXCEPTION,
    },
  ]);
});

/** CLOCK.today is 2026-03-15, so a ward born 2008-03-15 turns 18 today. */
describe('GUARDIAN: a custodial parent or guardian of a minor (statute (d))', () => {
  const guardianOf = (birthDate: string | null, over: Partial<SubjectFacts> = {}): SubjectFacts =>
    facts({ patronId: MILO, birthDate, callerIsGuardian: true, ...over });
  runTable([
    {
      name: 'guardian of a 12-year-old reads Patron.name -> disclose GUARDIAN',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2013-09-01'),
      expected: disclose('GUARDIAN'),
    },
    {
      name: 'guardian of a 12-year-old reads Patron.loans -> disclose GUARDIAN',
      caller: P.guardian,
      rule: R.patronLoans,
      subject: MILO,
      facts: guardianOf('2013-09-01'),
      expected: disclose('GUARDIAN'),
    },
    {
      name: 'guardian of a ward who turned 18 yesterday (born 2008-03-14) -> redact',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2008-03-14'),
      expected: NO_EXCEPTION,
    },
    {
      name: 'guardian of a ward who turns 18 today (born 2008-03-15) -> redact',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2008-03-15'),
      expected: NO_EXCEPTION,
    },
    {
      name: 'guardian of a ward who turns 18 tomorrow (born 2008-03-16) -> disclose GUARDIAN',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2008-03-16'),
      expected: disclose('GUARDIAN'),
    },
    {
      name: 'guardian of a ward born 2008-02-29, on 2026-02-28 (still 17) -> disclose GUARDIAN',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2008-02-29'),
      clock: clockOn('2026-02-28'),
      expected: disclose('GUARDIAN'),
    },
    {
      name: 'guardian of a ward born 2008-02-29, on 2026-03-01 (18) -> redact',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2008-02-29'),
      clock: clockOn('2026-03-01'),
      expected: NO_EXCEPTION,
    },
    {
      name: 'guardian of a 40-year-old -> redact',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('1986-01-01'),
      expected: NO_EXCEPTION,
    },
    {
      name: 'a patron not linked as guardian (callerIsGuardian false) of a minor -> redact',
      caller: P.patron,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2013-09-01', { callerIsGuardian: false }),
      expected: NO_EXCEPTION,
    },
    {
      name: "guardian, ward's birthDate unknown (null) -> redact missing-fact",
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf(null),
      expected: MISSING_FACT,
    },
    {
      name: "guardian, ward's birthDate malformed -> redact",
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('12/03/2014'),
      expected: NO_EXCEPTION,
    },
    {
      name: 'guardian, facts missing (undefined) -> redact missing-fact',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: undefined,
      expected: MISSING_FACT,
    },
    {
      name: 'guardian, ward does not exist (exists false) -> redact missing-fact',
      caller: P.guardian,
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2013-09-01', { exists: false }),
      expected: MISSING_FACT,
    },
    {
      name: 'guardian of a minor reads Patron.readingHistory (no GUARDIAN) -> redact',
      caller: P.guardian,
      rule: R.readingHistory,
      subject: MILO,
      facts: guardianOf('2013-09-01'),
      expected: NO_EXCEPTION,
    },
    {
      name: 'guardian reads own Patron.name -> disclose SELF (SELF first)',
      caller: P.guardian,
      rule: R.patronName,
      subject: INGRID,
      facts: guardianOf('1985-01-01', { patronId: INGRID, callerIsGuardian: false }),
      expected: disclose('SELF'),
    },
    {
      name: 'staff without duties (not patron role) linked as guardian of a minor -> redact',
      caller: ctx({ principal: principalId('staff:x'), roles: ['staff'], patronId: INGRID }),
      rule: R.patronName,
      subject: MILO,
      facts: guardianOf('2013-09-01'),
      expected: NO_EXCEPTION,
    },
  ]);

  it.each([
    { name: '12-year-old', birth: '2013-09-01', today: '2026-03-15', minor: true },
    { name: 'turned 18 yesterday', birth: '2008-03-14', today: '2026-03-15', minor: false },
    { name: 'turns 18 today', birth: '2008-03-15', today: '2026-03-15', minor: false },
    { name: 'turns 18 tomorrow', birth: '2008-03-16', today: '2026-03-15', minor: true },
    {
      name: 'born 29 Feb 2008, on 28 Feb 2026',
      birth: '2008-02-29',
      today: '2026-02-28',
      minor: true,
    },
    {
      name: 'born 29 Feb 2008, on 1 Mar 2026',
      birth: '2008-02-29',
      today: '2026-03-01',
      minor: false,
    },
    {
      name: 'born 29 Feb 2008, on 29 Feb 2028 (well past 18)',
      birth: '2008-02-29',
      today: '2028-02-29',
      minor: false,
    },
    {
      name: 'born 31 Dec 2007, on 30 Dec 2025',
      birth: '2007-12-31',
      today: '2025-12-30',
      minor: true,
    },
    {
      name: 'born 31 Dec 2007, on 31 Dec 2025',
      birth: '2007-12-31',
      today: '2025-12-31',
      minor: false,
    },
    { name: 'born today (age 0)', birth: '2026-03-15', today: '2026-03-15', minor: true },
    {
      name: 'malformed birth date fails closed',
      birth: '2014-3-1',
      today: '2026-03-15',
      minor: false,
    },
    { name: 'empty birth date fails closed', birth: '', today: '2026-03-15', minor: false },
  ])('isMinorOn: $name -> $minor', ({ birth, today, minor }) => {
    expect(isMinorOn(birth, today)).toBe(minor);
  });
});

describe('analytics: de-identified data only', () => {
  const analyticsStaff = ctx({
    principal: principalId('analytics:x'),
    roles: ['analytics', 'staff'],
    duties: ['circulation'],
  });
  runTable([
    {
      name: 'analytics reads Patron.birthDate (deidentify AGE_BAND) -> deidentify AGE_BAND',
      caller: P.analytics,
      rule: R.patronBirthDate,
      subject: AVERY,
      facts: undefined,
      expected: { kind: 'deidentify', strategy: 'AGE_BAND' },
    },
    {
      name: 'analytics reads a PSEUDONYM field -> deidentify PSEUDONYM',
      caller: P.analytics,
      rule: R.loanPatronPseudonym,
      subject: AVERY,
      facts: undefined,
      expected: { kind: 'deidentify', strategy: 'PSEUDONYM' },
    },
    {
      name: 'analytics reads a DAY field -> deidentify DAY',
      caller: P.analytics,
      rule: rule({ deidentify: 'DAY' }),
      subject: AVERY,
      facts: undefined,
      expected: { kind: 'deidentify', strategy: 'DAY' },
    },
    {
      name: 'analytics reads Patron.name (no deidentify) -> redact',
      caller: P.analytics,
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'analytics reads Loan.patron (no deidentify) -> redact',
      caller: P.analytics,
      rule: R.loanPatron,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'analytics + circulation staff reads Patron.email (no deidentify) -> redact, not OPERATIONS',
      caller: analyticsStaff,
      rule: R.patronEmail,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'analytics + circulation staff reads Patron.birthDate -> deidentify, not OPERATIONS',
      caller: analyticsStaff,
      rule: R.patronBirthDate,
      subject: AVERY,
      facts: undefined,
      expected: { kind: 'deidentify', strategy: 'AGE_BAND' },
    },
    {
      name: 'analytics + patron reads own Patron.name -> redact, not SELF',
      caller: ctx({ principal: principalId('a'), roles: ['analytics', 'patron'], patronId: AVERY }),
      rule: R.patronName,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'analytics + partner with a valid consent -> redact, not CONSENT',
      caller: ctx({ principal: PARTNER, roles: ['partner', 'analytics'] }),
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'analytics + custodian with a valid order -> redact, not LEGAL_PROCESS',
      caller: ctx({
        principal: principalId('c'),
        roles: ['custodian', 'analytics'],
        legalOrder: ORDER,
      }),
      rule: R.patronName,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'analytics on a subjectless PSEUDONYM field -> deidentify (the value step nulls it)',
      caller: P.analytics,
      rule: R.loanPatronPseudonym,
      subject: null,
      facts: undefined,
      expected: { kind: 'deidentify', strategy: 'PSEUDONYM' },
    },
  ]);
});

describe("a rule that excludes the caller's only possible exception", () => {
  const minorFacts = facts({ patronId: MILO, birthDate: '2013-09-01', callerIsGuardian: true });
  runTable([
    {
      name: 'circulation staff on Patron.readingHistory [SELF, LEGAL_PROCESS] -> redact',
      caller: P.circulationStaff,
      rule: R.readingHistory,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'partner with valid consent on Patron.cardNumber [no CONSENT] -> redact',
      caller: P.partner,
      rule: R.patronCardNumber,
      subject: AVERY,
      facts: facts({ consents: [consent()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'guardian of a minor on Patron.pinSet [SELF, OPERATIONS] -> redact',
      caller: P.guardian,
      rule: R.patronPinSet,
      subject: MILO,
      facts: minorFacts,
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian with valid order on Patron.pinSet [SELF, OPERATIONS] -> redact',
      caller: P.custodian,
      rule: R.patronPinSet,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'custodian with valid order on Query.me [SELF] -> redact',
      caller: P.custodian,
      rule: R.me,
      subject: AVERY,
      facts: facts({ legalOrders: [order()] }),
      expected: NO_EXCEPTION,
    },
    {
      name: 'patron on own record via Mutation.registerPatron [OPERATIONS] -> redact',
      caller: P.patron,
      rule: R.registerPatron,
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
    {
      name: 'rule with no exceptions at all: the patron themself -> redact',
      caller: P.patron,
      rule: rule({ exceptions: [] }),
      subject: AVERY,
      facts: undefined,
      expected: NO_EXCEPTION,
    },
  ]);
});

/** Every subset of the five exceptions, for tables that must hold on every rule. */
const EXCEPTION_SUBSETS: StatutoryException[][] = Array.from(
  { length: 1 << STATUTORY_EXCEPTIONS.length },
  (_, mask) => STATUTORY_EXCEPTIONS.filter((_, i) => mask & (1 << i)),
);

describe('candidateExceptions', () => {
  it.each(
    EXCEPTION_SUBSETS.flatMap((exceptions) =>
      ([[], ['circulation'], ['events'], ['circulation', 'events']] as RuleDuty[][]).map(
        (duties) => ({
          label: `[${exceptions.join(', ')}] duties [${duties.join(', ')}]`,
          rule: rule({ exceptions, duties }),
        }),
      ),
    ),
  )('anonymous on $label -> []', ({ rule: r }) => {
    expect(candidateExceptions(r, P.anonymous)).toEqual([]);
  });

  it.each([
    { persona: 'patron', caller: P.patron, r: R.patronName, expected: ['SELF', 'GUARDIAN'] },
    {
      persona: 'circulation-staff',
      caller: P.circulationStaff,
      r: R.patronName,
      expected: ['OPERATIONS'],
    },
    {
      persona: 'circulation-staff',
      caller: P.circulationStaff,
      r: R.registrationAttendee,
      expected: [],
    },
    {
      persona: 'events-staff',
      caller: P.eventsStaff,
      r: R.registrationAttendee,
      expected: ['OPERATIONS'],
    },
    { persona: 'partner', caller: P.partner, r: R.patronName, expected: ['CONSENT'] },
    { persona: 'partner', caller: P.partner, r: R.patronCardNumber, expected: [] },
    {
      persona: 'records-custodian (X-Legal-Process)',
      caller: P.custodian,
      r: R.patronName,
      expected: ['LEGAL_PROCESS'],
    },
    {
      persona: 'records-custodian (no header)',
      caller: P.custodianNoHeader,
      r: R.patronName,
      expected: [],
    },
    { persona: 'analytics', caller: P.analytics, r: R.patronName, expected: [] },
    { persona: 'patron', caller: P.patron, r: R.readingHistory, expected: ['SELF'] },
    {
      persona: 'patron',
      caller: P.patron,
      r: rule({ exceptions: ['GUARDIAN', 'SELF'] }),
      expected: ['GUARDIAN', 'SELF'],
    },
  ])('$persona on $r.coordinate [$r.exceptions] -> $expected', ({ caller, r, expected }) => {
    expect(candidateExceptions(r, caller)).toEqual(expected);
  });
});

describe('needsFacts', () => {
  it.each([
    { candidates: [], expected: false },
    { candidates: ['SELF'], expected: false },
    { candidates: ['OPERATIONS'], expected: false },
    { candidates: ['SELF', 'OPERATIONS'], expected: false },
    { candidates: ['CONSENT'], expected: true },
    { candidates: ['LEGAL_PROCESS'], expected: true },
    { candidates: ['GUARDIAN'], expected: true },
    { candidates: ['SELF', 'GUARDIAN'], expected: true },
    { candidates: ['OPERATIONS', 'CONSENT'], expected: true },
  ] satisfies { candidates: StatutoryException[]; expected: boolean }[])(
    '[$candidates] -> $expected',
    ({ candidates, expected }) => {
      expect(needsFacts(candidates)).toBe(expected);
    },
  );

  it('is true exactly when a subset contains CONSENT, LEGAL_PROCESS or GUARDIAN', () => {
    for (const subset of EXCEPTION_SUBSETS) {
      const expected = subset.some(
        (e) => e === 'CONSENT' || e === 'LEGAL_PROCESS' || e === 'GUARDIAN',
      );
      expect(needsFacts(subset), subset.join(',')).toBe(expected);
    }
  });
});

describe('properties over arbitrary callers, rules and facts', () => {
  const PATRONS = [AVERY, MILO, INGRID, STRANGER];
  const PRINCIPALS = [
    principalId('partner:front-range-literacy'),
    principalId('partner:someone-else'),
    principalId('staff:x'),
  ];
  const ORDERS = [ORDER, OTHER_ORDER];

  const instant = fc
    .date({
      min: new Date('2025-01-01T00:00:00.000Z'),
      max: new Date('2027-12-31T00:00:00.000Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString());
  const day = instant.map((s) => s.slice(0, 10));
  const birthDay = fc
    .date({
      min: new Date('1930-01-01T00:00:00.000Z'),
      max: new Date('2026-12-31T00:00:00.000Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10));

  const arbCaller: fc.Arbitrary<DisclosureContext> = fc.record({
    principal: fc.option(fc.constantFrom(...PRINCIPALS), { nil: null }),
    roles: fc.subarray([...ROLES]),
    duties: fc.subarray([...DUTIES]),
    patronId: fc.option(fc.constantFrom(...PATRONS), { nil: null }),
    legalOrder: fc.option(fc.constantFrom(...ORDERS), { nil: null }),
    purpose: fc.constant(null),
    requestId: fc.constant('req-prop'),
  });

  const arbLocator: fc.Arbitrary<SubjectLocator> = fc.constantFrom<SubjectLocator>(
    { source: 'OBJECT', field: 'id' },
    { source: 'PARENT_FIELD', field: 'patronId' },
    { source: 'ARGUMENT', field: 'id' },
    { source: 'CALLER' },
  );

  const arbRule: fc.Arbitrary<FieldRule> = fc.record({
    coordinate: fc.constant('Type.field'),
    subject: arbLocator,
    category: fc.constantFrom(...PATRON_DATA_CATEGORIES),
    deidentify: fc.option(fc.constantFrom(...DEIDENTIFICATIONS), { nil: null }),
    exceptions: fc.shuffledSubarray([...STATUTORY_EXCEPTIONS]),
    duties: fc.subarray([...RULE_DUTIES]),
  });

  const arbConsent: fc.Arbitrary<ConsentFact> = fc.record({
    grantee: fc.constantFrom(...PRINCIPALS),
    scope: fc.subarray([...PATRON_DATA_CATEGORIES]),
    documentRef: fc.constantFrom('DOC-1', 'DOC-2'),
    validFrom: instant,
    validUntil: instant,
    revokedAt: fc.option(instant, { nil: null }),
  });

  const arbOrder: fc.Arbitrary<LegalOrderFact> = fc.record({
    reference: fc.constantFrom(...ORDERS),
    scope: fc.subarray([...PATRON_DATA_CATEGORIES]),
    validFrom: instant,
    validUntil: instant,
  });

  const arbFacts: fc.Arbitrary<SubjectFacts> = fc.record({
    patronId: fc.constantFrom(...PATRONS),
    exists: fc.boolean(),
    birthDate: fc.option(birthDay, { nil: null }),
    callerIsGuardian: fc.boolean(),
    consents: fc.array(arbConsent, { maxLength: 3 }),
    legalOrders: fc.array(arbOrder, { maxLength: 2 }),
  });

  const arbClock: fc.Arbitrary<Clock> = fc.oneof(
    fc.constant(CLOCK),
    instant.map((s) => clockAt(new Date(s))),
    day.map((d) => clockOn(d)),
  );

  const arbInput = fc.record({
    rule: arbRule,
    caller: arbCaller,
    subject: fc.option(fc.constantFrom(...PATRONS), { nil: null }),
    facts: fc.option(arbFacts, { nil: undefined }),
    clock: arbClock,
  });

  const RUNS = { numRuns: 500 };

  it('never discloses under an exception that is not in rule.exceptions', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const d = decide(input);
        return !isDisclose(d) || input.rule.exceptions.includes(d.exception);
      }),
      RUNS,
    );
  });

  it('never discloses to a caller with no roles', () => {
    fc.assert(
      fc.property(
        arbInput,
        (input) => !isDisclose(decide({ ...input, caller: { ...input.caller, roles: [] } })),
      ),
      RUNS,
    );
  });

  it('never discloses under CONSENT, LEGAL_PROCESS or GUARDIAN when facts are undefined', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const d = decide({ ...input, facts: undefined });
        return !(
          isDisclose(d) &&
          (d.exception === 'CONSENT' ||
            d.exception === 'LEGAL_PROCESS' ||
            d.exception === 'GUARDIAN')
        );
      }),
      RUNS,
    );
  });

  it('never discloses under CONSENT, LEGAL_PROCESS or GUARDIAN for a subject that does not exist', () => {
    fc.assert(
      fc.property(arbInput, arbFacts, (input, f) => {
        const d = decide({ ...input, facts: { ...f, exists: false } });
        return !(
          isDisclose(d) &&
          (d.exception === 'CONSENT' ||
            d.exception === 'LEGAL_PROCESS' ||
            d.exception === 'GUARDIAN')
        );
      }),
      RUNS,
    );
  });

  it('gives analytics deidentify or redact, never disclose; and only analytics ever gets deidentify', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const d = decide(input);
        const analytics = input.caller.roles.includes('analytics');
        if (analytics) return d.kind === (input.rule.deidentify ? 'deidentify' : 'redact');
        return d.kind !== 'deidentify';
      }),
      RUNS,
    );
  });

  it('cites a reference only for CONSENT and LEGAL_PROCESS, and only one the caller can invoke', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const d = decide(input);
        if (!isDisclose(d)) return true;
        if (d.exception === 'CONSENT') {
          return (
            input.facts?.consents.some(
              (c) => c.documentRef === d.reference && c.grantee === input.caller.principal,
            ) === true
          );
        }
        if (d.exception === 'LEGAL_PROCESS')
          return d.reference !== null && d.reference === input.caller.legalOrder;
        return d.reference === null;
      }),
      RUNS,
    );
  });

  it("discloses SELF only when the subject is the caller's own record", () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const d = decide(input);
        return (
          !(isDisclose(d) && d.exception === 'SELF') ||
          (input.subject !== null && input.subject === input.caller.patronId)
        );
      }),
      RUNS,
    );
  });

  it('agrees with candidateExceptions: no candidates means no disclosure', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        fc.pre(candidateExceptions(input.rule, input.caller).length === 0);
        return !isDisclose(decide(input));
      }),
      RUNS,
    );
  });

  it('never throws', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        decide(input);
      }),
      RUNS,
    );
  });
});

describe('clockAt', () => {
  it('reads one instant: today is the UTC day of now', () => {
    expect(clockAt(new Date('2026-03-15T23:59:59.999Z'))).toEqual({
      now: '2026-03-15T23:59:59.999Z',
      today: '2026-03-15',
    });
    expect(clockAt(new Date('2026-03-16T00:00:00.000Z')).today).toBe('2026-03-16');
  });

  it('patronId and principalId stay plain strings at run time', () => {
    expect(patronId('x')).toBe('x');
    expect(principalId('y')).toBe('y');
  });
});
