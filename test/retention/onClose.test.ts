import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purge } from '../../src/retention/purge.js';
import { DEFAULT_RETENTION_RULES, type RetentionRules } from '../../src/config/retention.js';
import { CirculationStore } from '../../subgraphs/circulation/store.js';
import { InvalidInput } from '../../src/errors/domain.js';
import { DAY, retentionFixture, type RetentionFixture } from './fixture.js';

// Anonymization at the close itself: returnItem, a hold filled by checkout or cancelled, and a
// patron turning reading history off, each in the transaction that closes the record.
let f: RetentionFixture;
let clock: Date;
const store = (rules: Partial<RetentionRules> = {}) =>
  new CirculationStore(f.circulation.db, () => clock, { ...DEFAULT_RETENTION_RULES, ...rules });
const loanOf = async (itemId: string) => (await f.rows('loans')).find((r) => r.item_id === itemId)!;

beforeEach(async () => {
  f = await retentionFixture();
  clock = new Date('2026-11-02T10:00:00.000Z');
  await f.patron('pat_ann');
  await f.patron('pat_bob');
  await f.patron('pat_reader', { readingHistory: true });
  await f.circulation.db
    .insertInto('items')
    .values([
      { id: 'book-1', work_id: 'w-book', format: 'BOOK', branch_id: 'br_01' },
      { id: 'book-2', work_id: 'w-book', format: 'BOOK', branch_id: 'br_02' },
    ])
    .execute();
});
afterEach(() => f.close());

describe('returnItem', () => {
  it('immediately (default): the returned loan has no patron, and the answer says so', async () => {
    await store().checkout('book-1', 'pat_ann');
    clock = new Date(clock.getTime() + 3 * DAY);
    const returned = await store().returnItem('book-1');
    expect(returned).toMatchObject({
      patron_id: null,
      patronId: null,
      returned_at: '2026-11-05T00:00:00.000Z',
    });
    expect(await loanOf('book-1')).toMatchObject({
      patron_id: null,
      checked_out_at: '2026-11-02T00:00:00.000Z',
      patron_age_band: '25-44',
      patron_home_branch_id: 'br_02',
    });
  });

  it('an overdue return keeps the link while its fine is unpaid; paid, the purge removes both', async () => {
    await store().checkout('book-1', 'pat_ann');
    clock = new Date(clock.getTime() + 25 * DAY);
    expect((await store().returnItem('book-1')).patronId).toBe('pat_ann');
    expect(await f.rows('fines')).toMatchObject([{ patron_id: 'pat_ann', paid_at: null }]);
    await f.circulation.db.updateTable('fines').set({ paid_at: clock.toISOString() }).execute();
    await purge({ circulation: f.circulation.db }, { rules: DEFAULT_RETENTION_RULES, now: clock });
    expect((await loanOf('book-1')).patron_id).toBeNull();
    expect(await f.rows('fines')).toMatchObject([{ patron_id: null, amount_cents: 100 }]);
  });

  it('a grace period keeps the link until it has passed', async () => {
    const rules = { closedLoans: { kind: 'after', days: 14 } } as const;
    await store(rules).checkout('book-1', 'pat_ann');
    expect((await store(rules).returnItem('book-1')).patronId).toBe('pat_ann');
    const later = (days: number) => new Date(clock.getTime() + days * DAY);
    await purge(
      { circulation: f.circulation.db },
      { rules: { ...DEFAULT_RETENTION_RULES, ...rules }, now: later(13) },
    );
    expect((await loanOf('book-1')).patron_id).toBe('pat_ann');
    await purge(
      { circulation: f.circulation.db },
      { rules: { ...DEFAULT_RETENTION_RULES, ...rules }, now: later(14) },
    );
    expect((await loanOf('book-1')).patron_id).toBeNull();
  });

  it('never: the link stays', async () => {
    await store({ closedLoans: { kind: 'never' } }).checkout('book-1', 'pat_ann');
    expect((await store({ closedLoans: { kind: 'never' } }).returnItem('book-1')).patronId).toBe(
      'pat_ann',
    );
  });

  it("a reading-history patron's loan is kept for their own view, and shown to no other read", async () => {
    const loan = await store().checkout('book-1', 'pat_reader');
    expect((await store().returnItem('book-1')).patronId).toBeNull();
    expect((await loanOf('book-1')).patron_id).toBe('pat_reader');
    expect((await store().readingHistories(['pat_reader']))[0]).toMatchObject([
      { id: loan.id, patronId: 'pat_reader' },
    ]);
    expect(await store().loansByIds([loan.id])).toMatchObject([
      { id: loan.id, patron_id: null, patronId: null },
    ]);
    expect(await store().listLoans({ status: 'RETURNED', first: 10, after: null })).toMatchObject([
      { id: loan.id, patronId: null },
    ]);
  });

  it('with reading history, a paid fine shows no loan; an unpaid one, and its loan, are shown as they are', async () => {
    await store().checkout('book-1', 'pat_reader');
    clock = new Date(clock.getTime() + 25 * DAY);
    const fined = await store().returnItem('book-1');
    expect(fined.patronId).toBe('pat_reader');
    expect((await store().finesByPatrons(['pat_reader']))[0]).toMatchObject([
      { loan_id: fined.id, paid_at: null },
    ]);
    await f.circulation.db.updateTable('fines').set({ paid_at: clock.toISOString() }).execute();
    expect((await store().finesByPatrons(['pat_reader']))[0]).toMatchObject([
      { loan_id: null, amount_cents: 100 },
    ]);
    expect((await store().loansByIds([fined.id]))[0]?.patronId).toBeNull();
    // Under a grace period the same loan is still kept for operations, so it shows.
    const grace = store({ closedLoans: { kind: 'after', days: 30 } });
    expect((await grace.loansByIds([fined.id]))[0]?.patronId).toBe('pat_reader');
  });
});

