/**
 * The analytics export (src/analytics/exportAnalytics.ts) on the demo seed, in a temp dir: every
 * group of quasi-identifiers in the file stands for at least k distinct patrons (checked against
 * the database, loan by loan), patron keys are the loans' pseudonyms and only on rows kept as
 * recorded, no identifier of any patron is in the file, and CSV and NDJSON carry the same rows.
 * Then the recoding alone (src/analytics/kAnonymity.ts) over random group counts.
 */
import { sqliteOf } from '../../src/db/open.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases, type Databases } from '../../src/app/databases.js';
import {
  exportAnalytics,
  exportPseudonymKey,
  type ExportReport,
} from '../../src/analytics/exportAnalytics.js';
import { CSV_COLUMNS, type ExportRow } from '../../src/analytics/exportFormat.js';
import {
  ANY,
  atLevel,
  GroupCounts,
  keyOf,
  planRecoding,
  WIDE_AGE_BAND,
} from '../../src/analytics/kAnonymity.js';
import { patronId } from '../../src/privacy/context/ids.js';
import { ageBand, pseudonym } from '../../src/privacy/enforce/deidentify.js';
import { periodOf } from '../../src/privacy/enforce/pseudonymPeriod.js';
import { isoWeek } from '../../src/analytics/exportLadder.js';
import { seed } from '../../src/dev/seed/seed.js';

const K = 10;
const KEY = 'analytics-export-test-key-0123456789abcdef';
const WINDOW = { start: '2000-01-01T00:00:00.000Z', end: '2100-01-01T00:00:00.000Z' };

