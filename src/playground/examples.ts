import { PERSONA_PATRONS, SEEDED_LEGAL_ORDER, type PersonaName } from '../dev/personas.js';

/**
 * One example operation of the playground: what to run, as whom, and a one-line note of what the
 * answer shows (disclosed, redacted or refused). The notes are checked against the demo data.
 */
export interface Example {
  /** Stable id (the browser test picks examples by it). */
  id: string;
  title: string;
  note: string;
  query: string;
  /** An `X-Legal-Process` order reference the example needs, if any. */
  legalProcess?: string;
}

const AVERY = PERSONA_PATRONS.patron.id;
const MILO = PERSONA_PATRONS.minor.id;

/**
 * The same question for every persona, so switching persona and running it again shows the
 * redaction change: anonymous gets `patron: null` and PRIVACY_REDACTED, circulation staff the name.
 */
export const COMPARE_EXAMPLE: Example = {
  id: 'compare-patron',
  title: 'Same question, any persona: a patron by id',
  note: 'Run it as each persona: some see the name and email, others get null plus PRIVACY_REDACTED.',
  query: `query PatronById {\n  patron(id: "${AVERY}") {\n    name\n    email\n  }\n}`,
};

/**
 * Example operations per persona of CONTRACT.md, each showing something that persona may see and
 * something it may not. Read-only: running them never changes the demo data.
 */
