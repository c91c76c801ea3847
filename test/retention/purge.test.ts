import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purge } from '../../src/retention/purge.js';
import {
  DEFAULT_RETENTION_RULES,
  type RetentionRule,
  type RetentionRules,
} from '../../src/config/retention.js';
import { DAY, retentionFixture, type RetentionFixture } from './fixture.js';

const NOW = new Date('2026-11-28T12:00:00.000Z');
const ago = (days: number, ms = 0) => new Date(NOW.getTime() - days * DAY - ms).toISOString();
const IMMEDIATELY: RetentionRule = { kind: 'immediately' };
const NEVER: RetentionRule = { kind: 'never' };
const AFTER_30: RetentionRule = { kind: 'after', days: 30 };

let f: RetentionFixture;
const run = (
  rules: Partial<RetentionRules> = {},
  options: { now?: Date; batchSize?: number; dryRun?: boolean } = {},
) =>
  purge(
    { circulation: f.circulation.db, events: f.events.db },
    { rules: { ...DEFAULT_RETENTION_RULES, ...rules }, now: NOW, ...options },
  );
const linked = (rows: Record<string, unknown>[], id: number) =>
  rows.find((r) => r.id === id)?.patron_id ?? null;

beforeEach(async () => {
  f = await retentionFixture();
  for (const id of ['pat_ann', 'pat_bob']) await f.patron(id);
  await f.patron('pat_reader', { readingHistory: true });
});
afterEach(() => f.close());

describe('closed loans, by rule', () => {
  it.each([
    ['immediately', IMMEDIATELY, [true, true, true]],
    ['30d', AFTER_30, [false, true, true]],
    ['never', NEVER, [false, false, false]],
  ] as const)('%s', async (_, rule, expected) => {
    const ids = [
      await f.loan('pat_ann', ago(1)),
      await f.loan('pat_ann', ago(30)),
      await f.loan('pat_bob', ago(400)),
    ];
    const open = await f.loan('pat_ann', null);
    await run({ closedLoans: rule });
    const rows = await f.rows('loans');
    expect(ids.map((id) => linked(rows, id) === null)).toEqual(expected);
    expect(linked(rows, open)).toBe('pat_ann');
  });

  it('grace period boundaries: due at exactly N days, not a millisecond before', async () => {
    const edge = await f.loan('pat_ann', ago(30));
    const inside = await f.loan('pat_ann', ago(30, -1));
    expect((await run({ closedLoans: AFTER_30 })).anonymized.loans).toBe(1);
    expect(linked(await f.rows('loans'), edge)).toBeNull();
    expect(linked(await f.rows('loans'), inside)).toBe('pat_ann');
    // The clock moves on one millisecond: now the other one is due.
    await run({ closedLoans: AFTER_30 }, { now: new Date(NOW.getTime() + 1) });
    expect(linked(await f.rows('loans'), inside)).toBeNull();
  });

  it('keeps what statistics need and nothing that links back', async () => {
    const id = await f.loan('pat_ann', '2026-11-20T17:45:12.345Z');
    await run();
    expect((await f.rows('loans')).find((r) => r.id === id)).toEqual({
      id,
      item_id: 'it_1',
      patron_id: null,
      branch_id: 'br_01',
      renewals: 0,
      checked_out_at: '2026-11-10T00:00:00.000Z',
      due_at: '2026-12-01T00:00:00.000Z',
      returned_at: '2026-11-20T00:00:00.000Z',
      patron_age_band: '25-44',
      patron_home_branch_id: 'br_02',
    });
  });

  it("a reading-history patron's returned loans are kept for their own view", async () => {
    const id = await f.loan('pat_reader', ago(400));
    await run();
    expect(linked(await f.rows('loans'), id)).toBe('pat_reader');
  });
});

describe('the fee exception', () => {
  it('an unpaid fine keeps the loan linked under any rule; paid, the normal rule applies, and the fine follows', async () => {
    const loan = await f.loan('pat_ann', ago(5));
    const fine = await f.fine(loan, 'pat_ann', null);
    expect((await run({ loansWithFees: IMMEDIATELY })).anonymized).toMatchObject({
      loans: 0,
      fines: 0,
    });
    expect(linked(await f.rows('loans'), loan)).toBe('pat_ann');
    expect(linked(await f.rows('fines'), fine)).toBe('pat_ann');

    await f.circulation.db
      .updateTable('fines')
      .set({ paid_at: ago(1, 0) })
      .where('id', '=', fine)
      .execute();
    expect((await run()).anonymized).toMatchObject({ loans: 1, fines: 1 });
    expect(linked(await f.rows('loans'), loan)).toBeNull();
    // A paid fine is a financial record of a closed debt: it keeps its amount, reason and loan, not its patron.
    expect((await f.rows('fines')).find((r) => r.id === fine)).toMatchObject({
      patron_id: null,
      loan_id: loan,
      amount_cents: 125,
      reason: 'Overdue',
      created_at: '2026-01-02T00:00:00.000Z',
      paid_at: `${ago(1).slice(0, 10)}T00:00:00.000Z`,
    });
  });

  it('until-paid with a grace period counts it from the payment', async () => {
    const loan = await f.loan('pat_ann', ago(60));
    await f.fine(loan, 'pat_ann', ago(10));
    await run({ closedLoans: AFTER_30 });
    expect(linked(await f.rows('loans'), loan)).toBe('pat_ann');
    await run({ closedLoans: AFTER_30 }, { now: new Date(NOW.getTime() + 20 * DAY) });
    expect(linked(await f.rows('loans'), loan)).toBeNull();
  });

  it('a fee rule of never keeps fined loans even when paid; unfined loans still go', async () => {
    const fined = await f.loan('pat_ann', ago(60));
    await f.fine(fined, 'pat_ann', ago(50));
    const plain = await f.loan('pat_ann', ago(60));
    await run({ loansWithFees: NEVER });
    expect(linked(await f.rows('loans'), fined)).toBe('pat_ann');
    expect(linked(await f.rows('loans'), plain)).toBeNull();
  });

  it('a paid fine left linked behind an anonymized loan is caught up', async () => {
    const loan = await f.loan(null, ago(60));
    const fine = await f.fine(loan, 'pat_ann', ago(50));
    expect((await run()).anonymized).toMatchObject({ loans: 0, fines: 1 });
    expect(linked(await f.rows('fines'), fine)).toBeNull();
  });
});

