import { afterAll, describe, expect, it } from 'vitest';
import { verifyPin } from '../../src/privacy/authenticate/pin.js';
import { PARTNER_PRINCIPAL, PERSONA_PATRONS, SEEDED_LEGAL_ORDER } from '../../src/dev/personas.js';
import { openSqlite } from '../../src/db/open.js';
import type { Format } from '../../src/dev/seed/formats.js';
import { LOAN_DAYS } from '../../subgraphs/circulation/lending.js';
import { type SeedOptions, type SeedReport, isSeeded, seed } from '../../src/dev/seed/seed.js';
import { type CatalogTables, catalogMigrations } from '../../subgraphs/catalog/migrations.js';
import {
  type CirculationTables,
  circulationMigrations,
} from '../../subgraphs/circulation/migrations.js';
import { type EventsTables, eventsMigrations } from '../../subgraphs/events/migrations.js';

const NOW = new Date('2026-03-15T12:34:56.000Z');
const DAY = 86_400_000;
const { patron, minor, guardian } = PERSONA_PATRONS;

type Row = Record<string, unknown>;

/** Seeds demo data into three in-memory databases and returns raw handles to query them. */
async function seeded(options: Partial<SeedOptions> = {}) {
  const catalog = await openSqlite<CatalogTables>(':memory:', catalogMigrations);
  const circulation = await openSqlite<CirculationTables>(':memory:', circulationMigrations);
  const events = await openSqlite<EventsTables>(':memory:', eventsMigrations);
  const targets = { catalog: catalog.db, circulation: circulation.db, events: events.db };
  const before = await isSeeded(circulation.db);
  const report: SeedReport = await seed(targets, { scale: 'demo', now: NOW, ...options });
  const all = (db: typeof catalog.sqlite, query: string, ...params: unknown[]): Row[] =>
    db.prepare(query).all(...params) as Row[];
  return {
    before,
    report,
    targets,
    cat: (q: string, ...p: unknown[]) => all(catalog.sqlite, q, ...p),
    circ: (q: string, ...p: unknown[]) => all(circulation.sqlite, q, ...p),
    ev: (q: string, ...p: unknown[]) => all(events.sqlite, q, ...p),
    close: async () => {
      await Promise.all([catalog.close(), circulation.close(), events.close()]);
    },
  };
}

const count = (rows: Row[]): number => Number(rows[0]?.n);
const ageOn = (birth: string, now: Date): number => {
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  const birthdayPassed =
    now.getUTCMonth() + 1 > m || (now.getUTCMonth() + 1 === m && now.getUTCDate() >= d);
  return now.getUTCFullYear() - y - (birthdayPassed ? 0 : 1);
};

