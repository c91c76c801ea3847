import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGraph, type TestGraph } from '../support/graph.js';

/**
 * DataLoaders built per request batch every entity hop and every privacy fact, so the number of
 * SQL statements a query costs does not grow with the length of the list it returns.
 */
let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph();
});
afterAll(async () => t?.stop());

async function statementsFor(
  run: () => Promise<unknown>,
): Promise<{ catalog: number; circulation: number; events: number }> {
  const dbs = t.graph.databases!;
  for (const db of Object.values(dbs)) db.statements.reset();
  await run();
  return {
    catalog: dbs.catalog.statements.count,
    circulation: dbs.circulation.statements.count,
    events: dbs.events.statements.count,
  };
}

describe('SQL statements per query, independent of list length', () => {
  it('100 loans with their items and works cost the same as 10', async () => {
    const query = `query($n: Int!) { loans(first: $n) { nodes { id dueAt item { barcode callNumber availability
      work { title creators holdCount } branch { name } } } } }`;
    const cost = async (n: number) =>
      statementsFor(async () => {
        const res = await t.query('circulation-staff', query, { n });
        expect(res.errors).toBeUndefined();
        expect((res.data!.loans as { nodes: unknown[] }).nodes).toHaveLength(n);
      });
    const ten = await cost(10);
    const hundred = await cost(100);
    expect(hundred).toEqual(ten);
    expect(ten.catalog + ten.circulation).toBeGreaterThan(0);
  });

  it('1,000 loans with their patrons (and the facts to decide on them) cost the same as 10', async () => {
    const query = `query($n: Int!) { loans(first: $n) { nodes { id patron { id name email cardNumber holds { id } } } } }`;
    const cost = async (persona: 'circulation-staff' | 'partner' | 'guardian', n: number) =>
      statementsFor(async () => {
        const res = await t.query(persona, query, { n });
        expect((res.data!.loans as { nodes: unknown[] } | null)?.nodes?.length ?? n).toBe(n);
      });
    expect(await cost('circulation-staff', 1000)).toEqual(await cost('circulation-staff', 10));
  });

  it('a partner deciding consents per patron costs a constant number of statements', async () => {
    // The partner cannot list loans, so reach many patrons through many root lookups instead.
    const many = (ids: string[]) =>
      `{ ${ids.map((id, i) => `p${i}: patron(id: "${id}") { name email loans { id } }`).join(' ')} }`;
    const patrons = await t.graph
      .databases!.circulation.db.selectFrom('patrons')
      .select('id')
      .limit(200)
      .execute();
    const ids = patrons.map((p) => p.id);
    const ten = await statementsFor(() => t.query('partner', many(ids.slice(0, 10))));
    const two = await statementsFor(() => t.query('partner', many(ids.slice(0, 200))));
    expect(two).toEqual(ten);
  });
});
