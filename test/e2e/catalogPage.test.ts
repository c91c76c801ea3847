import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGraph, type TestGraph } from '../support/graph.js';

/**
 * A page of works reads what its query asks for: the items and branches of the whole page in one
 * statement each, however the query selects them (fields, fragments, aliases), and the total only
 * when `totalCount` is asked for.
 */
let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph();
});
afterAll(async () => t?.stop());

async function catalogStatements(query: string): Promise<{ count: number; data: unknown }> {
  const catalog = t.graph.databases!.catalog;
  catalog.statements.reset();
  const res = await t.query('anonymous', query);
  expect(res.errors).toBeUndefined();
  return { count: catalog.statements.count, data: res.data };
}

describe('a page of works', () => {
  it('counts the catalog only when the query asks for totalCount', async () => {
    const without = await catalogStatements('{ works(first: 5) { nodes { id } } }');
    const withTotal = await catalogStatements('{ works(first: 5) { nodes { id } totalCount } }');
    expect(withTotal.count).toBe(without.count + 1);
    expect((withTotal.data as { works: { totalCount: number } }).works.totalCount).toBeGreaterThan(
      5,
    );
  });

  it('answers items and branches alike through fields, fragments and aliases, in the same statements for 100 works as for 10', async () => {
    const plain = (n: number) =>
      `{ works(first: ${n}) { nodes { id items { id barcode branch { id name } } } } }`;
    const fragments = (n: number) => `query { works(first: ${n}) { ...Page } }
      fragment Page on WorkConnection { nodes { id ... on Work { items { ...Copy } } } }
      fragment Copy on Item { id barcode shelf: branch { id name } }`;
    const [ten, hundred] = [
      await catalogStatements(plain(10)),
      await catalogStatements(plain(100)),
    ];
    expect(hundred.count).toBe(ten.count);
    const viaFragments = await catalogStatements(fragments(100));
    expect(viaFragments.count).toBe(hundred.count);
    type Page = {
      works: {
        nodes: {
          id: string;
          items: { id: string; barcode: string; branch?: unknown; shelf?: unknown }[];
        }[];
      };
    };
    const items = (page: Page) =>
      page.works.nodes.flatMap((w) =>
        w.items.map((i) => ({
          work: w.id,
          id: i.id,
          barcode: i.barcode,
          branch: i.branch ?? i.shelf,
        })),
      );
    const expected = items(hundred.data as Page);
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.every((i) => (i.branch as { name?: string }).name)).toBe(true);
    expect(items(viaFragments.data as Page)).toEqual(expected);
  });
});