describe('seed (demo scale)', async () => {
  const s = await seeded();
  const now = NOW.toISOString();
  afterAll(() => s.close());

  it('marks the databases seeded and refuses to seed them twice', async () => {
    expect(s.before).toBe(false);
    expect(await isSeeded(s.targets.circulation)).toBe(true);
    await expect(seed(s.targets, { scale: 'demo', now: NOW })).rejects.toThrow(/already/);
  });

  it.each([
    ['catalog', 'branches', 10, 0],
    ['catalog', 'works', 5_000, 0],
    ['catalog', 'items', 15_000, 0],
    ['circulation', 'items', 15_000, 0],
    ['circulation', 'patrons', 2_000, 0],
    ['circulation', 'loans', 20_000, 0.02],
    ['circulation', 'holds', 600, 0.02],
    ['events', 'events', 200, 0],
  ] as const)('writes about the planned number of %s.%s', (database, table, planned, tolerance) => {
    const q = database === 'catalog' ? s.cat : database === 'circulation' ? s.circ : s.ev;
    const n = count(q(`SELECT count(*) AS n FROM ${table}`));
    expect(Math.abs(n - planned)).toBeLessThanOrEqual(planned * tolerance);
    expect(s.report.counts[`${database}.${table}`]).toBe(n);
  });

  it('reports rows and speed consistent with its counts, with fines and registrations present', () => {
    const sum = Object.values(s.report.counts).reduce((a, b) => a + b, 0);
    expect(s.report.rows).toBe(sum);
    expect(s.report.scale).toBe('demo');
    expect(s.report.rowsPerSecond).toBeGreaterThan(0);
    expect(count(s.circ('SELECT count(*) AS n FROM fines'))).toBeGreaterThan(100);
    expect(count(s.ev('SELECT count(*) AS n FROM registrations'))).toBeGreaterThan(1_000);
  });

  it('uses the documented id, card and barcode formats', () => {
    expect(s.cat('SELECT id FROM branches ORDER BY id').map((r) => r.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `br_${String(i + 1).padStart(2, '0')}`),
    );
    expect(count(s.cat(`SELECT count(*) AS n FROM works WHERE id NOT GLOB 'wk_[1-9]*'`))).toBe(0);
    expect(count(s.cat(`SELECT count(*) AS n FROM items WHERE id NOT GLOB 'it_[1-9]*'`))).toBe(0);
    expect(count(s.ev(`SELECT count(*) AS n FROM events WHERE id NOT GLOB 'ev_[1-9]*'`))).toBe(0);
    const patrons = s.circ('SELECT id, card_number FROM patrons');
    for (const p of patrons) {
      expect(p.id).toMatch(/^pat_[0-9a-f]{12}$/);
      expect(p.card_number).toMatch(/^2901\d{10}$/);
    }
    expect(new Set(patrons.map((p) => p.id)).size).toBe(patrons.length);
    expect(new Set(patrons.map((p) => p.card_number)).size).toBe(patrons.length);
    for (const item of s.cat('SELECT barcode FROM items'))
      expect(item.barcode).toMatch(/^3901\d{10}$/);
  });

  it('describes works with JSON creators and subjects, 13-digit ISBNs and mostly books', () => {
    const works = s.cat('SELECT * FROM works');
    for (const w of works) {
      expect(Array.isArray(JSON.parse(String(w.creators)))).toBe(true);
      expect(JSON.parse(String(w.subjects)).length).toBeGreaterThan(0);
      if (w.isbn !== null) expect(w.isbn).toMatch(/^97[89]\d{10}$/);
    }
    const books = works.filter((w) => w.format === 'BOOK').length;
    expect(books / works.length).toBeGreaterThan(0.5);
    expect(
      count(s.cat(`SELECT count(*) AS n FROM items WHERE status = 'IN_SERVICE'`)) / 15_000,
    ).toBeGreaterThan(0.9);
  });

  it("keeps circulation's items an exact projection of the catalog's", () => {
    const catalogItems = new Map(
      s
        .cat(
          'SELECT i.id, i.work_id, i.branch_id, w.format FROM items i JOIN works w ON w.id = i.work_id',
        )
        .map((r) => [r.id, r]),
    );
    const projection = s.circ('SELECT id, work_id, branch_id, format FROM items');
    expect(projection.length).toBe(catalogItems.size);
    for (const p of projection) expect(p).toEqual(catalogItems.get(p.id));
  });

  it('never has two open loans on one item', () => {
    expect(
      s.circ(
        'SELECT item_id FROM loans WHERE returned_at IS NULL GROUP BY item_id HAVING count(*) > 1',
      ),
    ).toEqual([]);
  });

  it('never lends a copy that sits on a READY hold', () => {
    expect(
      s.circ(
        `SELECT h.id FROM holds h JOIN loans l ON l.item_id = h.item_id AND l.returned_at IS NULL WHERE h.status = 'READY'`,
      ),
    ).toEqual([]);
  });

  it('sets due dates by format, renewals 0..2, and returns after checkout and before now', () => {
    const loans = s.circ('SELECT l.*, i.format FROM loans l JOIN items i ON i.id = l.item_id');
    let open = 0;
    let overdue = 0;
    for (const l of loans) {
      const out = Date.parse(String(l.checked_out_at));
      const due = Date.parse(String(l.due_at));
      expect(l.renewals).toBeGreaterThanOrEqual(0);
      expect(l.renewals).toBeLessThanOrEqual(2);
      expect(due - out).toBe(LOAN_DAYS[l.format as Format]! * DAY * (1 + Number(l.renewals)));
      expect(out).toBeLessThan(NOW.getTime());
      if (l.returned_at === null) {
        open += 1;
        if (due < NOW.getTime()) overdue += 1;
      } else {
        const returned = Date.parse(String(l.returned_at));
        expect(returned).toBeGreaterThan(out);
        expect(returned).toBeLessThan(NOW.getTime());
      }
    }
    expect(open).toBeGreaterThan(500);
    expect(overdue).toBeGreaterThan(50);
    expect(overdue).toBeLessThan(open);
  });

  it('holds: WAITING without a copy, READY with a free copy of the work at the pickup branch', () => {
    const holds = s.circ(
      'SELECT h.*, i.work_id AS item_work, i.branch_id AS item_branch FROM holds h LEFT JOIN items i ON i.id = h.item_id',
    );
    expect(new Set(holds.map((h) => h.status))).toEqual(new Set(['WAITING', 'READY']));
    for (const h of holds) {
      if (h.status === 'WAITING') expect(h.item_id).toBeNull();
      else {
        expect(h.item_work).toBe(h.work_id);
        expect(h.item_branch).toBe(h.pickup_branch_id);
      }
    }
    expect(
      s.circ(
        `SELECT item_id FROM holds WHERE status = 'READY' GROUP BY item_id HAVING count(*) > 1`,
      ),
    ).toEqual([]);
  });

  it('fines late returns at 25 cents a day up to $10, some paid', () => {
    const fines = s.circ(
      'SELECT f.*, l.due_at, l.returned_at FROM fines f JOIN loans l ON l.id = f.loan_id',
    );
    expect(fines.length).toBe(count(s.circ('SELECT count(*) AS n FROM fines')));
    for (const f of fines) {
      const late = Date.parse(String(f.returned_at)) - Date.parse(String(f.due_at));
      expect(late).toBeGreaterThan(0);
      expect(f.amount_cents).toBe(Math.min(1000, 25 * Math.ceil(late / DAY)));
    }
    expect(fines.some((f) => f.paid_at !== null)).toBe(true);
    expect(fines.some((f) => f.paid_at === null)).toBe(true);
  });

  it('schedules past and upcoming events of capacity 10..60, never overbooked', () => {
    const events = s.ev(
      'SELECT e.*, (SELECT count(*) FROM registrations r WHERE r.event_id = e.id) AS taken FROM events e',
    );
    expect(events.some((e) => String(e.ends_at) < now)).toBe(true);
    expect(events.some((e) => String(e.starts_at) > now)).toBe(true);
    for (const e of events) {
      expect(e.capacity).toBeGreaterThanOrEqual(10);
      expect(e.capacity).toBeLessThanOrEqual(60);
      expect(Number(e.taken)).toBeLessThanOrEqual(Number(e.capacity));
    }
  });

  it('seeds the three persona patrons with their fixed identity and a working PIN', async () => {
    for (const persona of [patron, minor, guardian]) {
      const [row] = s.circ('SELECT * FROM patrons WHERE id = ?', persona.id);
      expect(row).toMatchObject({
        name: persona.name,
        card_number: persona.cardNumber,
        email: persona.email,
        phone: persona.phone,
        address: persona.address,
        home_branch_id: persona.homeBranchId,
      });
      expect(ageOn(String(row?.birth_date), NOW)).toBe(persona.age);
      expect(await verifyPin(persona.pin, String(row?.pin_hash))).toBe(true);
    }
    expect(
      ageOn(
        String(s.circ('SELECT birth_date FROM patrons WHERE id = ?', minor.id)[0]?.birth_date),
        NOW,
      ),
    ).toBeLessThan(18);
    expect(count(s.circ('SELECT count(*) AS n FROM patrons WHERE pin_hash IS NOT NULL'))).toBe(3);
    expect(
      s.circ('SELECT reading_history FROM patrons WHERE id = ?', patron.id)[0]?.reading_history,
    ).toBe(1);
  });

  it('gives the personas their documented loans, holds, fines and registrations', () => {
    const loans = (id: string, open: boolean): Row[] =>
      s.circ(
        `SELECT * FROM loans WHERE patron_id = ? AND returned_at IS ${open ? '' : 'NOT '}NULL`,
        id,
      );
    expect(loans(patron.id, true)).toHaveLength(3);
    expect(loans(patron.id, true).filter((l) => String(l.due_at) < now)).toHaveLength(1);
    expect(loans(patron.id, false)).toHaveLength(5);
    expect(loans(minor.id, true)).toHaveLength(2);
    expect(loans(guardian.id, true)).toHaveLength(1);

    expect(s.circ('SELECT status FROM holds WHERE patron_id = ?', patron.id)).toEqual([
      { status: 'WAITING' },
    ]);
    expect(s.circ('SELECT * FROM holds WHERE patron_id = ?', minor.id)).toHaveLength(1);

    const fines = s.circ('SELECT * FROM fines WHERE patron_id = ?', patron.id);
    expect(fines).toHaveLength(1);
    expect(fines[0]?.paid_at).toBeNull();

    const regs = (id: string): Row[] =>
      s.ev(
        'SELECT e.starts_at FROM registrations r JOIN events e ON e.id = r.event_id WHERE r.patron_id = ?',
        id,
      );
    expect(regs(patron.id).filter((r) => String(r.starts_at) > now)).toHaveLength(1);
    expect(regs(patron.id).filter((r) => String(r.starts_at) < now)).toHaveLength(1);
    expect(regs(minor.id).map((r) => String(r.starts_at) > now)).toEqual([true]);
  });

  it('registers the guardianship, the consents and the legal order', () => {
    expect(s.circ('SELECT guardian_id, minor_id, evidence_ref FROM guardianships')).toEqual([
      { guardian_id: guardian.id, minor_id: minor.id, evidence_ref: 'card-application-2024-118' },
    ]);
    const consents = s.circ(
      'SELECT * FROM consents WHERE grantee = ? ORDER BY id',
      PARTNER_PRINCIPAL,
    );
    const active = consents.filter(
      (c) => c.revoked_at === null && String(c.valid_from) <= now && String(c.valid_until) > now,
    );
    expect(active).toEqual([
      expect.objectContaining({
        patron_id: patron.id,
        scope: '["IDENTITY","CONTACT","CIRCULATION"]',
        document_ref: 'consent-form-2026-0031',
        valid_from: new Date(Date.parse('2026-03-15T00:00:00Z') - 30 * DAY).toISOString(),
        valid_until: new Date(Date.parse('2026-03-15T00:00:00Z') + 335 * DAY).toISOString(),
      }),
    ]);
    expect(
      consents.filter((c) => String(c.valid_until) < now && c.patron_id !== patron.id),
    ).toHaveLength(1);
    expect(consents.filter((c) => c.revoked_at !== null && c.patron_id !== patron.id)).toHaveLength(
      1,
    );

    const [order] = s.circ('SELECT * FROM legal_orders WHERE reference = ?', SEEDED_LEGAL_ORDER);
    expect(order).toMatchObject({
      kind: 'SUBPOENA',
      authority: 'Jefferson County District Court',
      scope: '["IDENTITY","CIRCULATION"]',
    });
    expect(String(order?.valid_from) < now && String(order?.valid_until) > now).toBe(true);
    const covered = s
      .circ('SELECT patron_id FROM legal_order_patrons WHERE order_id = ?', order?.id)
      .map((r) => r.patron_id);
    expect(covered).toHaveLength(3);
    expect(covered).toContain(patron.id);
    expect(
      count(
        s.circ(
          `SELECT count(*) AS n FROM patrons WHERE id IN (${covered.map(() => '?').join(',')})`,
          ...covered,
        ),
      ),
    ).toBe(3);
  });
});

describe('seed determinism', () => {
  const snapshot = async (options: Partial<SeedOptions>) => {
    const s = await seeded(options);
    const result = {
      // Persona PIN hashes are salted afresh each time; everything else must match exactly.
      patrons: s
        .circ('SELECT * FROM patrons ORDER BY id')
        .map((p) => ({ ...p, pin_hash: p.pin_hash !== null })),
      loans: s.circ('SELECT * FROM loans ORDER BY id'),
      holds: s.circ('SELECT * FROM holds ORDER BY id'),
      fines: s.circ('SELECT * FROM fines ORDER BY id'),
      works: s.cat('SELECT * FROM works ORDER BY id'),
      registrations: s.ev('SELECT * FROM registrations ORDER BY id'),
    };
    await s.close();
    return result;
  };

  it('produces identical rows for the same seed on the same day, and different rows for another seed', async () => {
    const first = await snapshot({ seed: 7 });
    const sameDay = await snapshot({ seed: 7, now: new Date('2026-03-15T23:59:00.000Z') });
    expect(sameDay).toEqual(first);
    const other = await snapshot({ seed: 8 });
    expect(other.patrons).not.toEqual(first.patrons);
    expect(other.loans).not.toEqual(first.loans);
  });
});
