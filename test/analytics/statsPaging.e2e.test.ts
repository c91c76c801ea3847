/**
 * Pages of statistics answers through the gateway, on the demo seed: paging through an answer
 * lists each group once, in order, with the same count, margins and total on every page; the
 * pages together are the answer; a cursor altered, made up, or of another answer is refused with
 * BAD_USER_INPUT that says why; `first` is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';

let t: TestGraph;

beforeAll(async () => {
  t = await startTestGraph({
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000',
    RATE_LIMIT_PRINCIPAL_BURST: '1000000',
  });
});
afterAll(async () => t?.stop());

const THIS_YEAR = new Date().getUTCFullYear();
const RANGE = `from: "${THIS_YEAR - 1}-01", to: "${THIS_YEAR}-12"`;
const FINEST = '[BRANCH, FORMAT, AGE_BAND, HOME_BRANCH, MONTH]';
const GROUP =
  'branch { id } format ageBand homeBranch { id } month checkouts checkoutsMarginOfError distinctBorrowers suppressed';

interface Group {
  branch: { id: string } | null;
  format: string | null;
  ageBand: string | null;
  homeBranch: { id: string } | null;
  month: string | null;
  checkouts: number | null;
  suppressed: boolean;
}
interface Page {
  nodes: Group[];
  totalCount: number;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}
interface Stats {
  margins: Group[];
  total: Group;
  cellCount: number;
  cellPage: Page;
}

/** `args` of circulationStats, and `page` the arguments of its cellPage (besides `after`). */
const circulation = (
  args: string,
  page = '',
) => `query($after: String) { circulationStats(${RANGE}, ${args}) {
  cellCount releases { id }
  cellPage(after: $after${page ? `, ${page}` : ''}) { totalCount pageInfo { endCursor hasNextPage } nodes { ${GROUP} } }
  margins { dimension ${GROUP} } total { ${GROUP} } } }`;

const stats = (res: GraphResponse): Stats => {
  expect(res.errors ?? []).toEqual([]);
  return (res.data as { circulationStats: Stats }).circulationStats;
};

const keyOf = (g: Group) =>
  JSON.stringify([g.branch?.id, g.format, g.ageBand, g.homeBranch?.id, g.month]);

/** Every page of an answer, following endCursor. */
async function allPages(args: string, page: string): Promise<Stats[]> {
  const pages: Stats[] = [];
  let after: string | null = null;
  for (;;) {
    const answer = stats(await t.query('analytics', circulation(args, page), { after }));
    pages.push(answer);
    if (!answer.cellPage.pageInfo.hasNextPage) return pages;
    after = answer.cellPage.pageInfo.endCursor;
    expect(pages.length).toBeLessThan(1000);
  }
}

