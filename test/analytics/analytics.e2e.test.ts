/**
 * Analytics through the gateway, on the demo seed: who may read statistics, what `analytics` see
 * of a loan, statistics that agree with the database and suppress small groups, and random
 * analytics operations over `loans`, `circulationStats` and `eventStats` in which no seeded
 * patron's id, name, email, phone or card number ever appears. PROPERTY_RUNS sets the count.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonaName } from '../../src/auth/personas.js';
import { codes, startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';

const RUNS = Math.min(Number(process.env.PROPERTY_RUNS ?? 300), 400);

interface Identity { id: string; name: string; email: string | null; phone: string | null; card_number: string }
let t: TestGraph;
let patrons: Identity[];
let k: number;

beforeAll(async () => {
  t = await startTestGraph();
  k = t.config.analytics.minCellSize;
  patrons = await t.graph.databases!.circulation.db.selectFrom('patrons').select(['id', 'name', 'email', 'phone', 'card_number']).execute();
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
  it.each(table)('$persona: circulationStats $circulation, eventStats $events', async ({ persona, circulation, events }) => {
    const c = await t.query(persona, `{ circulationStats(${RANGE}) { total { checkouts } } }`);
    expect(codes(c)).toEqual(circulation ? [] : ['FORBIDDEN']);
    const e = await t.query(persona, `{ eventStats(${RANGE}) { total { registrations } } }`);
    expect(codes(e)).toEqual(events ? [] : ['FORBIDDEN']);
  });

  it('refuses ranges that are not whole months, reversed or too long', async () => {
    for (const [from, to] of [['2026-01-15', '2026-02'], ['2026-03', '2026-01'], ['2000-01', '2026-12'], ['2026-13', '2026-12']]) {
      const res = await t.query('analytics', `{ circulationStats(from: "${from}", to: "${to}") { total { checkouts } } }`);
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

interface LoanNode { id: string; borrowerKey: string | null; checkedOutDay: string | null; checkedOutAt: string; dueAt: string; item: { dueAt: string | null }; patron: unknown }

describe('what analytics see of a loan', () => {
  const query = '{ loans(first: 500) { nodes { id borrowerKey checkedOutDay returnedDay checkedOutAt dueAt returnedAt item { dueAt } patron { id } } } }';

  it('a pseudonymous borrower key, one per patron, never the patron; times cut to the day; no patron', async () => {
    const res = await t.query('analytics', query);
    expect(new Set(codes(res))).toEqual(new Set(['PRIVACY_REDACTED']));
    const nodes = (res.data!.loans as { nodes: LoanNode[] }).nodes;
    const rows = await t.graph.databases!.circulation.db.selectFrom('loans').select(['id', 'patron_id', 'returned_at']).where('id', 'in', nodes.map((n) => Number(n.id))).execute();
    const patronOf = new Map(rows.map((r) => [String(r.id), r.patron_id]));
    const open = new Set(rows.filter((r) => r.returned_at === null).map((r) => String(r.id)));
    const keyOf = new Map<string, string>();
    const patronOfKey = new Map<string, string>();
    for (const node of nodes) {
      const patron = patronOf.get(node.id) ?? null;
      expect(node.patron).toBeNull();
      expect(node.checkedOutAt.slice(10)).toBe('T00:00:00.000Z');
      expect(node.dueAt.slice(10)).toBe('T00:00:00.000Z');
      if (node.item.dueAt !== null) expect(node.item.dueAt.slice(10)).toBe('T00:00:00.000Z');
      expect(node.checkedOutDay).toBe(node.checkedOutAt.slice(0, 10));
      // A returned loan kept only for its borrower's reading history shows no borrower (retention).
      if (patron === null || (node.borrowerKey === null && !open.has(node.id))) {
        expect(node.borrowerKey).toBeNull();
        continue;
      }
      expect(node.borrowerKey).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(keyOf.get(patron) ?? node.borrowerKey).toBe(node.borrowerKey);
      expect(patronOfKey.get(node.borrowerKey!) ?? patron).toBe(patron);
      keyOf.set(patron, node.borrowerKey!);
      patronOfKey.set(node.borrowerKey!, patron);
    }
    expect(keyOf.size).toBeGreaterThan(5);
  });

  it('the same keys on the next request of the same period', async () => {
    const [a, b] = [await t.query('analytics', query), await t.query('analytics', query)];
    const keys = (r: GraphResponse) => (r.data!.loans as { nodes: LoanNode[] }).nodes.map((n) => n.borrowerKey);
    expect(keys(b)).toEqual(keys(a));
  });

  it('staff get the real times and never the analytics-only fields', async () => {
    const res = await t.query('circulation-staff', '{ loans(first: 3) { nodes { borrowerKey checkedOutDay checkedOutAt } } }');
    const nodes = (res.data!.loans as { nodes: LoanNode[] }).nodes;
    expect(nodes.every((n) => n.borrowerKey === null && n.checkedOutDay === null)).toBe(true);
    expect(nodes.some((n) => !n.checkedOutAt.endsWith('T00:00:00.000Z'))).toBe(true);
    expect(codes(res).filter((c) => c === 'PRIVACY_REDACTED')).toHaveLength(6);
  });
});

interface Group { suppressed: boolean; checkouts: number | null; distinctBorrowers: number | null; branch: { id: string } | null; format: string | null }

describe('circulation statistics', () => {
  it('agree with the database where published, and suppress every group of fewer than k borrowers', async () => {
    const res = await t.query('analytics', `{ circulationStats(${RANGE}, groupBy: [BRANCH, FORMAT]) {
      minGroupSize cells { branch { id } format checkouts distinctBorrowers suppressed }
      margins { dimension branch { id } format checkouts distinctBorrowers suppressed } total { checkouts distinctBorrowers suppressed } } }`);
    expect(codes(res)).toEqual([]);
    const stats = res.data!.circulationStats as { minGroupSize: number; cells: Group[]; margins: Group[]; total: Group };
    expect(stats.minGroupSize).toBe(k);
    // People: borrowers still linked, not counting returned loans kept only for reading history.
    const truth = await t.graph.databases!.circulation.db
      .selectFrom('loans').innerJoin('items', 'items.id', 'loans.item_id').leftJoin('patrons', 'patrons.id', 'loans.patron_id')
      .select(['loans.branch_id', 'items.format', (eb) => eb.fn.countAll<number>().as('n')])
      .select(sql<number>`count(DISTINCT CASE WHEN loans.returned_at IS NOT NULL AND patrons.reading_history = 1 THEN NULL ELSE loans.patron_id END)`.as('people'))
      .where('checked_out_at', '>=', `${THIS_YEAR - 1}-01-01`).groupBy(['loans.branch_id', 'items.format']).execute();
    const byCell = new Map(truth.map((r) => [`${r.branch_id}|${r.format}`, r]));
    for (const cell of stats.cells) {
      const real = byCell.get(`${cell.branch!.id}|${cell.format}`);
      if (cell.suppressed) expect([cell.checkouts, cell.distinctBorrowers]).toEqual([null, null]);
      else expect([cell.checkouts, cell.distinctBorrowers]).toEqual([Number(real!.n), Number(real!.people)]);
    }
    for (const real of truth) {
      const cell = stats.cells.find((c) => c.branch!.id === real.branch_id && c.format === real.format)!;
      if (Number(real.people) < k) expect(cell.suppressed).toBe(true);
    }
    expect(stats.margins.length).toBeGreaterThan(0);
    expect(stats.total.checkouts).toBe(truth.reduce((s, r) => s + Number(r.n), 0));
  });
});

// ---- random analytics operations ---------------------------------------------------------
const pick = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
const month = fc.tuple(fc.integer({ min: THIS_YEAR - 1, max: THIS_YEAR }), fc.integer({ min: 1, max: 12 })).map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
const range = fc.tuple(month, month).map(([a, b]) => (a <= b ? [a, b] : [b, a]));

const loanFields = pick(['id', 'borrowerKey', 'checkedOutDay', 'returnedDay', 'checkedOutAt', 'dueAt', 'returnedAt', 'renewals', 'status', 'branch { id name }', 'item { id availability }', 'patron { id name email cardNumber phone }']);
const loansRoot = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom('', 'status: OPEN', 'status: RETURNED'), loanFields)
  .map(([first, status, fields]) => `loans(first: ${first} ${status}) { nodes { ${fields.join(' ')} } pageInfo { hasNextPage } }`);

const circulationGroup = pick(['dimension', 'branch { id name }', 'format', 'ageBand', 'homeBranch { id }', 'month', 'checkouts', 'distinctBorrowers', 'suppressed']);
const circulationRoot = fc.tuple(range, fc.shuffledSubarray(['BRANCH', 'FORMAT', 'AGE_BAND', 'HOME_BRANCH', 'MONTH']), circulationGroup)
  .map(([[from, to], groupBy, fields]) => `circulationStats(from: "${from}", to: "${to}", groupBy: [${groupBy.join(', ')}]) { groupBy minGroupSize cells { ${fields.join(' ')} suppressed distinctBorrowers } margins { ${fields.join(' ')} } total { checkouts distinctBorrowers suppressed } }`);

const eventGroup = pick(['dimension', 'branch { id name }', 'month', 'registrations', 'attended', 'distinctPatrons', 'suppressed']);
const eventRoot = fc.tuple(range, fc.shuffledSubarray(['BRANCH', 'MONTH']), eventGroup)
  .map(([[from, to], groupBy, fields]) => `eventStats(from: "${from}", to: "${to}", groupBy: [${groupBy.join(', ')}]) { cells { ${fields.join(' ')} suppressed distinctPatrons } total { registrations distinctPatrons suppressed } }`);

const operation = fc.array(fc.oneof(loansRoot, circulationRoot, eventRoot), { minLength: 1, maxLength: 3 })
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
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, found);
  return found;
}

describe('no patron identifier in any analytics answer', () => {
  it(`holds for ${RUNS} random operations over loans, circulationStats and eventStats`, async () => {
    await fc.assert(
      fc.asyncProperty(operation, async (query) => {
        const res = await t.query('analytics', query);
        expect(res.status).toBe(200);
        expect(codes(res).filter((c) => c !== 'PRIVACY_REDACTED'), query).toEqual([]);
        const text = JSON.stringify(res);
        const values = strings(res);
        for (const p of patrons) {
          for (const value of [p.id, p.name, p.email, p.phone, p.card_number]) {
            if (value && values.has(value)) throw new Error(`analytics received ${value} of ${p.id} via ${query}`);
          }
        }
        expect(text).not.toMatch(/pat_[0-9a-f]{12}/);
        for (const group of groups(res.data)) {
          const people = (group.distinctBorrowers ?? group.distinctPatrons) as number | null | undefined;
          const count = (group.checkouts ?? group.registrations) as number | null | undefined;
          if (group.suppressed) expect([group.checkouts, group.registrations, people].every((v) => v === null || v === undefined)).toBe(true);
          // Published: at least k people behind it, or nothing at all (an empty range).
          else if (people !== undefined && count !== 0) expect(people).toBeGreaterThanOrEqual(k);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.PROPERTY_SEED ?? 20261128) },
    );
  }, 120_000);
});