let dir: string;
let databases: Databases;
let report: ExportReport;
const observed = new Map<number, ExportRow>();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analytics-export-'));
  databases = await openDatabases(dir);
  await seed(
    {
      catalog: databases.catalog.db,
      circulation: databases.circulation.db,
      events: databases.events.db,
    },
    { scale: 'demo' },
  );
  report = await exportAnalytics({
    database: databases.circulation,
    window: WINDOW,
    format: 'csv',
    out: path.join(dir, 'loans.csv'),
    k: K,
    pseudonym: { key: KEY, period: 'month' },
    pageSize: 997,
    onRow: (id, row) => observed.set(id, row),
  });
});
afterAll(async () => {
  if (databases) for (const db of Object.values(databases)) await db.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Each loan's patron as the export must see it: none once anonymized, and none for a returned
 * loan kept only because its borrower keeps reading history (that link is theirs alone).
 */
async function presentedPatrons(
  db: Databases['circulation']['db'],
): Promise<Map<number, string | null>> {
  const loans = await db
    .selectFrom('loans')
    .leftJoin('patrons', 'patrons.id', 'loans.patron_id')
    .select(['loans.id', 'loans.patron_id', 'loans.returned_at', 'patrons.reading_history'])
    .execute();
  return new Map(
    loans.map((l) => [
      l.id,
      l.returned_at !== null && l.reading_history === 1 ? null : l.patron_id,
    ]),
  );
}

const csvRows = (text: string): ExportRow[] => {
  const [head, ...lines] = text.trimEnd().split('\n');
  expect(head).toBe(CSV_COLUMNS.join(','));
  return lines.map((l) => {
    const [patronKey, ageBand, homeBranch, format, branch, checkoutDay, returnDay] = l.split(',');
    return {
      patronKey: patronKey || null,
      ageBand: ageBand!,
      homeBranch: homeBranch!,
      format: format!,
      branch: branch!,
      checkoutDay: checkoutDay!,
      returnDay: returnDay || null,
    };
  });
};

describe('the export of the demo seed', () => {
  it('accounts for every loan: written (kept or generalized) or dropped', async () => {
    const loans = await databases.circulation.db
      .selectFrom('loans')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(report.read).toBe(Number(loans.n));
    expect(report.written + report.dropped).toBe(report.read);
    expect(report.kept + report.generalized.total).toBe(report.written);
    expect([...observed.values()].filter((r) => r.patronKey !== null)).toHaveLength(report.keyed);
    expect(observed.size).toBe(report.written);
    expect(fs.existsSync(path.join(dir, 'loans.csv.partial'))).toBe(false);
  });

  it('writes the rows it observed, in loan order', () => {
    const rows = csvRows(fs.readFileSync(path.join(dir, 'loans.csv'), 'utf8'));
    expect(rows).toEqual([...observed.entries()].sort(([a], [b]) => a - b).map(([, row]) => row));
  });

  it(`is k-anonymous on every published column: each combination stands for at least ${K} distinct patrons`, async () => {
    const patronOf = await presentedPatrons(databases.circulation.db);
    const people = new Map<string, Set<string>>();
    const rows = new Map<string, number>();
    for (const [id, row] of observed) {
      const group = `${row.ageBand}|${row.homeBranch}|${row.format}|${row.branch}|${row.checkoutDay}|${row.returnDay}`;
      rows.set(group, (rows.get(group) ?? 0) + 1);
      const patron = patronOf.get(id);
      if (!people.has(group)) people.set(group, new Set());
      if (patron) people.get(group)!.add(patron);
    }
    expect(rows.size).toBeGreaterThan(10);
    for (const [group, members] of people) expect(members.size, group).toBeGreaterThanOrEqual(K);
    for (const [group, n] of rows) expect(n, group).toBeGreaterThanOrEqual(K);
    // The count: no row is unique on the published columns, and most are still written.
    expect([...rows.values()].filter((n) => n === 1)).toEqual([]);
    expect(report.written).toBeGreaterThan(report.read / 3);
  });

  it('generalizes only along the ladders, and writes no patron key unless asked', async () => {
    const loans = await databases.circulation.db
      .selectFrom('loans')
      .select(['id', 'patron_id', 'patron_age_band', 'patron_home_branch_id', 'checked_out_at'])
      .execute();
    const byId = new Map(loans.map((l) => [l.id, l]));
    const patronOf = await presentedPatrons(databases.circulation.db);
    expect([...patronOf.values()].filter((p) => p === null).length).toBeLessThan(patronOf.size);
    for (const [id, row] of observed) {
      const loan = byId.get(id)!;
      const patron = patronOf.get(id) ?? null;
      const asRecorded =
        row.ageBand === loan.patron_age_band && row.homeBranch === loan.patron_home_branch_id;
      expect([loan.patron_age_band, WIDE_AGE_BAND[loan.patron_age_band ?? ''], ANY]).toContain(
        row.ageBand,
      );
      expect([loan.patron_home_branch_id, ANY]).toContain(row.homeBranch);
      void asRecorded;
      void patron;
      expect(row.patronKey).toBeNull();
      const day = loan.checked_out_at.slice(0, 10);
      expect([day, isoWeek(day), day.slice(0, 7)]).toContain(row.checkoutDay);
    }
  });

  it('with keys asked for, keys only rows published as recorded, by the checkout period', async () => {
    const seen = new Map<number, ExportRow>();
    const keyed = await exportAnalytics({
      database: databases.circulation,
      window: WINDOW,
      format: 'csv',
      out: path.join(dir, 'keyed.csv'),
      k: 2,
      keys: true,
      pseudonym: { key: KEY, period: 'month' },
      onRow: (id, row) => seen.set(id, row),
    });
    const loans = new Map(
      (
        await databases.circulation.db
          .selectFrom('loans')
          .select(['id', 'patron_id', 'checked_out_at', 'patron_age_band', 'patron_home_branch_id'])
          .execute()
      ).map((l) => [l.id, l]),
    );
    const patronOf = await presentedPatrons(databases.circulation.db);
    expect(keyed.keyed).toBeGreaterThan(0);
    for (const [id, row] of seen) {
      if (row.patronKey === null) continue;
      const loan = loans.get(id)!;
      expect(row.checkoutDay).toBe(loan.checked_out_at.slice(0, 10));
      expect([row.ageBand, row.homeBranch]).toEqual([
        loan.patron_age_band,
        loan.patron_home_branch_id,
      ]);
      const period = periodOf(loan.checked_out_at, 'month');
      expect(row.patronKey).toBe(
        pseudonym(patronId(patronOf.get(id)!), exportPseudonymKey(KEY), period),
      );
      // Never the graph's borrowerKey for that patron and period: the two could not be joined.
      expect(row.patronKey).not.toBe(pseudonym(patronId(patronOf.get(id)!), KEY, period));
    }
  });

  it('carries no identifier of any patron', async () => {
    const text = fs.readFileSync(path.join(dir, 'loans.csv'), 'utf8');
    const patrons = await databases.circulation.db
      .selectFrom('patrons')
      .select(['id', 'name', 'email', 'phone', 'card_number', 'birth_date', 'address'])
      .execute();
    const fields = new Set(text.split(/[,\n]/));
    const leaked = patrons.flatMap((p) =>
      [p.id, p.name, p.email, p.phone, p.card_number, p.address].filter(
        (v) => v !== null && fields.has(v),
      ),
    );
    expect(leaked).toEqual([]);
    expect(text).not.toMatch(/pat_[0-9a-f]{12}/);
    expect(text).not.toMatch(/T\d\d:\d\d/);
  });

  it('writes the same rows as NDJSON', async () => {
    const out = path.join(dir, 'loans.ndjson');
    const again = await exportAnalytics({
      database: databases.circulation,
      window: WINDOW,
      format: 'ndjson',
      out,
      k: K,
      pseudonym: { key: KEY, period: 'month' },
    });
    expect(again.written).toBe(report.written);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ExportRow);
    expect(rows).toEqual(csvRows(fs.readFileSync(path.join(dir, 'loans.csv'), 'utf8')));
  });

  it('with a larger k, generalizes or drops more and still holds', async () => {
    const seen = new Map<number, ExportRow>();
    const strict = await exportAnalytics({
      database: databases.circulation,
      window: WINDOW,
      format: 'csv',
      out: path.join(dir, 'strict.csv'),
      k: 60,
      pseudonym: { key: KEY, period: 'month' },
      onRow: (id, row) => seen.set(id, row),
    });
    expect(strict.kept).toBeLessThan(report.kept);
    const patronOf = await presentedPatrons(databases.circulation.db);
    const people = new Map<string, Set<string>>();
    for (const [id, row] of seen) {
      const group = `${row.ageBand}|${row.homeBranch}|${row.format}|${row.branch}|${row.checkoutDay}|${row.returnDay}`;
      if (!people.has(group)) people.set(group, new Set());
      const patron = patronOf.get(id);
      if (patron) people.get(group)!.add(patron);
    }
    for (const [group, members] of people) expect(members.size, group).toBeGreaterThanOrEqual(60);
  });
});

describe('loans from before borrower attributes were recorded (migration 0003)', () => {
  it('take the age band on the day of checkout and the home branch from the linked patron; anonymized ones go out as (*, *, format)', async () => {
    const db = databases.circulation.db;
    const legacy = path.join(dir, 'legacy');
    fs.mkdirSync(legacy);
    // A copy of the seed whose loans never recorded their borrower's attributes.
    sqliteOf(databases.circulation)
      .prepare('VACUUM INTO ?')
      .run(path.join(legacy, 'circulation.db'));
    const copy = await openDatabases(legacy);
    try {
      await copy.circulation.db
        .updateTable('loans')
        .set({ patron_age_band: null, patron_home_branch_id: null })
        .execute();
      const seen = new Map<number, ExportRow>();
      const result = await exportAnalytics({
        database: copy.circulation,
        window: WINDOW,
        format: 'csv',
        out: path.join(legacy, 'loans.csv'),
        k: 2,
        keys: true,
        pseudonym: { key: KEY, period: 'month' },
        onRow: (id, row) => seen.set(id, row),
      });
      const patronOf = await presentedPatrons(db);
      const patrons = new Map(
        (
          await db.selectFrom('patrons').select(['id', 'birth_date', 'home_branch_id']).execute()
        ).map((p) => [p.id, p]),
      );
      const loans = new Map(
        (await db.selectFrom('loans').select(['id', 'checked_out_at']).execute()).map((l) => [
          l.id,
          l,
        ]),
      );
      let linked = 0;
      for (const [id, row] of seen) {
        const patron = patronOf.get(id);
        if (!patron) {
          expect([row.ageBand, row.homeBranch, row.patronKey]).toEqual([ANY, ANY, null]);
          continue;
        }
        if (row.patronKey === null) continue; // generalized
        linked++;
        const p = patrons.get(patron)!;
        expect(row.ageBand).toBe(ageBand(p.birth_date, loans.get(id)!.checked_out_at.slice(0, 10)));
        expect(row.homeBranch).toBe(p.home_branch_id);
      }
      expect(linked).toBeGreaterThan(100);
      expect(result.generalized.withoutAttributes).toBeLessThanOrEqual(
        [...patronOf.values()].filter((p) => p === null).length,
      );
    } finally {
      for (const d of Object.values(copy)) await d.close();
    }
  });
});

describe('the recoding, over random groups', () => {
  const BANDS = Object.keys(WIDE_AGE_BAND);
  const group = fc.record({
    ageBand: fc.constantFrom(...BANDS, ANY),
    homeBranch: fc.constantFrom('br_01', 'br_02', 'br_03', ANY),
    format: fc.constantFrom('BOOK', 'DVD'),
  });
  const rows = fc.array(
    fc.tuple(group, fc.option(fc.integer({ min: 0, max: 60 }), { nil: null })),
    { maxLength: 400 },
  );

  it('publishes only groups of at least k people (or with no borrower attribute at all), along the ladder', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 2, max: 12 }), (list, k) => {
        const counts = new GroupCounts();
        const groupOf = (q: { ageBand: string; homeBranch: string; format: string }) =>
          counts.indexOf(q.ageBand, q.homeBranch, q.format);
        for (const [q, patron] of list)
          counts.add(groupOf(q), patron === null ? null : `p${patron}`);
        const plan = planRecoding(counts, k);
        const published = new Map<string, Set<string>>();
        for (const [q, patron] of list) {
          const target = plan.targets[groupOf(q)];
          if (!target) continue;
          expect(keyOf(atLevel(q, target.level))).toBe(keyOf(target.q));
          const key = keyOf(target.q);
          if (!published.has(key)) published.set(key, new Set());
          if (patron !== null) published.get(key)!.add(`p${patron}`);
        }
        for (const [key, people] of published) {
          if (key.startsWith(`${ANY}|${ANY}|`) && people.size < k) {
            // Only rows that never had a borrower attribute may be published below k.
            const members = list.filter(
              ([q]) => plan.targets[groupOf(q)] && keyOf(plan.targets[groupOf(q)]!.q) === key,
            );
            expect(members.every(([q]) => q.ageBand === ANY && q.homeBranch === ANY)).toBe(true);
          } else {
            expect(people.size).toBeGreaterThanOrEqual(k);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