describe('closed holds, by rule', () => {
  it.each([
    ['immediately', IMMEDIATELY, [true, true, true]],
    ['30d', AFTER_30, [false, true, true]],
    ['never', NEVER, [false, false, false]],
  ] as const)('%s', async (_, rule, expected) => {
    const closed = [
      await f.hold('pat_ann', 'FILLED', ago(1)),
      await f.hold('pat_ann', 'CANCELLED', ago(30)),
      await f.hold('pat_bob', 'FILLED', ago(90)),
    ];
    const open = [await f.hold('pat_ann', 'WAITING', null), await f.hold('pat_bob', 'READY', null)];
    await run({ holds: rule });
    const rows = await f.rows('holds');
    expect(closed.map((id) => linked(rows, id) === null)).toEqual(expected);
    expect(open.map((id) => linked(rows, id))).toEqual(['pat_ann', 'pat_bob']);
    if (expected[2])
      expect(rows.find((r) => r.id === closed[2])).toMatchObject({
        placed_at: '2026-01-02T00:00:00.000Z',
        status: 'FILLED',
      });
  });
});

describe('registrations, by rule, once the event is over', () => {
  it.each([
    ['immediately', IMMEDIATELY, [true, true, false]],
    ['30d', AFTER_30, [false, true, false]],
    ['never', NEVER, [false, false, false]],
  ] as const)('%s', async (_, rule, expected) => {
    const ids = [
      await f.registration('pat_ann', ago(1)),
      await f.registration('pat_bob', ago(45)),
      await f.registration('pat_ann', ago(-3)),
    ];
    await run({ registrations: rule });
    const rows = await f.registrations();
    expect(ids.map((id) => linked(rows, id) === null)).toEqual(expected);
    if (expected[1])
      expect(rows.find((r) => r.id === ids[1])).toMatchObject({
        registered_at: '2026-01-02T00:00:00.000Z',
        event_id: 'ev_2',
      });
  });
});

describe('the run', () => {
  async function fill(): Promise<void> {
    for (let i = 0; i < 25; i++) await f.loan(i % 2 ? 'pat_ann' : 'pat_bob', ago(i + 1));
    await f.loan('pat_ann', null);
    await f.hold('pat_ann', 'CANCELLED', ago(2));
    await f.registration('pat_bob', ago(2));
  }

  it('is idempotent: a second run changes nothing', async () => {
    await fill();
    const first = await run();
    expect(first.anonymized).toEqual({ loans: 25, fines: 0, holds: 1, registrations: 1 });
    const snapshot = await f.rows('loans');
    const second = await run();
    expect(second.total).toBe(0);
    expect(await f.rows('loans')).toEqual(snapshot);
  });

  it('works in keyset batches with the same outcome as one batch', async () => {
    await fill();
    const report = await run({}, { batchSize: 4 });
    expect(report.anonymized.loans).toBe(25);
    expect(report.batches).toBe(7 + 1 + 1);
  });

  it('a dry run counts what a real run does, and changes nothing', async () => {
    await fill();
    const before = await f.rows('loans');
    const dry = await run({}, { dryRun: true, batchSize: 4 });
    expect(await f.rows('loans')).toEqual(before);
    expect((await run()).anonymized).toEqual(dry.anonymized);
  });

  it('stops after the batch in progress when aborted, and a rerun finishes', async () => {
    await fill();
    const controller = new AbortController();
    const report = await purge(
      { circulation: f.circulation.db, events: f.events.db },
      {
        rules: DEFAULT_RETENTION_RULES,
        now: NOW,
        batchSize: 10,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.anonymized.loans > 0) controller.abort();
        },
      },
    );
    expect(report).toMatchObject({
      interrupted: true,
      anonymized: { loans: 10, holds: 0, registrations: 0 },
    });
    // Whole batches only: the ten lowest ids, each fully anonymized.
    const rows = (await f.rows('loans')).filter((r) => r.returned_at !== null);
    expect(rows.map((r) => r.patron_id === null)).toEqual([
      ...Array(10).fill(true),
      ...Array(15).fill(false),
    ]);
    expect((await run()).anonymized).toEqual({ loans: 15, fines: 0, holds: 1, registrations: 1 });
  });

  it('purges only the databases it is given', async () => {
    await fill();
    const report = await purge(
      { events: f.events.db },
      { rules: DEFAULT_RETENTION_RULES, now: NOW },
    );
    expect(report.anonymized).toEqual({ loans: 0, fines: 0, holds: 0, registrations: 1 });
  });
});
