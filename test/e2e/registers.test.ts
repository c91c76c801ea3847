import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PARTNER_PRINCIPAL,
  PERSONA_PATRONS,
  SEEDED_LEGAL_ORDER,
  type PersonaName,
} from '../../src/dev/personas.js';
import { CARD_LOGIN_REFUSED } from '../../subgraphs/circulation/cardLogin.js';
import { codes, startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';

/**
 * The registers behind the statute's exceptions, written through the gateway by the records
 * custodian and nobody else, and read by the privacy guard on the very next request; and the card
 * login of exception (d).
 */

const { patron, minor, guardian } = PERSONA_PATRONS;
const PERSONA_IDS = [patron.id, minor.id, guardian.id];
const NOT_CUSTODIAN: PersonaName[] = [
  'anonymous',
  'patron',
  'minor',
  'guardian',
  'circulation-staff',
  'events-staff',
  'partner',
  'analytics',
];

const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
const aMinuteAgo = () => new Date(Date.now() - 60_000).toISOString();
const REDACTED = {
  message: 'Redacted: confidential patron information',
  path: ['patron'],
  extensions: { code: 'PRIVACY_REDACTED' },
};

const RECORD_CONSENT = `mutation($input: RecordConsentInput!) {
  recordConsent(input: $input) { id grantee scope documentRef validFrom validUntil revokedAt } }`;
const REVOKE_CONSENT = `mutation($id: ID!) { revokeConsent(consentId: $id) { id revokedAt } }`;
const REGISTER_ORDER = `mutation($input: RegisterLegalOrderInput!) {
  registerLegalOrder(input: $input) { id reference kind authority scope validFrom validUntil patronCount } }`;
const LINK_GUARDIAN = `mutation($input: LinkGuardianInput!) { linkGuardian(input: $input) { id evidenceRef createdAt } }`;
const CARD_LOGIN = `mutation($card: String!, $pin: String!) { authenticateWithCard(cardNumber: $card, pin: $pin) { token expiresAt } }`;

let t: TestGraph;
/** Adults the seed made, none a persona, none in any register. */
let strangers: { id: string; name: string }[];
/** A non-persona adult with open loans, outside every legal order. */
let borrower: string;
/** A non-persona minor without a guardian. */
let unguardedMinor: { id: string; name: string };

beforeAll(async () => {
  t = await startTestGraph();
  const db = t.graph.databases!.circulation.db;
  const today = new Date().toISOString().slice(0, 10);
  const adultBorn = `${Number(today.slice(0, 4)) - 19}${today.slice(4)}`;
  const minorBorn = `${Number(today.slice(0, 4)) - 17}${today.slice(4)}`;
  const unregistered = (q: typeof db) =>
    q
      .selectFrom('patrons')
      .where('id', 'not in', PERSONA_IDS)
      .where('id', 'not in', db.selectFrom('consents').select('patron_id'))
      .where('id', 'not in', db.selectFrom('legal_order_patrons').select('patron_id'))
      .where('id', 'not in', db.selectFrom('guardianships').select('minor_id'));
  strangers = await unregistered(db)
    .select(['id', 'name'])
    .where('birth_date', '<', adultBorn)
    .orderBy('id')
    .limit(3)
    .execute();
  const withLoans = await unregistered(db)
    .select('id')
    .where('birth_date', '<', adultBorn)
    .where(
      'id',
      'in',
      db
        .selectFrom('loans')
        .select('patron_id')
        .where('returned_at', 'is', null)
        .where('patron_id', 'is not', null)
        .$narrowType<{ patron_id: string }>(),
    )
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  borrower = withLoans.id;
  unguardedMinor = await unregistered(db)
    .select(['id', 'name'])
    .where('birth_date', '>', minorBorn)
    .orderBy('id')
    .executeTakeFirstOrThrow();
  expect(strangers).toHaveLength(3);
});
afterAll(async () => t?.stop());

/** Runs an operation with a raw bearer token. */
async function asBearer(
  token: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphResponse> {
  const response = await fetch(t.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

describe('only the records custodian writes the registers', () => {
  const attempts = () => [
    {
      name: 'recordConsent',
      query: RECORD_CONSENT,
      variables: {
        input: {
          patronId: strangers[0]!.id,
          grantee: PARTNER_PRINCIPAL,
          scope: ['IDENTITY'],
          documentRef: 'forged-consent',
          validFrom: aMinuteAgo(),
          validUntil: inAYear(),
        },
      },
    },
    { name: 'revokeConsent', query: REVOKE_CONSENT, variables: { id: '1' } },
    {
      name: 'registerLegalOrder',
      query: REGISTER_ORDER,
      variables: {
        input: {
          reference: 'FORGED-ORDER',
          kind: 'SUBPOENA',
          authority: 'Nobody',
          patronIds: [strangers[0]!.id],
          scope: ['IDENTITY'],
          validUntil: inAYear(),
        },
      },
    },
    {
      name: 'approveLegalOrder',
      query: `mutation { approveLegalOrder(orderId: "1") { id } }`,
      variables: {},
    },
    {
      name: 'linkGuardian',
      query: LINK_GUARDIAN,
      variables: { input: { guardianId: patron.id, minorId: minor.id, evidenceRef: 'forged' } },
    },
  ];

  it.each(NOT_CUSTODIAN)(
    '%s gets FORBIDDEN on every register mutation, and nothing is written',
    async (persona) => {
      const db = t.graph.databases!.circulation.db;
      const count = async () =>
        Promise.all(
          (['consents', 'legal_orders', 'legal_order_patrons', 'guardianships'] as const).map(
            async (table) => (await db.selectFrom(table).selectAll().execute()).length,
          ),
        );
      const revoked = await db
        .selectFrom('consents')
        .select('revoked_at')
        .where('id', '=', 1)
        .executeTakeFirst();
      const before = await count();
      for (const attempt of attempts()) {
        const res = await t.query(persona, attempt.query, attempt.variables);
        expect.soft(res.status, attempt.name).toBe(200);
        expect.soft(codes(res), attempt.name).toEqual(['FORBIDDEN']);
        expect.soft(res.data ?? null, attempt.name).toBeNull();
      }
      expect(await count()).toEqual(before);
      expect(
        await db.selectFrom('consents').select('revoked_at').where('id', '=', 1).executeTakeFirst(),
      ).toEqual(revoked);
    },
  );
});

describe('consent (b)', () => {
  it('a recorded consent discloses to the partner on the next request; a revoked one stops on the next', async () => {
    const subject = strangers[0]!;
    const ask = () =>
      t.query('partner', `query($id: ID!) { patron(id: $id) { name } }`, { id: subject.id });
    const before = await ask();
    expect(before.data).toEqual({ patron: null });
    expect(before.errors).toEqual([REDACTED]);

    const recorded = await t.query('records-custodian', RECORD_CONSENT, {
      input: {
        patronId: subject.id,
        grantee: PARTNER_PRINCIPAL,
        scope: ['IDENTITY'],
        documentRef: 'consent-form-e2e-0001',
        validFrom: aMinuteAgo(),
        validUntil: inAYear(),
      },
    });
    expect(recorded.errors).toBeUndefined();
    const consent = recorded.data!.recordConsent as Record<string, unknown>;
    expect(consent).toMatchObject({
      grantee: PARTNER_PRINCIPAL,
      scope: ['IDENTITY'],
      documentRef: 'consent-form-e2e-0001',
      revokedAt: null,
    });
    expect(JSON.stringify(recorded)).not.toContain(subject.id);
    expect(JSON.stringify(recorded)).not.toContain(subject.name);

    const granted = await ask();
    expect(granted.errors).toBeUndefined();
    expect(granted.data).toEqual({ patron: { name: subject.name } });
    // The scope is IDENTITY only: contact data stays redacted.
    const contact = await t.query('partner', `query($id: ID!) { patron(id: $id) { email } }`, {
      id: subject.id,
    });
    expect(codes(contact)).toEqual(['PRIVACY_REDACTED']);

    const revoked = await t.query('records-custodian', REVOKE_CONSENT, { id: consent.id });
    expect(revoked.errors).toBeUndefined();
    expect((revoked.data!.revokeConsent as { revokedAt: string | null }).revokedAt).not.toBeNull();

    const after = await ask();
    expect(after.data).toEqual({ patron: null });
    expect(after.errors).toEqual([REDACTED]);

    const again = await t.query('records-custodian', REVOKE_CONSENT, { id: consent.id });
    expect(codes(again)).toEqual(['BAD_USER_INPUT']);
    expect(again.errors?.[0]?.message).toBe('consentId: this consent is already revoked');
  });

  it('refuses bad input with a message naming the field, never the patron', async () => {
    const res = await t.query('records-custodian', RECORD_CONSENT, {
      input: {
        patronId: 'pat_000000000000',
        grantee: PARTNER_PRINCIPAL,
        scope: ['IDENTITY'],
        documentRef: 'x',
        validFrom: aMinuteAgo(),
        validUntil: inAYear(),
      },
    });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toBe('patronId: no such patron');
    const dates = await t.query('records-custodian', RECORD_CONSENT, {
      input: {
        patronId: strangers[1]!.id,
        grantee: PARTNER_PRINCIPAL,
        scope: ['IDENTITY', 'IDENTITY'],
        documentRef: 'x',
        validFrom: aMinuteAgo(),
        validUntil: inAYear(),
      },
    });
    expect(dates.errors?.[0]?.message).toBe('scope: names a category twice');
  });
});

describe('legal process (c)', () => {
  it('a registered order unlocks its patron for the custodian who names it in X-Legal-Process', async () => {
    const reference = 'JEFFCO-2026-CR-E2E1';
    const ask = (headers: Record<string, string>) =>
      t.query(
        'records-custodian',
        `query($id: ID!) { patron(id: $id) { loans { id } } }`,
        { id: borrower },
        headers,
      );
    expect((await ask({ 'x-legal-process': reference })).errors).toEqual([REDACTED]);

    const registered = await t.query('records-custodian', REGISTER_ORDER, {
      input: {
        reference,
        kind: 'COURT_ORDER',
        authority: 'Jefferson County District Court',
        patronIds: [borrower, strangers[2]!.id],
        scope: ['IDENTITY', 'CIRCULATION'],
        validUntil: inAYear(),
      },
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.registerLegalOrder).toMatchObject({
      reference,
      kind: 'COURT_ORDER',
      patronCount: 2,
      scope: ['IDENTITY', 'CIRCULATION'],
    });
    expect(JSON.stringify(registered)).not.toContain(borrower);
    // Two-person rule: nothing until a second custodian approves.
    expect((await ask({ 'x-legal-process': reference })).errors).toEqual([REDACTED]);
    const approved = await t.query(
      'records-custodian-2',
      `mutation($id: ID!) { approveLegalOrder(orderId: $id) { status } }`,
      { id: (registered.data!.registerLegalOrder as { id: string }).id },
    );
    expect(approved.data).toEqual({ approveLegalOrder: { status: 'APPROVED' } });

    const unlocked = await ask({ 'x-legal-process': reference });
    expect(unlocked.errors).toBeUndefined();
    const loans = (unlocked.data!.patron as { loans: { id: string }[] }).loans;
    expect(loans.length).toBeGreaterThan(0);

    // Without the header, or under another order, the same patron stays hidden.
    expect((await ask({})).errors).toEqual([REDACTED]);
    expect((await ask({ 'x-legal-process': SEEDED_LEGAL_ORDER })).errors).toEqual([REDACTED]);
  });

  it('refuses a duplicate reference and an unknown patron, writing nothing', async () => {
    const db = t.graph.databases!.circulation.db;
    const orders = (await db.selectFrom('legal_orders').select('id').execute()).length;
    const input = {
      reference: SEEDED_LEGAL_ORDER,
      kind: 'SUBPOENA',
      authority: 'Court',
      patronIds: [strangers[1]!.id],
      scope: ['IDENTITY'],
      validUntil: inAYear(),
    };
    const duplicate = await t.query('records-custodian', REGISTER_ORDER, { input });
    expect(duplicate.errors?.[0]).toMatchObject({
      message: 'reference: an order with this reference is already registered',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const unknown = await t.query('records-custodian', REGISTER_ORDER, {
      input: {
        ...input,
        reference: 'NEW-REF-1',
        patronIds: [strangers[1]!.id, 'pat_000000000000'],
      },
    });
    expect(unknown.errors?.[0]).toMatchObject({
      message: 'patronIds[1]: no such patron',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect((await db.selectFrom('legal_orders').select('id').execute()).length).toBe(orders);
  });
});

describe('guardianship (d)', () => {
  it('refuses an adult as the minor', async () => {
    const res = await t.query('records-custodian', LINK_GUARDIAN, {
      input: { guardianId: guardian.id, minorId: patron.id, evidenceRef: 'court-decree-1' },
    });
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]).toMatchObject({
      message: 'minorId: the patron is not under 18 today',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses a link that already exists', async () => {
    const res = await t.query('records-custodian', LINK_GUARDIAN, {
      input: { guardianId: guardian.id, minorId: minor.id, evidenceRef: 'again' },
    });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/already linked/);
  });

  it('a new link lets the guardian see the minor on the next request', async () => {
    const ask = () =>
      t.query('guardian', `query($id: ID!) { patron(id: $id) { name } }`, {
        id: unguardedMinor.id,
      });
    expect((await ask()).errors).toEqual([REDACTED]);
    const linked = await t.query('records-custodian', LINK_GUARDIAN, {
      input: {
        guardianId: guardian.id,
        minorId: unguardedMinor.id,
        evidenceRef: 'birth-certificate-e2e',
      },
    });
    expect(linked.errors).toBeUndefined();
    expect(Object.keys(linked.data!.linkGuardian as object).sort()).toEqual([
      'createdAt',
      'evidenceRef',
      'id',
    ]);
    expect((await ask()).data).toEqual({ patron: { name: unguardedMinor.name } });
  });
});

describe('card login (d)', () => {
  it('an unknown card and a wrong PIN get the one same refusal', async () => {
    const unknown = await t.query('anonymous', CARD_LOGIN, { card: '29019999999999', pin: '1234' });
    const wrong = await t.query('anonymous', CARD_LOGIN, { card: patron.cardNumber, pin: '0000' });
    expect(unknown.data ?? null).toBeNull();
    expect(unknown.errors).toEqual([
      {
        message: CARD_LOGIN_REFUSED,
        path: ['authenticateWithCard'],
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
    expect(wrong.errors).toEqual(unknown.errors);
    expect(wrong.data ?? null).toEqual(unknown.data ?? null);
  });

  it("the minor's card and PIN log in as the minor", async () => {
    const res = await t.query('anonymous', CARD_LOGIN, { card: minor.cardNumber, pin: minor.pin });
    expect(res.errors).toBeUndefined();
    const login = res.data!.authenticateWithCard as { token: string; expiresAt: string };
    expect(Date.parse(login.expiresAt)).toBeGreaterThan(Date.now());
    const me = await asBearer(login.token, '{ me { id name } }');
    expect(me.status).toBe(200);
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: { id: minor.id, name: minor.name } });
    // The token is the minor's own (SELF), nobody else's.
    const other = await asBearer(login.token, `{ patron(id: "${guardian.id}") { name } }`);
    expect(other.errors).toEqual([REDACTED]);
  });
});
