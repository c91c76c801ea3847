/**
 * Analytics through the gateway, on the demo seed: who may read statistics, what `analytics` see
 * of a loan, statistics that agree with the database and suppress small groups, and random
 * analytics operations over `loans`, `circulationStats` and `eventStats` in which no seeded
 * patron's id, name, email, phone or card number ever appears. PROPERTY_RUNS sets the count.
 */
import { sql } from 'kysely';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonaName } from '../../src/dev/personas.js';
import { analyticsLoanId } from '../../subgraphs/circulation/analyticsLoan.js';
import { codes, startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';

const RUNS = Math.min(Number(process.env.PROPERTY_RUNS ?? 300), 400);

interface Identity {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  card_number: string;
}
let t: TestGraph;
let patrons: Identity[];
let k: number;

beforeAll(async () => {
  // Hundreds of analytics requests in a minute: the gateway's per-caller rate limit is not under test here.
  t = await startTestGraph({
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000',
    RATE_LIMIT_PRINCIPAL_BURST: '1000000',
  });
  k = t.config.analytics.minCellSize;
  patrons = await t.graph
    .databases!.circulation.db.selectFrom('patrons')
    .select(['id', 'name', 'email', 'phone', 'card_number'])
    .execute();
});
afterAll(async () => t?.stop());

const THIS_YEAR = new Date().getUTCFullYear();
const RANGE = `from: "${THIS_YEAR - 1}-01", to: "${THIS_YEAR}-12"`;

describe('who may read statistics', () => {
  const table: { persona: PersonaName; circulation: boolean; events: boolean }[] = [
    { persona: 'analytics', circulation: true, events: true },
    { persona: 'circulation-staff', circulation: true, events: false },
    { persona: 'events-staff', circulation: false, events: true },
    { persona: 'records-custodian', circulation: true, events: true },
    { persona: 'patron', circulation: false, events: false },
    { persona: 'guardian', circulation: false, events: false },
    { persona: 'partner', circulation: false, events: false },
    { persona: 'anonymous', circulation: false, events: false },
  ];
  it.each(table)(
    '$persona: circulationStats $circulation, eventStats $events',
    async ({ persona, circulation, events }) => {
      const c = await t.query(persona, `{ circulationStats(${RANGE}) { total { checkouts } } }`);
      expect(codes(c)).toEqual(circulation ? [] : ['FORBIDDEN']);
      const e = await t.query(persona, `{ eventStats(${RANGE}) { total { registrations } } }`);
      expect(codes(e)).toEqual(events ? [] : ['FORBIDDEN']);
    },
  );

  it('refuses ranges that are not whole months, reversed or too long', async () => {
    for (const [from, to] of [
      ['2026-01-15', '2026-02'],
      ['2026-03', '2026-01'],
      ['2000-01', '2026-12'],
      ['2026-13', '2026-12'],
    ]) {
      const res = await t.query(
        'analytics',
        `{ circulationStats(from: "${from}", to: "${to}") { total { checkouts } } }`,
      );
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

interface LoanNode {
  id: string;
  borrowerKey: string | null;
  checkedOutDay: string | null;
  checkedOutAt: string;
  dueAt: string;
  item: { dueAt: string | null };
  patron: unknown;
}

describe('what analytics see of a loan', () => {
  const query =
    '{ loans(first: 500) { nodes { id borrowerKey checkedOutDay returnedDay checkedOutAt dueAt returnedAt item { dueAt } patron { id } } } }';

  it('a pseudonymous borrower key, one per patron, never the patron; times cut to the day; no patron', async () => {
    const res = await t.query('analytics', query);
    expect(new Set(codes(res))).toEqual(new Set(['PRIVACY_REDACTED']));
    const nodes = (res.data!.loans as { nodes: LoanNode[] }).nodes;
    // Loan ids are opaque to analytics: a keyed digest per loan and checkout period, never the row id.
    const { pseudonymKey, pseudonymPeriod } = t.config.analytics;
    const rows = await t.graph
      .databases!.circulation.db.selectFrom('loans')
      .select(['id', 'patron_id', 'returned_at', 'checked_out_at'])
      .execute();
    const byId = new Map(
      rows.map((r) => [analyticsLoanId(r.id, r.checked_out_at, pseudonymKey, pseudonymPeriod), r]),
    );
    const keyOf = new Map<string, string>();
    const patronOfKey = new Map<string, string>();
    const periodsOf = new Map<string, Set<string>>();
    for (const node of nodes) {
      expect(node.id).toMatch(/^loan_[A-Za-z0-9_-]{22}$/);
      const row = byId.get(node.id)!;
      expect(row).toBeDefined();
      const patron = row.patron_id;
      expect(node.patron).toBeNull();
      expect(node.checkedOutAt.slice(10)).toBe('T00:00:00.000Z');
      expect(node.dueAt.slice(10)).toBe('T00:00:00.000Z');
      if (node.item.dueAt !== null) expect(node.item.dueAt.slice(10)).toBe('T00:00:00.000Z');
      expect(node.checkedOutDay).toBe(node.checkedOutAt.slice(0, 10));
      // A returned loan kept only for its borrower's reading history shows no borrower (retention).
      if (patron === null || (node.borrowerKey === null && row.returned_at !== null)) {
        expect(node.borrowerKey).toBeNull();
        continue;
      }
      // One key per patron and checkout period (not the period of the request).
      const period = row.checked_out_at.slice(0, 7);
      expect(node.borrowerKey).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(keyOf.get(`${patron}|${period}`) ?? node.borrowerKey).toBe(node.borrowerKey);
      expect(patronOfKey.get(node.borrowerKey!) ?? `${patron}|${period}`).toBe(
        `${patron}|${period}`,
      );
      keyOf.set(`${patron}|${period}`, node.borrowerKey!);
      patronOfKey.set(node.borrowerKey!, `${patron}|${period}`);
      periodsOf.set(patron, (periodsOf.get(patron) ?? new Set()).add(period));
    }
    // Some patron borrowed in two months and got two unlinkable keys.
    expect([...periodsOf.values()].some((p) => p.size > 1)).toBe(true);
    expect(keyOf.size).toBeGreaterThan(5);
  });

  it('the same keys on the next request of the same period', async () => {
    const [a, b] = [await t.query('analytics', query), await t.query('analytics', query)];
    const keys = (r: GraphResponse) =>
      (r.data!.loans as { nodes: LoanNode[] }).nodes.map((n) => n.borrowerKey);
    expect(keys(b)).toEqual(keys(a));
  });

  it('staff get the real times and never the analytics-only fields', async () => {
    const res = await t.query(
      'circulation-staff',
      '{ loans(first: 3) { nodes { borrowerKey checkedOutDay checkedOutAt } } }',
    );
    const nodes = (res.data!.loans as { nodes: LoanNode[] }).nodes;
    expect(nodes.every((n) => n.borrowerKey === null && n.checkedOutDay === null)).toBe(true);
    expect(nodes.some((n) => !n.checkedOutAt.endsWith('T00:00:00.000Z'))).toBe(true);
    expect(codes(res).filter((c) => c === 'PRIVACY_REDACTED')).toHaveLength(6);
  });
});

interface Group {
  suppressed: boolean;
  checkouts: number | null;
  distinctBorrowers: number | null;
  branch: { id: string } | null;
  format: string | null;
}
interface Stats {
  minGroupSize: number;
  cells: Group[];
  margins: Group[];
  total: Group;
  releases: { id: string; month: string; version: number }[];
  unreleasedMonths: string[];
}

/** The month `back` months before the current one, read when a test runs (never at module load). */
const monthAt = (back: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1))
    .toISOString()
    .slice(0, 7);
};
const openMonth = () => monthAt(0);
/** The last twelve closed months and the open one. */
const year = () => `from: "${monthAt(12)}", to: "${openMonth()}"`;
const ALL_DIMENSIONS = ['BRANCH', 'FORMAT', 'AGE_BAND', 'HOME_BRANCH', 'MONTH'];
const GROUP_BYS = ALL_DIMENSIONS.reduce<string[][]>(
  (acc, d) => acc.flatMap((s) => [s, [...s, d]]),
  [[]],
);
const statsQuery = (
  range: string,
  groupBy: string[],
) => `{ circulationStats(${range}, groupBy: [${groupBy.join(', ')}]) {
  minGroupSize releases { id month version } unreleasedMonths
  cells { branch { id } format ageBand homeBranch { id } month checkouts distinctBorrowers suppressed }
  margins { dimension branch { id } format ageBand homeBranch { id } month checkouts distinctBorrowers suppressed }
  total { checkouts distinctBorrowers suppressed } } }`;

const GROUP =
  'branch { id } format ageBand homeBranch { id } month checkouts distinctBorrowers suppressed';
const pagedStatsQuery = (
  range: string,
  groupBy: string[],
) => `query($after: String) { circulationStats(${range}, groupBy: [${groupBy.join(', ')}]) {
  minGroupSize releases { id month version } unreleasedMonths cellCount
  cellPage(after: $after) { pageInfo { endCursor hasNextPage } nodes { ${GROUP} } }
  margins { dimension ${GROUP} } total { checkouts distinctBorrowers suppressed } } }`;

/** A whole answer, every page of it: an answer of more than 1000 groups does not fit in `cells`. */
async function wholeAnswer(range: string, groupBy: string[]): Promise<unknown> {
  type Page = {
    cellPage: { pageInfo: { endCursor: string | null; hasNextPage: boolean }; nodes: unknown[] };
  };
  const pages: Page[] = [];
  let after: string | null = null;
  do {
    const res = await t.query('analytics', pagedStatsQuery(range, groupBy), { after });
    expect(codes(res)).toEqual([]);
    pages.push(res.data!.circulationStats as Page);
    after = pages.at(-1)!.cellPage.pageInfo.hasNextPage
      ? pages.at(-1)!.cellPage.pageInfo.endCursor
      : null;
  } while (after);
  const { cellPage: _first, ...rest } = pages[0]!;
  return { ...rest, cells: pages.flatMap((p) => p.cellPage.nodes) };
}

describe('circulation statistics come from releases of closed months only', () => {
  it('agree with the loans of the released months where published, name their releases, and leave the open month out', async () => {
    // The demo's lending starts a few months back: the first months are too small to publish, and
    // a range publishes a group only where every month of it does, so the check reads the last three.
    const res = await t.query(
      'analytics',
      statsQuery(`from: "${monthAt(3)}", to: "${openMonth()}"`, ['BRANCH', 'FORMAT']),
    );
    expect(codes(res)).toEqual([]);
    const stats = res.data!.circulationStats as Stats;
    expect(stats.minGroupSize).toBe(k);
    // Unreleased: the open month, and closed months before the library's first loan (nothing to release).
    expect(stats.unreleasedMonths).toEqual([openMonth()]);
    expect(stats.releases.map((r) => r.month)).not.toContain(openMonth());
    expect(stats.releases.length).toBeGreaterThan(0);
    const truth = await t.graph
      .databases!.circulation.db.selectFrom('loans')
      .innerJoin('items', 'items.id', 'loans.item_id')
      .select(['loans.branch_id', 'items.format', (eb) => eb.fn.countAll<number>().as('n')])
      .where('checked_out_at', '>=', `${stats.releases[0]!.month}-01`)
      .where('checked_out_at', '<', `${openMonth()}-01`)
      .groupBy(['loans.branch_id', 'items.format'])
      .execute();
    const byCell = new Map(truth.map((r) => [`${r.branch_id}|${r.format}`, Number(r.n)]));
    for (const cell of stats.cells) {
      if (cell.suppressed) expect([cell.checkouts, cell.distinctBorrowers]).toEqual([null, null]);
      else expect(cell.checkouts).toBe(byCell.get(`${cell.branch!.id}|${cell.format}`));
    }
    expect(stats.cells.filter((c) => !c.suppressed).length).toBeGreaterThan(5);
    expect(stats.total.checkouts).toBe([...byCell.values()].reduce((a, b) => a + b, 0));
  });

  it('a checkout in the open month changes no answer of any grouping (the before/after attack)', async () => {
    const answers = async () =>
      Promise.all(GROUP_BYS.map(async (g) => JSON.stringify(await wholeAnswer(year(), g))));
    const before = await answers();
    const db = t.graph.databases!.circulation;
    // Engine-neutral SQL (Kysely's sql), so the test runs on SQLite and on PostgreSQL alike.
    const [item] = (
      await sql<{
        id: string;
      }>`SELECT id FROM items i WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.item_id = i.id AND l.returned_at IS NULL)
        AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item_id = i.id AND h.status = 'READY') ORDER BY id DESC LIMIT 1`.execute(
        db.db,
      )
    ).rows;
    const [card] = (
      await sql<{
        card_number: string;
      }>`SELECT card_number FROM patrons ORDER BY id DESC LIMIT 1`.execute(db.db)
    ).rows;
    const loan = await t.query(
      'circulation-staff',
      'mutation($i: ID!, $c: String!) { checkout(itemId: $i, cardNumber: $c) { id } }',
      { i: item!.id, c: card!.card_number },
    );
    expect(codes(loan)).toEqual([]);
    expect(await answers()).toEqual(before);
  });

  it('history survives retention: released months count the borrowers of loans anonymized since', async () => {
    const db = t.graph.databases!.circulation.db;
    const res = await t.query('analytics', statsQuery(year(), ['MONTH']));
    const stats = res.data!.circulationStats as Stats;
    let survived = 0;
    for (const cell of stats.cells as (Group & { month: string })[]) {
      const [linked] = (
        await sql<{
          n: number | string;
        }>`SELECT count(DISTINCT patron_id) AS n FROM loans WHERE substr(checked_out_at, 1, 7) = ${cell.month}`.execute(
          db,
        )
      ).rows;
      if (!cell.suppressed && cell.distinctBorrowers! > Number(linked!.n)) survived += 1;
      // No tally outlives its release.
      const [tallies] = (
        await sql<{
          n: number | string;
        }>`SELECT count(*) AS n FROM stats_tally WHERE month = ${cell.month}`.execute(db)
      ).rows;
      expect(Number(tallies!.n)).toBe(0);
    }
    expect(survived).toBeGreaterThan(2);
  });

  it('a release never changes: the database refuses edits', async () => {
    const db = t.graph.databases!.circulation.db;
    await expect(sql`UPDATE stats_release_cells SET c0 = c0 + 1`.execute(db)).rejects.toThrow(
      /immutable/,
    );
    await expect(sql`DELETE FROM stats_releases`.execute(db)).rejects.toThrow(/immutable/);
  });

  it('under differential privacy every group is published with noise and its 95% margin, no distinct people', async () => {
    const res = await t.query(
      'analytics',
      `{ circulationStats(${year()}, groupBy: [BRANCH, AGE_BAND], protection: DIFFERENTIAL_PRIVACY) {
      protection minGroupSize releases { id epsilon contributionBound } unreleasedMonths
      cells { checkouts checkoutsMarginOfError distinctBorrowers suppressed } total { checkouts checkoutsMarginOfError } } }`,
    );
    expect(codes(res)).toEqual([]);
    const stats = res.data!.circulationStats as {
      protection: string;
      minGroupSize: null;
      releases: { id: string; epsilon: number }[];
      unreleasedMonths: string[];
      cells: {
        checkouts: number;
        checkoutsMarginOfError: number;
        distinctBorrowers: null;
        suppressed: boolean;
      }[];
      total: { checkouts: number; checkoutsMarginOfError: number };
    };
    expect(stats.protection).toBe('DIFFERENTIAL_PRIVACY');
    expect(stats.minGroupSize).toBeNull();
    expect(stats.unreleasedMonths).toContain(openMonth());
    expect(
      stats.releases.every(
        (r) => r.id.includes(':dp:') && r.epsilon === t.config.analytics.dp.epsilon,
      ),
    ).toBe(true);
    expect(
      stats.cells.every(
        (c) => !c.suppressed && c.distinctBorrowers === null && c.checkoutsMarginOfError > 0,
      ),
    ).toBe(true);
    expect(stats.total.checkoutsMarginOfError).toBeGreaterThan(0);
    // Asking again gives the same noisy values.
    const again = await t.query(
      'analytics',
      `{ circulationStats(${year()}, groupBy: [BRANCH, AGE_BAND], protection: DIFFERENTIAL_PRIVACY) { cells { checkouts } } }`,
    );
    expect((again.data!.circulationStats as { cells: unknown[] }).cells).toEqual(
      stats.cells.map((c) => ({ checkouts: c.checkouts })),
    );
  });

  it('event statistics come from releases too', async () => {
    const res = await t.query(
      'analytics',
      `{ eventStats(${year()}, groupBy: [BRANCH, MONTH]) { releases { month } unreleasedMonths total { registrations suppressed } } }`,
    );
    expect(codes(res)).toEqual([]);
    const stats = res.data!.eventStats as {
      releases: { month: string }[];
      unreleasedMonths: string[];
      total: { registrations: number };
    };
    expect(stats.unreleasedMonths).toContain(openMonth());
    expect(stats.releases.length).toBeGreaterThan(0);
    expect(stats.total.registrations).toBeGreaterThan(0);
  });
});

// ---- random analytics operations ---------------------------------------------------------
const pick = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
const month = fc
  .tuple(fc.integer({ min: THIS_YEAR - 1, max: THIS_YEAR }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
const range = fc.tuple(month, month).map(([a, b]) => (a <= b ? [a, b] : [b, a]));

const loanFields = pick([
  'id',
  'borrowerKey',
  'checkedOutDay',
  'returnedDay',
  'checkedOutAt',
  'dueAt',
  'returnedAt',
  'renewals',
  'status',
  'branch { id name }',
  'item { id availability }',
  'patron { id name email cardNumber phone }',
]);
const loansRoot = fc
  .tuple(
    fc.integer({ min: 1, max: 300 }),
    fc.constantFrom('', 'status: OPEN', 'status: RETURNED'),
    loanFields,
  )
  .map(
    ([first, status, fields]) =>
      `loans(first: ${first} ${status}) { nodes { ${fields.join(' ')} } pageInfo { hasNextPage } }`,
  );

const circulationGroup = pick([
  'dimension',
  'branch { id name }',
  'format',
  'ageBand',
  'homeBranch { id }',
  'month',
  'checkouts',
  'distinctBorrowers',
  'suppressed',
]);
const circulationRoot = fc
  .tuple(
    range,
    fc.shuffledSubarray(['BRANCH', 'FORMAT', 'AGE_BAND', 'HOME_BRANCH', 'MONTH']),
    circulationGroup,
    fc.constantFrom('SUPPRESSION', 'DIFFERENTIAL_PRIVACY'),
  )
  .map(
    ([[from, to], groupBy, fields, protection]) =>
      `circulationStats(from: "${from}", to: "${to}", groupBy: [${groupBy.join(', ')}], protection: ${protection}) { groupBy minGroupSize cellPage(first: 50) { nodes { ${fields.join(' ')} suppressed distinctBorrowers } } margins { ${fields.join(' ')} } total { checkouts distinctBorrowers suppressed } }`,
  );

const eventGroup = pick([
  'dimension',
  'branch { id name }',
  'month',
  'registrations',
  'attended',
  'distinctPatrons',
  'suppressed',
]);
const eventRoot = fc
  .tuple(range, fc.shuffledSubarray(['BRANCH', 'MONTH']), eventGroup)
  .map(
    ([[from, to], groupBy, fields]) =>
      `eventStats(from: "${from}", to: "${to}", groupBy: [${groupBy.join(', ')}]) { cells { ${fields.join(' ')} suppressed distinctPatrons } total { registrations distinctPatrons suppressed } }`,
  );

const operation = fc
  .array(fc.oneof(loansRoot, circulationRoot, eventRoot), { minLength: 1, maxLength: 3 })
  .map((roots) => `{ ${roots.map((r, i) => `r${i}: ${r}`).join(' ')} }`);

/** Every group in a response: published ones must stand for at least k people. */
function groups(value: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const v of value) groups(v, found);
  else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('suppressed' in record) found.push(record);
    for (const v of Object.values(record)) groups(v, found);
  }
  return found;
}

/** Every string anywhere in a response (data and errors), to look identifiers up in. */
function strings(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') found.add(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, found);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) strings(v, found);
  return found;
}

describe('no patron identifier in any analytics answer', () => {
  it(`holds for ${RUNS} random operations over loans, circulationStats and eventStats`, async () => {
    await fc.assert(
      fc.asyncProperty(operation, async (query) => {
        const res = await t.query('analytics', query);
        expect(res.status).toBe(200);
        expect(
          codes(res).filter((c) => c !== 'PRIVACY_REDACTED'),
          query,
        ).toEqual([]);
        const text = JSON.stringify(res);
        const values = strings(res);
        for (const p of patrons) {
          for (const value of [p.id, p.name, p.email, p.phone, p.card_number]) {
            if (value && values.has(value))
              throw new Error(`analytics received ${value} of ${p.id} via ${query}`);
          }
        }
        expect(text).not.toMatch(/pat_[0-9a-f]{12}/);
        for (const group of groups(res.data)) {
          const people = (group.distinctBorrowers ?? group.distinctPatrons) as
            number | null | undefined;
          const count = (group.checkouts ?? group.registrations) as number | null | undefined;
          if (group.suppressed)
            expect(
              [group.checkouts, group.registrations, people].every(
                (v) => v === null || v === undefined,
              ),
            ).toBe(true);
          // Published: at least k people behind it, or nothing at all (an empty range).
          // DP groups publish no people; suppressed ones stand for at least k.
          else if (people !== undefined && people !== null && count !== 0)
            expect(people).toBeGreaterThanOrEqual(k);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.PROPERTY_SEED ?? 20261128) },
    );
  }, 300_000);
});
