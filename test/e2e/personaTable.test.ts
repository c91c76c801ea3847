import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, SEEDED_LEGAL_ORDER, type PersonaName } from '../../src/dev/personas.js';
import { errorsAt, startTestGraph, type TestGraph } from '../support/graph.js';

/**
 * CONTRACT.md's persona table, walked end to end through the gateway, field by field: for each
 * persona and data subject, exactly the listed Patron fields are disclosed and every other one
 * comes back null with one PRIVACY_REDACTED error at its path.
 */
const FIELDS = [
  'name',
  'cardNumber',
  'email',
  'phone',
  'address',
  'birthDate',
  'homeBranch',
  'pinSet',
  'loans',
  'holds',
  'fines',
  'readingHistory',
  'registrations',
] as const;
type Field = (typeof FIELDS)[number];

const SELECTION: Record<Field, string> = {
  name: 'name',
  cardNumber: 'cardNumber',
  email: 'email',
  phone: 'phone',
  address: 'address',
  birthDate: 'birthDate',
  homeBranch: 'homeBranch { id }',
  pinSet: 'pinSet',
  loans: 'loans { id }',
  holds: 'holds { id }',
  fines: 'fines { id }',
  readingHistory: 'readingHistory { id }',
  registrations: 'registrations { id }',
};

const ALL: Field[] = [...FIELDS];
const CIRCULATION_OPERATIONS: Field[] = [
  'name',
  'cardNumber',
  'email',
  'phone',
  'address',
  'birthDate',
  'homeBranch',
  'pinSet',
  'loans',
  'holds',
  'fines',
];
const GUARDIAN: Field[] = [
  'name',
  'cardNumber',
  'email',
  'phone',
  'address',
  'birthDate',
  'homeBranch',
  'loans',
  'holds',
  'fines',
  'registrations',
];
/** The seeded consent covers IDENTITY, CONTACT and CIRCULATION, and the fields that admit CONSENT. */
const PARTNER_CONSENT: Field[] = [
  'name',
  'email',
  'phone',
  'address',
  'homeBranch',
  'loans',
  'holds',
  'fines',
];
/** The seeded order covers IDENTITY and CIRCULATION. */
const LEGAL_ORDER: Field[] = [
  'name',
  'cardNumber',
  'birthDate',
  'homeBranch',
  'loans',
  'holds',
  'fines',
];

const OTHER = 'pat_other-than-personas';
const { patron, minor, guardian } = PERSONA_PATRONS;

interface Row {
  persona: PersonaName;
  subject: string;
  label: string;
  /** null: the root lookup itself is redacted. */
  disclosed: Field[] | null;
  headers?: Record<string, string>;
}

const TABLE: Row[] = [
  { persona: 'anonymous', subject: patron.id, label: 'the patron', disclosed: null },
  { persona: 'patron', subject: patron.id, label: 'themself (SELF)', disclosed: ALL },
  { persona: 'patron', subject: OTHER, label: 'another patron', disclosed: null },
  { persona: 'patron', subject: minor.id, label: 'the minor', disclosed: null },
  { persona: 'minor', subject: minor.id, label: 'themself (SELF)', disclosed: ALL },
  { persona: 'minor', subject: guardian.id, label: 'their guardian', disclosed: null },
  { persona: 'guardian', subject: guardian.id, label: 'themself (SELF)', disclosed: ALL },
  { persona: 'guardian', subject: minor.id, label: 'their minor (GUARDIAN)', disclosed: GUARDIAN },
  { persona: 'guardian', subject: patron.id, label: 'an unrelated patron', disclosed: null },
  {
    persona: 'circulation-staff',
    subject: patron.id,
    label: 'a patron (OPERATIONS)',
    disclosed: CIRCULATION_OPERATIONS,
  },
  {
    persona: 'circulation-staff',
    subject: minor.id,
    label: 'a minor (OPERATIONS)',
    disclosed: CIRCULATION_OPERATIONS,
  },
  { persona: 'events-staff', subject: patron.id, label: 'a patron by id', disclosed: null },
  {
    persona: 'partner',
    subject: patron.id,
    label: 'a consenting patron (CONSENT)',
    disclosed: PARTNER_CONSENT,
  },
  { persona: 'partner', subject: minor.id, label: 'a patron who gave no consent', disclosed: null },
  {
    persona: 'records-custodian',
    subject: patron.id,
    label: 'a patron, without X-Legal-Process',
    disclosed: null,
  },
  {
    persona: 'records-custodian',
    subject: patron.id,
    label: 'a patron the order covers (LEGAL_PROCESS)',
    disclosed: LEGAL_ORDER,
    headers: { 'x-legal-process': SEEDED_LEGAL_ORDER },
  },
  {
    persona: 'records-custodian',
    subject: minor.id,
    label: 'a patron the order does not cover',
    disclosed: null,
    headers: { 'x-legal-process': SEEDED_LEGAL_ORDER },
  },
  {
    persona: 'records-custodian',
    subject: patron.id,
    label: 'a patron, under an unknown order',
    disclosed: null,
    headers: { 'x-legal-process': 'NO-SUCH-ORDER' },
  },
  { persona: 'analytics', subject: patron.id, label: 'a patron', disclosed: null },
];

