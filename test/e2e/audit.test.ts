import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS } from '../../src/dev/personas.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';
import { auditOutage } from '../support/auditOutage.js';

/** Every disclosure under an exception is recorded, visible to the custodian and to the patron. */
let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph();
});
afterAll(async () => t?.stop());

const { patron, minor } = PERSONA_PATRONS;

interface Record {
  principal: string;
  exception: string;
  fields: string[];
  purpose: string | null;
  requestId: string;
  subgraph: string;
  reference: string | null;
  patron: { id: string } | null;
}

async function disclosuresOf(patronId: string, extra = ''): Promise<Record[]> {
  const res = await t.query(
    'records-custodian',
    `query($p: ID!) { disclosures(patronId: $p, first: 500${extra}) { nodes { principal exception fields purpose requestId subgraph reference patron { id } } } }`,
    { p: patronId },
  );
  expect(res.errors?.filter((e) => e.extensions?.code !== 'PRIVACY_REDACTED')).toBeFalsy();
  return (res.data!.disclosures as { nodes: Record[] }).nodes;
}

describe('recording disclosures', () => {
  it('records who saw which fields of whom, under which exception, with the stated purpose', async () => {
    const res = await t.query(
      'circulation-staff',
      `{ patron(id: "${patron.id}") { name email } }`,
      undefined,
      {
        'x-request-id': 'audit-1',
        'x-disclosure-purpose': 'overdue notice',
      },
    );
    expect(res.data).toEqual({ patron: { name: patron.name, email: patron.email } });
    const records = (await disclosuresOf(patron.id)).filter((r) => r.requestId === 'audit-1');
    expect(records).toEqual([
      {
        principal: PERSONAS['circulation-staff'].sub,
        exception: 'OPERATIONS',
        fields: ['Patron.email', 'Patron.name', 'Query.patron'],
        purpose: 'overdue notice',
        requestId: 'audit-1',
        subgraph: 'circulation',
        reference: null,
        patron: { id: patron.id },
      },
    ]);
  });

  it('cites the consent or order relied on', async () => {
    await t.query('partner', `{ patron(id: "${patron.id}") { email } }`, undefined, {
      'x-request-id': 'audit-2',
    });
    await t.query(
      'records-custodian',
      `{ patron(id: "${patron.id}") { loans { id } } }`,
      undefined,
      { 'x-request-id': 'audit-3', 'x-legal-process': 'JEFFCO-2026-CV-0142' },
    );
    const records = await disclosuresOf(patron.id);
    expect(records.find((r) => r.requestId === 'audit-2')).toMatchObject({
      exception: 'CONSENT',
      reference: 'consent-form-2026-0031',
    });
    expect(records.find((r) => r.requestId === 'audit-3')).toMatchObject({
      exception: 'LEGAL_PROCESS',
      reference: 'JEFFCO-2026-CV-0142',
    });
  });

  it('keeps one record per request and patron, not one per list element', async () => {
    const res = await t.query(
      'circulation-staff',
      '{ loans(first: 200, status: OPEN) { nodes { id patron { id name } } } }',
      undefined,
      { 'x-request-id': 'audit-list' },
    );
    const nodes = (res.data!.loans as { nodes: { patron: { id: string } | null }[] }).nodes;
    const patrons = new Set(nodes.flatMap((n) => (n.patron ? [n.patron.id] : [])));
    expect(patrons.size).toBeGreaterThan(10);
    const all = await t.query(
      'records-custodian',
      '{ disclosures(first: 500) { nodes { requestId patron { id } fields } } }',
    );
    const mine = (
      all.data!.disclosures as { nodes: { requestId: string; fields: string[] }[] }
    ).nodes.filter((r) => r.requestId === 'audit-list');
    expect(mine).toHaveLength(patrons.size);
    expect(mine.every((r) => r.fields.join() === 'Loan.patron,Patron.name')).toBe(true);
  });

  it('does not record a patron reading their own record (SELF)', async () => {
    await t.query('patron', '{ me { name email loans { id } } }', undefined, {
      'x-request-id': 'audit-self',
    });
    expect((await disclosuresOf(patron.id)).some((r) => r.requestId === 'audit-self')).toBe(false);
  });
});

