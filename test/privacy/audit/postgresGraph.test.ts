import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS } from '../../../src/dev/personas.js';
import { PostgresAuditStore } from '../../../src/privacy/audit/store/postgresAuditStore.js';
import { createTestPostgresDatabase, TEST_ON_POSTGRES } from '../../support/database.js';
import { startTestGraph, type TestGraph } from '../../support/graph.js';

/**
 * The whole graph with its audit on PostgreSQL (AUDIT_DATABASE_URL): what a custodian and a
 * patron see of the disclosures, and nothing disclosed while the audit cannot be written.
 * Runs under `npm run test:postgres`.
 */
const { patron } = PERSONA_PATRONS;
let t: TestGraph;

describe.skipIf(!TEST_ON_POSTGRES)('the graph with its audit on PostgreSQL', () => {
  beforeAll(async () => {
    t = await startTestGraph({ AUDIT_DATABASE_URL: await createTestPostgresDatabase() });
  }, 180_000);
  afterAll(async () => t?.stop());

  const audit = () => {
    const database = t.graph.databases!.audit;
    if (database.dialect !== 'postgres') throw new Error('the audit should be on PostgreSQL');
    return database;
  };

  it('records a disclosure before it leaves; the custodian and the patron read it back; the chain verifies', async () => {
    const res = await t.query(
      'circulation-staff',
      `{ patron(id: "${patron.id}") { name email } }`,
      undefined,
      { 'x-request-id': 'pg-audit-1' },
    );
    expect(res.data).toEqual({ patron: { name: patron.name, email: patron.email } });
    const custodian = await t.query(
      'records-custodian',
      'query($p: ID!) { disclosures(patronId: $p, first: 50) { nodes { principal requestId fields } } }',
      { p: patron.id },
    );
    const nodes = (
      custodian.data!.disclosures as {
        nodes: { principal: string; requestId: string; fields: string[] }[];
      }
    ).nodes;
    expect(nodes.filter((n) => n.requestId === 'pg-audit-1')).toEqual([
      {
        principal: PERSONAS['circulation-staff'].sub,
        requestId: 'pg-audit-1',
        fields: ['Patron.email', 'Patron.name', 'Query.patron'],
      },
    ]);
    const own = await t.query('patron', '{ me { disclosures { exception fields } } }');
    expect((own.data!.me as { disclosures: { fields: string[] }[] }).disclosures).toContainEqual({
      exception: 'OPERATIONS',
      fields: ['Patron.email', 'Patron.name', 'Query.patron'],
    });
    const store = new PostgresAuditStore(audit(), t.config.audit.key);
    for (const chain of await store.chains()) expect((await store.verify(chain)).broken).toBeNull();
  });

  it("a legal order's acts go to the `registers` chain, inside the act: an audit that cannot take them undoes the act", async () => {
    const register = (reference: string) =>
      t.query(
        'records-custodian',
        `mutation($input: RegisterLegalOrderInput!) { registerLegalOrder(input: $input) { id } }`,
        {
          input: {
            reference,
            kind: 'SUBPOENA',
            authority: 'Jefferson County District Court',
            patronIds: [patron.id],
            scope: ['IDENTITY'],
            validUntil: new Date(Date.now() + 300 * 86_400_000).toISOString(),
          },
        },
      );
    const registered = await register('PG-AUDIT-ORDER-1');
    expect(registered.errors).toBeUndefined();
    const id = (registered.data!.registerLegalOrder as { id: string }).id;
    expect(
      (
        await t.query(
          'records-custodian-2',
          'mutation($id: ID!) { approveLegalOrder(orderId: $id) { status } }',
          { id },
        )
      ).data,
    ).toEqual({ approveLegalOrder: { status: 'APPROVED' } });
    const trail = await t.query(
      'records-custodian',
      'query($p: ID!) { disclosures(patronId: $p, first: 50) { nodes { subgraph principal fields reference } } }',
      { p: patron.id },
    );
    const acts = (
      trail.data!.disclosures as { nodes: { subgraph: string; reference: string }[] }
    ).nodes.filter((n) => n.subgraph === 'registers' && n.reference === 'PG-AUDIT-ORDER-1');
    expect(acts).toEqual([
      {
        subgraph: 'registers',
        principal: PERSONAS['records-custodian-2'].sub,
        fields: ['LegalOrder.approved'],
        reference: 'PG-AUDIT-ORDER-1',
      },
      {
        subgraph: 'registers',
        principal: PERSONAS['records-custodian'].sub,
        fields: ['LegalOrder.registered'],
        reference: 'PG-AUDIT-ORDER-1',
      },
    ]);

    const db = audit().db;
    await sql`create function audit_refuse_acts() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`.execute(
      db,
    );
    await sql`create trigger audit_refuse_acts before insert on audit_batches for each row execute function audit_refuse_acts()`.execute(
      db,
    );
    try {
      expect((await register('PG-AUDIT-ORDER-2')).errors).toBeDefined();
    } finally {
      await sql`drop trigger audit_refuse_acts on audit_batches`.execute(db);
    }
    const orders = await t.graph
      .databases!.circulation.db.selectFrom('legal_orders')
      .select('reference')
      .where('reference', '=', 'PG-AUDIT-ORDER-2')
      .execute();
    expect(orders).toEqual([]);
  });

  it('redacts every disclosed value when the audit cannot be written, and serves the rest', async () => {
    const db = audit().db;
    await sql`create function audit_outage() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`.execute(
      db,
    );
    await sql`create trigger audit_outage before insert on audit_batches for each row execute function audit_outage()`.execute(
      db,
    );
    try {
      const res = await t.query(
        'circulation-staff',
        `{ patron(id: "${patron.id}") { name email } branches { id } }`,
      );
      expect(res.data!.patron).toBeNull();
      expect((res.data!.branches as unknown[]).length).toBeGreaterThan(0);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['PRIVACY_REDACTED']);
      expect(JSON.stringify(res)).not.toContain(patron.email);
    } finally {
      await sql`drop trigger audit_outage on audit_batches`.execute(db);
    }
    const again = await t.query('circulation-staff', `{ patron(id: "${patron.id}") { email } }`);
    expect(again.data).toEqual({ patron: { email: patron.email } });
  });
});