const query = `query($id: ID!) { patron(id: $id) { id ${FIELDS.map((f) => SELECTION[f]).join(' ')} } }`;

let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph();
});
afterAll(async () => t?.stop());

describe('persona x subject x field, through the gateway', () => {
  it.each(TABLE)('$persona asking for $label', async ({ persona, subject, disclosed, headers }) => {
    const res = await t.query(persona, query, { id: subject }, headers);
    expect(res.status).toBe(200);
    const record = res.data?.patron as Record<string, unknown> | null;
    if (disclosed === null) {
      expect(record).toBeNull();
      expect(res.errors).toEqual([
        {
          message: 'Redacted: confidential patron information',
          path: ['patron'],
          extensions: { code: 'PRIVACY_REDACTED' },
        },
      ]);
      return;
    }
    expect(record!.id).toBe(subject);
    for (const field of FIELDS) {
      const redactions = errorsAt(res, `patron.${field}`);
      if (disclosed.includes(field)) {
        expect.soft(redactions, `${field} should be disclosed`).toEqual([]);
        expect.soft(record![field], `${field} should have a value`).not.toBeNull();
      } else {
        expect.soft(record![field], `${field} should be redacted`).toBeNull();
        expect
          .soft(
            redactions.map((e) => e.extensions?.code),
            `${field} should carry PRIVACY_REDACTED`,
          )
          .toEqual(['PRIVACY_REDACTED']);
      }
    }
    expect(res.errors?.every((e) => e.extensions?.code === 'PRIVACY_REDACTED') ?? true).toBe(true);
  });
});