describe('paging statistics', () => {
  for (const protection of ['SUPPRESSION', 'DIFFERENTIAL_PRIVACY']) {
    it(`${protection}: the pages list every group once, in order, with one count, margins and total`, async () => {
      const whole = stats(
        await t.query('analytics', circulation(`groupBy: ${FINEST}, protection: ${protection}`), {
          after: null,
        }),
      );
      const size = Math.min(1000, Math.ceil(whole.cellCount / 7));
      expect(whole.cellCount).toBeGreaterThan(14);
      const pages = await allPages(
        `groupBy: ${FINEST}, protection: ${protection}`,
        `first: ${size}`,
      );
      expect(pages.length).toBe(Math.ceil(whole.cellCount / size));
      const cells = pages.flatMap((p) => p.cellPage.nodes);
      expect(cells.length).toBe(whole.cellCount);
      const keys = cells.map(keyOf);
      expect(new Set(keys).size).toBe(keys.length);
      for (const p of pages) {
        expect(p.cellCount).toBe(whole.cellCount);
        expect(p.cellPage.totalCount).toBe(whole.cellCount);
        expect(p.cellPage.nodes.length).toBeLessThanOrEqual(size);
        expect(p.margins).toEqual(whole.margins);
        expect(p.total).toEqual(whole.total);
      }
      // `cells` lists the same groups when they fit in one page, and refuses a larger answer
      // rather than give its first part as the whole.
      const listed = await t.query(
        'analytics',
        `{ circulationStats(${RANGE}, groupBy: ${FINEST}, protection: ${protection}) { cells { ${GROUP} } } }`,
      );
      if (whole.cellCount <= 1000)
        expect(
          (listed.data as { circulationStats: { cells: Group[] } }).circulationStats.cells,
        ).toEqual(cells);
      else expect(codes(listed)).toEqual(['BAD_USER_INPUT']);
      expect(pages.at(-1)!.cellPage.pageInfo).toMatchObject({ hasNextPage: false });
    });
  }

  it('a page is of at most 1000 groups by default', async () => {
    const first = stats(
      await t.query('analytics', circulation(`groupBy: ${FINEST}`), { after: null }),
    );
    expect(first.cellPage.nodes.length).toBe(Math.min(1000, first.cellCount));
    expect(first.cellPage.pageInfo.hasNextPage).toBe(first.cellCount > 1000);
  });

  it('eventStats pages too', async () => {
    const query = `query($after: String) { eventStats(${RANGE}, groupBy: [BRANCH, MONTH]) {
      cellCount cellPage(first: 2, after: $after) { pageInfo { endCursor hasNextPage } nodes { branch { id } month registrations suppressed } } } }`;
    type Page = {
      cellCount: number;
      cellPage: {
        pageInfo: { endCursor: string | null; hasNextPage: boolean };
        nodes: { branch: { id: string }; month: string }[];
      };
    };
    const seen: string[] = [];
    let after: string | null = null;
    const counts = new Set<number>();
    for (;;) {
      const res = await t.query('analytics', query, { after });
      expect(res.errors ?? []).toEqual([]);
      const page = (res.data as { eventStats: Page }).eventStats;
      counts.add(page.cellCount);
      seen.push(...page.cellPage.nodes.map((c) => `${c.branch.id} ${c.month}`));
      if (!page.cellPage.pageInfo.hasNextPage) break;
      after = page.cellPage.pageInfo.endCursor;
    }
    expect(counts.size).toBe(1);
    const [count] = [...counts] as [number];
    expect(count).toBeGreaterThan(2);
    expect(seen.length).toBe(count);
    expect(new Set(seen).size).toBe(count);
  });
});

describe('cursors and page sizes that are refused', () => {
  const firstCursor = async (args: string) =>
    stats(await t.query('analytics', circulation(args, 'first: 10'), { after: null })).cellPage
      .pageInfo.endCursor!;
  const refusal = async (args: string, after: string) => {
    const res = await t.query('analytics', circulation(args, 'first: 10'), { after });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.message).toMatch(/after is not a cursor of this answer/);
    expect(res.data?.circulationStats ?? null).toBeNull();
  };

  it('a cursor altered by hand, made up or empty', async () => {
    const cursor = await firstCursor(`groupBy: ${FINEST}`);
    const raw = Buffer.from(cursor, 'base64url').toString('latin1');
    const [offset, check] = raw.split('.') as [string, string];
    await refusal(
      `groupBy: ${FINEST}`,
      Buffer.from(`${Number(offset) + 1}.${check}`).toString('base64url'),
    );
    await refusal(
      `groupBy: ${FINEST}`,
      Buffer.from(`${offset}.${check.slice(1)}A`).toString('base64url'),
    );
    await refusal(`groupBy: ${FINEST}`, `${cursor}A`);
    await refusal(`groupBy: ${FINEST}`, 'not a cursor');
    await refusal(`groupBy: ${FINEST}`, '');
    await refusal(`groupBy: ${FINEST}`, Buffer.from(`-5.${check}`).toString('base64url'));
  });

  it('a cursor of another grouping, range or protection', async () => {
    const cursor = await firstCursor(`groupBy: ${FINEST}`);
    await refusal(`groupBy: [BRANCH, FORMAT, AGE_BAND, HOME_BRANCH]`, cursor);
    await refusal(`groupBy: ${FINEST}, protection: DIFFERENTIAL_PRIVACY`, cursor);
    const other = `query($after: String) { circulationStats(from: "${THIS_YEAR - 1}-02", to: "${THIS_YEAR}-12", groupBy: ${FINEST}) { cellPage(first: 10, after: $after) { totalCount } } }`;
    const res = await t.query('analytics', other, { after: cursor });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it('first below 1 or above 1000', async () => {
    for (const first of [0, -1, 1001]) {
      const res = await t.query('analytics', circulation('groupBy: [BRANCH]', `first: ${first}`), {
        after: null,
      });
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.message).toMatch(/first must be between 1 and 1000/);
    }
  });
});