export const EXAMPLES: Record<PersonaName, readonly Example[]> = {
  anonymous: [
    {
      id: 'anonymous-catalog',
      title: 'Catalog and availability',
      note: 'Public: works, copies and whether each is on the shelf.',
      query: `query Catalog {\n  works(first: 3) {\n    totalCount\n    nodes {\n      title\n      creators\n      items {\n        branch { name }\n        availability\n      }\n    }\n  }\n}`,
    },
    {
      id: 'anonymous-events',
      title: 'Events: counts, not attendees',
      note: 'Registration counts are public; each attendee is null with PRIVACY_REDACTED.',
      query: `query Events {\n  events(first: 1) {\n    title\n    startsAt\n    registrationCount\n    registrations {\n      attendee { name }\n    }\n  }\n}`,
    },
    {
      id: 'anonymous-loans',
      title: 'Loans: refused',
      note: 'Listing loans needs a staff, custodian or analytics role: FORBIDDEN.',
      query: `query Loans {\n  loans(first: 3) {\n    nodes { dueAt }\n  }\n}`,
    },
  ],
  patron: [
    {
      id: 'patron-me',
      title: 'My account',
      note: 'Everything about themself (SELF): contact data, loans, reading history, registrations.',
      query: `query MyAccount {\n  me {\n    name\n    email\n    loans {\n      dueAt\n      item { work { title } }\n    }\n    readingHistory {\n      item { work { title } }\n    }\n    registrations {\n      event { title startsAt }\n    }\n  }\n}`,
    },
    {
      id: 'patron-other',
      title: 'Another patron: redacted',
      note: 'Someone else’s record is null with PRIVACY_REDACTED, exactly like a patron who does not exist.',
      query: `query AnotherPatron {\n  patron(id: "${MILO}") {\n    name\n  }\n}`,
    },
  ],
  minor: [
    {
      id: 'minor-me',
      title: 'My account',
      note: 'Their own record and loans (SELF).',
      query: `query MyAccount {\n  me {\n    name\n    birthDate\n    loans {\n      dueAt\n      item { work { title } }\n    }\n  }\n}`,
    },
  ],
  guardian: [
    {
      id: 'guardian-minor',
      title: "My child's record",
      note: "The minor's record and activity (GUARDIAN), but not reading history or PIN state: those stay redacted.",
      query: `query MyChild {\n  patron(id: "${MILO}") {\n    name\n    loans {\n      dueAt\n      item { work { title } }\n    }\n    registrations {\n      event { title }\n    }\n    readingHistory { id }\n    pinSet\n  }\n}`,
    },
    {
      id: 'guardian-other',
      title: 'An unrelated patron: redacted',
      note: 'Guardianship covers the linked minor only: anyone else is null with PRIVACY_REDACTED.',
      query: `query Unrelated {\n  patron(id: "${AVERY}") {\n    name\n  }\n}`,
    },
  ],
  'circulation-staff': [
    {
      id: 'circulation-patron',
      title: 'A patron at the desk',
      note: 'Contact data and loans (OPERATIONS); reading history and registrations are redacted.',
      query: `query AtTheDesk {\n  patron(id: "${AVERY}") {\n    name\n    email\n    phone\n    loans { dueAt }\n    readingHistory { id }\n    registrations { id }\n  }\n}`,
    },
    {
      id: 'circulation-loans',
      title: 'Open loans and their borrowers',
      note: 'Borrowers of open loans are disclosed for the operation of the library.',
      query: `query OpenLoans {\n  loans(first: 5, status: OPEN) {\n    nodes {\n      dueAt\n      item { work { title } }\n      patron { name }\n    }\n  }\n}`,
    },
  ],
  'events-staff': [
    {
      id: 'events-attendees',
      title: 'Attendees of an event',
      note: "Attendees' names (OPERATIONS); their email is redacted.",
      query: `query Attendees {\n  events(first: 1) {\n    title\n    registrations {\n      attendee { name email }\n    }\n  }\n}`,
    },
    {
      id: 'events-loans',
      title: 'Loans: refused',
      note: 'Events staff have no circulation duty: FORBIDDEN.',
      query: `query Loans {\n  loans(first: 1) {\n    nodes { dueAt }\n  }\n}`,
    },
  ],
  partner: [
    {
      id: 'partner-consenting',
      title: 'A consenting patron',
      note: 'Name and email under the written consent (CONSENT); the card number is outside its scope.',
      query: `query Consenting {\n  patron(id: "${AVERY}") {\n    name\n    email\n    cardNumber\n  }\n}`,
    },
    {
      id: 'partner-other',
      title: 'A patron who gave no consent',
      note: 'No consent names this partner: null with PRIVACY_REDACTED.',
      query: `query NoConsent {\n  patron(id: "${MILO}") {\n    name\n  }\n}`,
    },
  ],
  'records-custodian': [
    {
      id: 'custodian-order',
      title: `Under court order ${SEEDED_LEGAL_ORDER}`,
      note: 'Sets X-Legal-Process: identity and loans are disclosed (LEGAL_PROCESS); email is outside the order’s scope.',
      query: `query UnderOrder {\n  patron(id: "${AVERY}") {\n    name\n    cardNumber\n    loans { dueAt }\n    email\n  }\n}`,
      legalProcess: SEEDED_LEGAL_ORDER,
    },
    {
      id: 'custodian-no-order',
      title: 'The same patron, without an order',
      note: 'Clears X-Legal-Process: without an order the custodian sees nothing of the patron.',
      query: `query WithoutOrder {\n  patron(id: "${AVERY}") {\n    name\n  }\n}`,
      legalProcess: '',
    },
  ],
  'records-custodian-2': [
    {
      id: 'custodian-2-order',
      title: `Under court order ${SEEDED_LEGAL_ORDER}`,
      note: 'This custodian approved the order; any custodian may invoke it once approved.',
      query: `query UnderOrder {\n  patron(id: "${AVERY}") {\n    name\n  }\n}`,
      legalProcess: SEEDED_LEGAL_ORDER,
    },
  ],
  analytics: [
    {
      id: 'analytics-loans',
      title: 'Loans, de-identified',
      note: 'When and where loans happen; who borrowed is redacted.',
      query: `query LoanActivity {\n  loans(first: 5) {\n    nodes {\n      checkedOutAt\n      branch { name }\n      patron { name }\n    }\n  }\n}`,
    },
  ],
};