describe('who saw my record', () => {
  it("the patron sees their own disclosure log; the guardian sees the minor's", async () => {
    await t.query('circulation-staff', `{ patron(id: "${minor.id}") { name } }`, undefined, {
      'x-request-id': 'audit-minor',
    });
    const own = await t.query('patron', '{ me { disclosures { recipient exception fields } } }');
    expect((own.data!.me as { disclosures: unknown[] }).disclosures.length).toBeGreaterThan(0);
    const guardian = await t.query(
      'guardian',
      `{ patron(id: "${minor.id}") { disclosures { at recipient fields } } }`,
    );
    const log = (
      guardian.data!.patron as { disclosures: { recipient: string; fields: string[] }[] }
    ).disclosures;
    expect(log.find((r) => r.fields.includes('Patron.name'))?.recipient).toBe(
      'circulation staff, OPERATIONS',
    );
    expect(JSON.stringify(log)).not.toContain(PERSONAS['circulation-staff'].sub);
  });

  it('is redacted for staff and partners, and the audit query is FORBIDDEN to all but the custodian', async () => {
    const staff = await t.query(
      'circulation-staff',
      `{ patron(id: "${patron.id}") { disclosures { recipient } } }`,
    );
    expect(staff.data).toEqual({ patron: { disclosures: null } });
    expect(staff.errors?.[0]?.extensions?.code).toBe('PRIVACY_REDACTED');
    for (const persona of [
      'patron',
      'circulation-staff',
      'events-staff',
      'partner',
      'analytics',
      'anonymous',
    ] as const) {
      const res = await t.query(persona, '{ disclosures { nodes { principal } } }');
      expect(res.errors?.[0]?.extensions?.code, persona).toBe('FORBIDDEN');
    }
  });
});

describe("paging the custodian's query", () => {
  it("pages with the cursors it returns, inside a request's records and across requests, and refuses a forged cursor", async () => {
    await t.query(
      'circulation-staff',
      '{ loans(first: 60, status: OPEN) { nodes { patron { name } } } }',
      undefined,
      { 'x-request-id': 'audit-paging' },
    );
    const page = (after: string | null) =>
      t.query(
        'records-custodian',
        'query($after: String) { disclosures(first: 7, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
    // Reading the audit is itself audited, so newer records appear above page one meanwhile;
    // pages after a cursor are stable and must equal one longer page after the same cursor.
    const first = (await page(null)).data!.disclosures as { pageInfo: { endCursor: string } };
    const ids: string[] = [];
    let after: string | null = first.pageInfo.endCursor;
    for (let i = 0; i < 3; i++) {
      const res = await page(after);
      const { nodes, pageInfo } = res.data!.disclosures as {
        nodes: { id: string }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      ids.push(...nodes.map((n) => n.id));
      expect(pageInfo.hasNextPage).toBe(true);
      after = pageInfo.endCursor;
    }
    const longer = await t.query(
      'records-custodian',
      'query($after: String) { disclosures(first: 21, after: $after) { nodes { id } } }',
      { after: first.pageInfo.endCursor },
    );
    expect(ids).toEqual(
      (longer.data!.disclosures as { nodes: { id: string }[] }).nodes.map((n) => n.id),
    );
    expect(new Set(ids).size).toBe(21);
    for (const forged of [
      'bm9wZQ',
      Buffer.from('12').toString('base64url'),
      Buffer.from('1.2.3').toString('base64url'),
    ]) {
      const res = await page(forged);
      expect(res.errors?.[0]?.extensions?.code, forged).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toBe('after is not a cursor this API returned.');
    }
  });
});

describe('fail closed', () => {
  it('redacts every disclosed value when the audit cannot be written, and serves the rest', async () => {
    const restore = await auditOutage(t.graph.databases!.audit);
    try {
      const res = await t.query(
        'circulation-staff',
        `{ patron(id: "${patron.id}") { name email } branches { id } }`,
      );
      expect(res.data!.patron).toBeNull();
      expect((res.data!.branches as unknown[]).length).toBeGreaterThan(0);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['PRIVACY_REDACTED']);
      expect(JSON.stringify(res)).not.toContain(patron.email);
      const listed = await t.query(
        'circulation-staff',
        '{ loans(first: 20, status: OPEN) { nodes { id patron { name } } } }',
      );
      const nodes = (listed.data!.loans as { nodes: { id: string; patron: unknown }[] }).nodes;
      expect(nodes).toHaveLength(20);
      expect(nodes.every((n) => n.patron === null && typeof n.id === 'string')).toBe(true);
      // SELF needs no record, so a patron still reads their own record during an outage.
      expect((await t.query('patron', '{ me { name } }')).data).toEqual({
        me: { name: patron.name },
      });
    } finally {
      await restore();
    }
  });
});
