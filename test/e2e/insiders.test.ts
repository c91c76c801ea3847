import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS, SEEDED_LEGAL_ORDER } from '../../src/dev/personas.js';
import { checkAnchors, readAnchors } from '../../src/privacy/audit/store/anchor.js';
import { mintToken } from '../../src/privacy/authenticate/token.js';
import { codes, startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';
import { auditLogOf } from '../../src/privacy/audit/store/auditLog.js';

/**
 * Insiders of issue 16: a records custodian serving themself, events staff turning ids into names,
 * a patron's disclosure log naming other people, and a sealed order the patron must not learn of
 * yet. Each describe opens with the attack as it worked before.
 */

const { patron, minor, guardian } = PERSONA_PATRONS;
const REGISTER_ORDER = `mutation($input: RegisterLegalOrderInput!) {
  registerLegalOrder(input: $input) { id reference status registeredBy approvedBy validFrom sealedUntil patronCount } }`;
const APPROVE_ORDER = `mutation($id: ID!) { approveLegalOrder(orderId: $id) { id status registeredBy approvedBy validFrom } }`;
const REDACTED = 'PRIVACY_REDACTED';

let t: TestGraph;
/** Adults outside every register, with open loans. */
let strangers: { id: string; name: string; card_number: string }[];
let upcomingEvents: string[];

beforeAll(async () => {
  t = await startTestGraph({ AUDIT_ANCHOR_INTERVAL_SECONDS: '1' });
  const db = t.graph.databases!.circulation.db;
  const adultBorn = `${new Date().getUTCFullYear() - 19}-01-01`;
  strangers = await db
    .selectFrom('patrons')
    .select(['id', 'name', 'card_number'])
    .where('id', 'not in', [patron.id, minor.id, guardian.id])
    .where('id', 'not in', db.selectFrom('legal_order_patrons').select('patron_id'))
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
    .orderBy('id')
    .limit(6)
    .execute();
  const events = await t.graph
    .databases!.events.db.selectFrom('events')
    .select('id')
    .where('starts_at', '>', new Date(Date.now() + 86_400_000).toISOString())
    .orderBy('starts_at')
    .limit(4)
    .execute();
  upcomingEvents = events.map((e) => e.id);
  expect(strangers).toHaveLength(6);
  expect(upcomingEvents).toHaveLength(4);
});
afterAll(async () => t?.stop());

const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
const orderInput = (
  reference: string,
  patronIds: string[],
  extra: Record<string, unknown> = {},
) => ({
  reference,
  kind: 'COURT_ORDER',
  authority: 'Jefferson County District Court',
  patronIds,
  scope: ['IDENTITY', 'CIRCULATION'],
  validUntil: inAYear(),
  ...extra,
});
const nameUnder = (reference: string, id: string) =>
  t.query(
    'records-custodian',
    `query($id: ID!) { patron(id: $id) { name } }`,
    { id },
    { 'x-legal-process': reference },
  );
const ok = (res: GraphResponse): Record<string, unknown> => {
  expect(res.errors).toBeUndefined();
  return res.data!;
};

describe('two people for a legal order', () => {
  it('attack: a backdated order registered and used at once by one custodian discloses nothing', async () => {
    const victim = strangers[0]!;
    const backdated = await t.query('records-custodian', REGISTER_ORDER, {
      input: orderInput('SELF-SERVE-1', [victim.id], { validFrom: '2020-01-01T00:00:00Z' }),
    });
    expect(codes(backdated)).toEqual(['BAD_USER_INPUT']);
    expect(backdated.errors?.[0]?.message).toMatch(/^validFrom: /);

    const registered = ok(
      await t.query('records-custodian', REGISTER_ORDER, {
        input: orderInput('SELF-SERVE-2', [victim.id]),
      }),
    );
    const order = registered.registerLegalOrder as {
      id: string;
      status: string;
      registeredBy: string;
      approvedBy: string | null;
    };
    expect(order).toMatchObject({
      status: 'AWAITING_APPROVAL',
      registeredBy: PERSONAS['records-custodian'].sub,
      approvedBy: null,
    });
    const used = await nameUnder('SELF-SERVE-2', victim.id);
    expect(used.data).toEqual({ patron: null });
    expect(codes(used)).toEqual([REDACTED]);

    const selfApproved = await t.query('records-custodian', APPROVE_ORDER, { id: order.id });
    expect(codes(selfApproved)).toEqual(['FORBIDDEN']);
    expect(selfApproved.errors?.[0]?.message).toMatch(/different custodian/);
    expect(codes(await nameUnder('SELF-SERVE-2', victim.id))).toEqual([REDACTED]);
  });

  it('a second custodian approves; then the order discloses, and both acts are in the audit', async () => {
    const subject = strangers[1]!;
    const registered = ok(
      await t.query('records-custodian', REGISTER_ORDER, {
        input: orderInput('JEFFCO-2026-CV-7001', [subject.id]),
      }),
    );
    const id = (registered.registerLegalOrder as { id: string }).id;
    const approved = ok(await t.query('records-custodian-2', APPROVE_ORDER, { id }));
    expect(approved.approveLegalOrder).toMatchObject({
      status: 'APPROVED',
      registeredBy: PERSONAS['records-custodian'].sub,
      approvedBy: PERSONAS['records-custodian-2'].sub,
    });
    expect(ok(await nameUnder('JEFFCO-2026-CV-7001', subject.id))).toEqual({
      patron: { name: subject.name },
    });
    const again = await t.query('records-custodian-2', APPROVE_ORDER, { id });
    expect(codes(again)).toEqual(['BAD_USER_INPUT']);

    const trail = ok(
      await t.query(
        'records-custodian',
        `query($p: ID!) { disclosures(patronId: $p, first: 50) { nodes { subgraph principal fields reference } } }`,
        { p: subject.id },
      ),
    );
    const acts = (
      trail.disclosures as {
        nodes: { subgraph: string; principal: string; fields: string[]; reference: string }[];
      }
    ).nodes.filter((n) => n.subgraph === 'registers');
    expect(acts).toEqual([
      {
        subgraph: 'registers',
        principal: PERSONAS['records-custodian-2'].sub,
        fields: ['LegalOrder.approved'],
        reference: 'JEFFCO-2026-CV-7001',
      },
      {
        subgraph: 'registers',
        principal: PERSONAS['records-custodian'].sub,
        fields: ['LegalOrder.registered'],
        reference: 'JEFFCO-2026-CV-7001',
      },
    ]);
  });

  it('the seeded order stays usable: it was approved by a second custodian', async () => {
    expect(ok(await nameUnder(SEEDED_LEGAL_ORDER, patron.id))).toEqual({
      patron: { name: patron.name },
    });
  });

  it('without an order in scope, a custodian lists loans as analytics would: days, no borrower', async () => {
    const res = await t.query(
      'records-custodian',
      '{ loans(first: 200) { nodes { checkedOutAt dueAt returnedAt patron { id } } } }',
    );
    const nodes = (
      res.data!.loans as {
        nodes: {
          checkedOutAt: string;
          dueAt: string;
          returnedAt: string | null;
          patron: unknown;
        }[];
      }
    ).nodes;
    expect(nodes.length).toBe(200);
    const times = nodes.flatMap((n) => [
      n.checkedOutAt,
      n.dueAt,
      ...(n.returnedAt ? [n.returnedAt] : []),
    ]);
    expect(times.filter((at) => !at.endsWith('T00:00:00.000Z'))).toEqual([]);
    expect(nodes.every((n) => n.patron === null)).toBe(true);
  });
});

describe('on-behalf actions take the card', () => {
  const REGISTER = `mutation($e: ID!, $card: String) { registerForEvent(eventId: $e, cardNumber: $card) { id attendee { name } } }`;

  it('attack: events staff can no longer turn a patron id into a name', async () => {
    const res = await t.query(
      'events-staff',
      `mutation($e: ID!, $p: ID!) { registerForEvent(eventId: $e, patronId: $p) { attendee { name } } }`,
      { e: upcomingEvents[0], p: strangers[2]!.id },
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res)).not.toContain(strangers[2]!.name);
  });

  it('staff register the patron who presents their card', async () => {
    const res = ok(
      await t.query('events-staff', REGISTER, {
        e: upcomingEvents[1],
        card: strangers[3]!.card_number,
      }),
    );
    expect(res.registerForEvent).toMatchObject({ attendee: { name: strangers[3]!.name } });
  });

  it('an unknown card answers exactly like a card the caller may not act for', async () => {
    const unknown = await t.query('patron', REGISTER, {
      e: upcomingEvents[2],
      card: '29019999999999',
    });
    const other = await t.query('patron', REGISTER, {
      e: upcomingEvents[2],
      card: strangers[4]!.card_number,
    });
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(other).toEqual(unknown);
    const staffUnknown = await t.query('events-staff', REGISTER, {
      e: upcomingEvents[2],
      card: '29019999999999',
    });
    expect(staffUnknown.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
  });

  it('circulation staff check out and place holds by card', async () => {
    const db = t.graph.databases!.circulation.db;
    const item = await db
      .selectFrom('items')
      .select(['id', 'work_id'])
      .where(
        'id',
        'not in',
        db.selectFrom('loans').select('item_id').where('returned_at', 'is', null),
      )
      .where(
        'id',
        'not in',
        db
          .selectFrom('holds')
          .select('item_id')
          .where('item_id', 'is not', null)
          .$narrowType<{ item_id: string }>(),
      )
      .executeTakeFirstOrThrow();
    const card = strangers[5]!.card_number;
    const loan = ok(
      await t.query(
        'circulation-staff',
        `mutation($i: ID!, $c: String) { checkout(itemId: $i, cardNumber: $c) { patron { name } } }`,
        { i: item.id, c: card },
      ),
    );
    expect(loan.checkout).toEqual({ patron: { name: strangers[5]!.name } });
    const unknown = await t.query(
      'circulation-staff',
      `mutation($i: ID!, $c: String) { checkout(itemId: $i, cardNumber: $c) { id } }`,
      { i: item.id, c: '29019999999999' },
    );
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    const hold = await t.query(
      'circulation-staff',
      `mutation($w: ID!, $c: String) { placeHold(workId: $w, pickupBranchId: "br_01", cardNumber: $c) { patron { name } } }`,
      { w: item.work_id, c: card },
    );
    expect(codes(hold).filter((c) => c !== 'BAD_USER_INPUT')).toEqual([]);
  });
});

describe("a patron's disclosure log shows roles, not people", () => {
  it('attack: the log names neither the other reader nor their stated purpose', async () => {
    await t.query('guardian', `{ patron(id: "${minor.id}") { name } }`, undefined, {
      'x-request-id': 'log-guardian',
      'x-disclosure-purpose': 'worried about Milo',
    });
    await t.query('circulation-staff', `{ patron(id: "${minor.id}") { email } }`, undefined, {
      'x-request-id': 'log-staff',
      'x-disclosure-purpose': 'overdue notice for Milo',
    });
    const own = await t.query(
      'minor',
      '{ me { disclosures { at recipient exception fields reference } } }',
    );
    const text = JSON.stringify(own);
    expect(text).not.toContain(PERSONAS.guardian.sub);
    expect(text).not.toContain(PERSONAS['circulation-staff'].sub);
    expect(text).not.toContain('worried');
    expect(text).not.toContain('overdue notice');
    const log = (own.data!.me as { disclosures: { recipient: string; exception: string }[] })
      .disclosures;
    expect(log.map((r) => r.recipient)).toEqual(
      expect.arrayContaining(['guardian', 'circulation staff, OPERATIONS']),
    );
    const principalField = await t.query('minor', '{ me { disclosures { principal purpose } } }');
    expect(principalField.status).toBe(400);
  });

  it("the guardian's view of the minor's log shows roles too; the custodian keeps everything", async () => {
    const seen = await t.query(
      'guardian',
      `{ patron(id: "${minor.id}") { disclosures { recipient } } }`,
    );
    expect(JSON.stringify(seen)).not.toContain(PERSONAS['circulation-staff'].sub);
    const full = ok(
      await t.query(
        'records-custodian',
        `{ disclosures(patronId: "${minor.id}", first: 50) { nodes { requestId principal purpose } } }`,
      ),
    );
    const nodes = (
      full.disclosures as { nodes: { requestId: string; principal: string; purpose: string }[] }
    ).nodes;
    expect(nodes.find((n) => n.requestId === 'log-guardian')).toEqual({
      requestId: 'log-guardian',
      principal: PERSONAS.guardian.sub,
      purpose: 'worried about Milo',
    });
  });

  it("a legal order's disclosures are shown as the order", async () => {
    await nameUnder(SEEDED_LEGAL_ORDER, patron.id);
    const own = ok(
      await t.query('patron', '{ me { disclosures { recipient exception reference } } }'),
    );
    const log = (
      own.me as {
        disclosures: { recipient: string; exception: string; reference: string | null }[];
      }
    ).disclosures;
    expect(log).toContainEqual({
      recipient: `subpoena ${SEEDED_LEGAL_ORDER}`,
      exception: 'LEGAL_PROCESS',
      reference: SEEDED_LEGAL_ORDER,
    });
  });
});

describe('sealed orders', () => {
  it("a sealed order's disclosures stay out of the patron's log, and so does the custodian's review of that log", async () => {
    // The seal's end is tested against a given clock in test/domain/disclosureLog.test.ts.
    const subject = strangers[1]!;
    const sealedUntil = inAYear();
    const registered = ok(
      await t.query('records-custodian', REGISTER_ORDER, {
        input: orderInput('SEALED-2026-0001', [subject.id], { sealedUntil }),
      }),
    );
    const order = registered.registerLegalOrder as { id: string; sealedUntil: string };
    expect(order.sealedUntil).toBe(sealedUntil);
    ok(await t.query('records-custodian-2', APPROVE_ORDER, { id: order.id }));
    ok(await nameUnder('SEALED-2026-0001', subject.id));
    const ownLog = async () => {
      const token = await mintToken(
        { sub: 'patron:sealed-subject', roles: ['patron'], patronId: subject.id },
        t.config,
      );
      const response = await fetch(t.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { disclosures { id recipient reference } } }' }),
      });
      const body = (await response.json()) as {
        data: {
          me: { disclosures: { id: string; recipient: string; reference: string | null }[] };
        };
      };
      return body.data.me.disclosures;
    };
    const before = await ownLog();
    expect(before.map((d) => d.reference)).not.toContain('SEALED-2026-0001');
    // The custodian sees the sealed order's disclosure at once (not only the register's acts)...
    const custodian = ok(
      await t.query(
        'records-custodian',
        `{ disclosures(patronId: "${subject.id}", first: 50) { nodes { subgraph reference fields } } }`,
      ),
    );
    expect((custodian.disclosures as { nodes: unknown[] }).nodes).toContainEqual({
      subgraph: 'circulation',
      reference: 'SEALED-2026-0001',
      fields: ['Patron.name', 'Query.patron'],
    });
    ok(
      await t.query(
        'records-custodian',
        `{ disclosures(patronId: "${subject.id}", first: 50) { nodes { subgraph } } }`,
        undefined,
        { 'x-legal-process': 'SEALED-2026-0001' },
      ),
    );
    // ...and the patron learns nothing of that review while the seal lasts.
    expect(await ownLog()).toEqual(before);
  });
});

describe('anchors', () => {
  it('the running graph writes signed chain heads to the anchor file, and they all verify', async () => {
    await nameUnder(SEEDED_LEGAL_ORDER, patron.id);
    const file = t.config.audit.anchorFile!;
    await expect
      .poll(() => new Set(readAnchors(file, t.config.audit.key).anchors.map((a) => a.chain)), {
        timeout: 15_000,
        interval: 200,
      })
      .toEqual(new Set(['circulation', 'registers', 'events']));
    const { anchors, problems } = readAnchors(file, t.config.audit.key);
    expect(problems).toEqual([]);
    const store = auditLogOf(t.graph.databases!.audit, t.config.audit.key);
    expect(await checkAnchors(store, anchors)).toEqual([]);
    // The register's acts, appended beside the writer's records, keep every chain whole.
    const chains = await store.chains();
    expect(
      await Promise.all(chains.map(async (chain) => (await store.verify(chain)).broken)),
    ).toEqual(chains.map(() => null));
  });
});