describe('reaching patrons through their activity', () => {
  it('events staff see attendee names but no contact data or circulation', async () => {
    const res = await t.query(
      'events-staff',
      '{ events(first: 20) { registrations { attendee { id name email loans { id } } } } }',
    );
    const attendees = (
      res.data!.events as { registrations: { attendee: Record<string, unknown> | null }[] }[]
    )
      .flatMap((e) => e.registrations.map((r) => r.attendee))
      .filter((a): a is Record<string, unknown> => a !== null);
    expect(attendees.length).toBeGreaterThan(0);
    expect(
      attendees.every((a) => typeof a.name === 'string' && a.email === null && a.loans === null),
    ).toBe(true);
  });

  it('circulation staff see borrowers of loans; events staff may not list loans at all', async () => {
    const staff = await t.query(
      'circulation-staff',
      '{ loans(first: 5, status: OPEN) { nodes { patron { name } } } }',
    );
    const names = (staff.data!.loans as { nodes: { patron: { name: string } | null }[] }).nodes.map(
      (n) => n.patron?.name,
    );
    expect(names.every((n) => typeof n === 'string')).toBe(true);
    const events = await t.query('events-staff', '{ loans(first: 5) { nodes { id } } }');
    expect(events.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("staff see a reading-history patron's current loans, never the returned ones (that history is SELF only)", async () => {
    const ask = (persona: 'patron' | 'circulation-staff') =>
      t.query(
        persona,
        `{ patron(id: "${patron.id}") { loans { returnedAt } readingHistory { returnedAt } } }`,
      );
    const own = (await ask('patron')).data!.patron as {
      loans: { returnedAt: string | null }[];
      readingHistory: unknown[];
    };
    expect(own.readingHistory.length).toBeGreaterThan(0);
    const staff = (await ask('circulation-staff')).data!.patron as {
      loans: { returnedAt: string | null }[];
      readingHistory: unknown;
    };
    expect(staff.loans.length).toBeGreaterThan(0);
    expect(staff.loans.every((l) => l.returnedAt === null)).toBe(true);
    expect(staff.readingHistory).toBeNull();
  });

  it('an anonymized loan has no borrower: null with no error for staff (nothing is withheld)', async () => {
    const res = await t.query(
      'circulation-staff',
      '{ loans(first: 300, status: RETURNED) { nodes { id patron { name } } } }',
    );
    const nodes = (res.data!.loans as { nodes: { patron: unknown }[] }).nodes;
    expect(nodes.length).toBeGreaterThan(0);
    // Most returned loans are anonymized; a few stay linked until their fine is paid.
    expect(nodes.filter((n) => n.patron === null).length).toBeGreaterThan(nodes.length / 2);
    expect(res.errors).toBeUndefined();
  });

  it('an unknown patron id looks exactly like a patron the caller may not see', async () => {
    const unknown = await t.query(
      'circulation-staff',
      '{ patron(id: "pat_000000000000") { name } }',
    );
    const hidden = await t.query('partner', `{ patron(id: "${minor.id}") { name } }`);
    expect(unknown.data).toEqual(hidden.data);
    expect(unknown.errors).toEqual(hidden.errors);
  });

  it('anonymous callers get `me` redacted, not an error that differs from any other redaction', async () => {
    const res = await t.query('anonymous', '{ me { id name } }');
    expect(res.data).toEqual({ me: null });
    expect(res.errors).toEqual([
      {
        message: 'Redacted: confidential patron information',
        path: ['me'],
        extensions: { code: 'PRIVACY_REDACTED' },
      },
    ]);
  });
});

describe('facts change on the next request', () => {
  it('a guardian loses access the day the minor turns 18', async () => {
    const ask = () => t.query('guardian', `{ patron(id: "${minor.id}") { name } }`);
    expect((await ask()).data).toEqual({ patron: { name: minor.name } });
    const now = new Date();
    const eighteenYesterday = `${now.getUTCFullYear() - 18}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-${String(now.getUTCDate()).padStart(2, '0')}`;
    const db = t.graph.databases!.circulation.db;
    const before = await db
      .selectFrom('patrons')
      .select('birth_date')
      .where('id', '=', minor.id)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('patrons')
      .set({ birth_date: eighteenYesterday })
      .where('id', '=', minor.id)
      .execute();
    try {
      const res = await ask();
      expect(res.data).toEqual({ patron: null });
      expect(res.errors?.[0]?.extensions?.code).toBe('PRIVACY_REDACTED');
    } finally {
      await db
        .updateTable('patrons')
        .set({ birth_date: before.birth_date })
        .where('id', '=', minor.id)
        .execute();
    }
  });

  it('a revoked consent stops disclosure to the partner on the next request', async () => {
    const ask = () => t.query('partner', `{ patron(id: "${patron.id}") { email } }`);
    expect((await ask()).data).toEqual({ patron: { email: patron.email } });
    const db = t.graph.databases!.circulation.db;
    await db
      .updateTable('consents')
      .set({ revoked_at: new Date().toISOString() })
      .where('patron_id', '=', patron.id)
      .execute();
    try {
      expect((await ask()).data).toEqual({ patron: null });
    } finally {
      await db
        .updateTable('consents')
        .set({ revoked_at: null })
        .where('patron_id', '=', patron.id)
        .where('document_ref', '=', 'consent-form-2026-0031')
        .execute();
    }
  });
});