describe('holds', () => {
  it('a cancelled hold loses its patron at once', async () => {
    const hold = await store().placeHold('w-book', 'pat_bob', 'br_01');
    const cancelled = await store().cancelHold(hold.id, 'pat_bob');
    expect(cancelled).toMatchObject({ status: 'CANCELLED', patronId: null });
  });

  it('a hold filled by checkout loses its patron at once; the loan stays theirs while open', async () => {
    await store().checkout('book-1', 'pat_ann');
    const hold = await store().placeHold('w-book', 'pat_bob', 'br_01');
    await store().returnItem('book-1');
    expect(await store().holdById(hold.id)).toMatchObject({ status: 'READY', patronId: 'pat_bob' });
    const loan = await store().checkout('book-1', 'pat_bob');
    expect(loan.patronId).toBe('pat_bob');
    expect(await store().holdById(hold.id)).toMatchObject({ status: 'FILLED', patronId: null });
  });

  it('with holds kept 30 days, a cancelled hold keeps its patron', async () => {
    const rules = { holds: { kind: 'after', days: 30 } } as const;
    const hold = await store(rules).placeHold('w-book', 'pat_bob', 'br_01');
    expect((await store(rules).cancelHold(hold.id, 'pat_bob')).patronId).toBe('pat_bob');
  });
});

describe('setReadingHistory', () => {
  async function history(patronId: string): Promise<number[]> {
    for (const item of ['book-1', 'book-2']) {
      await store().checkout(item, patronId);
      clock = new Date(clock.getTime() + DAY);
    }
    await store().returnItem('book-1');
    clock = new Date(clock.getTime() + 40 * DAY);
    await store().returnItem('book-2'); // overdue: fined, unpaid
    return (await f.rows('loans')).map((r) => r.id as number);
  }

  it('off by default; turning it on keeps the next returns', async () => {
    expect((await f.rows('patrons')).find((p) => p.id === 'pat_ann')?.reading_history).toBe(0);
    expect(await store().setReadingHistory('pat_ann', true)).toEqual({
      enabled: true,
      loansAnonymized: 0,
    });
    await history('pat_ann');
    expect((await store().readingHistories(['pat_ann']))[0]).toHaveLength(2);
  });

  it('turning it off anonymizes the returned loans at once, except one with an unpaid fine', async () => {
    await history('pat_reader');
    expect((await f.rows('loans')).map((r) => r.patron_id)).toEqual(['pat_reader', 'pat_reader']);
    expect(await store().setReadingHistory('pat_reader', false)).toEqual({
      enabled: false,
      loansAnonymized: 1,
    });
    expect((await f.rows('loans')).map((r) => r.patron_id)).toEqual([null, 'pat_reader']);
    expect((await store().readingHistories(['pat_reader']))[0]).toEqual([]);
  });

  it('refuses a patron that does not exist, changing nothing', async () => {
    await expect(store().setReadingHistory('pat_ghost', false)).rejects.toBeInstanceOf(
      InvalidInput,
    );
  });
});
