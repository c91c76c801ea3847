import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { CirculationStore } from '../../subgraphs/circulation/store.js';
import { InvalidInput, NotFound } from '../../src/errors/domain.js';
import {
  FINE_CAP_CENTS,
  RENEWAL_LIMIT,
  dueDate,
  overdueFineCents,
} from '../../subgraphs/circulation/lending.js';

const DAY = 86_400_000;
let db: Database<CirculationTables>;
let clock: Date;
let store: CirculationStore;

const patron = (id: string) => ({
  id,
  card_number: `card-${id}`,
  name: id,
  email: null,
  phone: null,
  address: null,
  birth_date: '1990-01-01',
  home_branch_id: 'br_01',
  pin_hash: null,
  reading_history: 0,
  created_at: '2026-01-01T00:00:00Z',
});

beforeEach(async () => {
  db = await openTestStore<CirculationTables>('circulation', circulationMigrations);
  clock = new Date('2026-11-02T10:00:00Z');
  store = new CirculationStore(db.db, () => clock);
  await db.db
    .insertInto('patrons')
    .values([patron('ann'), patron('bob'), patron('cy')])
    .execute();
  await db.db
    .insertInto('items')
    .values([
      { id: 'book-1', work_id: 'w-book', format: 'BOOK', branch_id: 'br_01' },
      { id: 'book-2', work_id: 'w-book', format: 'BOOK', branch_id: 'br_02' },
      { id: 'dvd-1', work_id: 'w-dvd', format: 'DVD', branch_id: 'br_01' },
    ])
    .execute();
});

describe('loan periods by format', () => {
  it.each([
    ['BOOK', 21],
    ['LARGE_PRINT', 21],
    ['AUDIOBOOK', 21],
    ['VIDEO_GAME', 14],
    ['DVD', 7],
    ['MAGAZINE', 7],
  ])('%s goes out for %i days', (format, days) => {
    const from = new Date('2026-01-01T00:00:00Z');
    expect(dueDate(format, from).getTime() - from.getTime()).toBe(days * DAY);
  });

  it('a checkout is due by its format', async () => {
    const loan = await store.checkout('dvd-1', 'ann');
    expect(new Date(loan.due_at).getTime() - clock.getTime()).toBe(7 * DAY);
  });
});

describe('checkout', () => {
  it('an item on loan cannot go out again', async () => {
    await store.checkout('book-1', 'ann');
    await expect(store.checkout('book-1', 'bob')).rejects.toThrow('already on loan');
  });

  it('names an unknown item and refuses an unknown patron', async () => {
    await expect(store.checkout('nope', 'ann')).rejects.toBeInstanceOf(NotFound);
    await expect(store.checkout('book-1', 'ghost')).rejects.toBeInstanceOf(InvalidInput);
  });
});

describe('renewal', () => {
  it(`allows ${RENEWAL_LIMIT} renewals, then refuses`, async () => {
    const loan = await store.checkout('book-1', 'ann');
    for (let i = 1; i <= RENEWAL_LIMIT; i++)
      expect((await store.renewLoan(loan.id, 'ann')).renewals).toBe(i);
    await expect(store.renewLoan(loan.id, 'ann')).rejects.toThrow('renewal limit');
  });

  it('is refused while another patron waits for the work', async () => {
    const loan = await store.checkout('book-1', 'ann');
    await store.checkout('book-2', 'cy');
    await store.placeHold('w-book', 'bob', 'br_01');
    await expect(store.renewLoan(loan.id, 'ann')).rejects.toThrow('Another patron is waiting');
  });

  it('is allowed when the only hold on the work is the borrower own', async () => {
    const loan = await store.checkout('book-1', 'ann');
    await store.placeHold('w-book', 'ann', 'br_01');
    expect((await store.renewLoan(loan.id, 'ann')).renewals).toBe(1);
  });

  it("a patron cannot renew someone else's loan", async () => {
    const loan = await store.checkout('book-1', 'ann');
    await expect(store.renewLoan(loan.id, 'bob')).rejects.toThrow('No such loan');
  });
});

describe('return', () => {
  it('fills the oldest waiting hold: the copy goes to the hold shelf for that patron only', async () => {
    await store.checkout('book-1', 'ann');
    await store.checkout('book-2', 'cy');
    const first = await store.placeHold('w-book', 'bob', 'br_01');
    clock = new Date(clock.getTime() + 1000);
    await store.placeHold('w-book', 'cy', 'br_01');
    await store.returnItem('book-1');
    const ready = await store.holdById(first.id);
    expect(ready).toMatchObject({ status: 'READY', item_id: 'book-1' });
    await expect(store.checkout('book-1', 'cy')).rejects.toThrow('hold shelf for another patron');
    await store.checkout('book-1', 'bob');
    expect((await store.holdById(first.id))!.status).toBe('FILLED');
  });

  it('charges an overdue fine, capped', async () => {
    await store.checkout('dvd-1', 'ann');
    clock = new Date(clock.getTime() + 10 * DAY);
    await store.returnItem('dvd-1');
    const fines = await db.db.selectFrom('fines').selectAll().execute();
    expect(fines.map((f) => f.amount_cents)).toEqual([3 * 25]);
    expect(overdueFineCents('2026-01-01T00:00:00Z', new Date('2027-01-01T00:00:00Z'))).toBe(
      FINE_CAP_CENTS,
    );
    expect(overdueFineCents('2026-01-01T00:00:00Z', new Date('2025-12-31T00:00:00Z'))).toBe(0);
  });

  it('refuses to return an item that is not out', async () => {
    await expect(store.returnItem('book-1')).rejects.toThrow('not on loan');
  });
});

describe('holds', () => {
  it('refuses a second hold on the same work by the same patron', async () => {
    await store.placeHold('w-book', 'bob', 'br_01');
    await expect(store.placeHold('w-book', 'bob', 'br_01')).rejects.toThrow('already has a hold');
  });

  it('cancelling a ready hold passes the copy to the next patron waiting', async () => {
    await store.checkout('book-1', 'ann');
    await store.checkout('book-2', 'ann');
    const bob = await store.placeHold('w-book', 'bob', 'br_01');
    clock = new Date(clock.getTime() + 1000);
    const cy = await store.placeHold('w-book', 'cy', 'br_01');
    await store.returnItem('book-1');
    await store.cancelHold(bob.id, 'bob');
    expect(await store.holdById(cy.id)).toMatchObject({ status: 'READY', item_id: 'book-1' });
  });
});

describe('transactions', () => {
  it('a failure mid-checkout leaves nothing half done', async () => {
    await store.placeHold('w-book', 'bob', 'br_01');
    await store.checkout('book-1', 'ann');
    await store.returnItem('book-1'); // bob's hold is now READY on book-1
    const failing = new CirculationStore(db.db, () => {
      throw new Error('clock broke');
    });
    await expect(failing.checkout('book-1', 'bob')).rejects.toThrow('clock broke');
    const hold = await db.db
      .selectFrom('holds')
      .select('status')
      .where('patron_id', '=', 'bob')
      .executeTakeFirstOrThrow();
    expect(hold.status).toBe('READY');
    const open = await db.db
      .selectFrom('loans')
      .selectAll()
      .where('returned_at', 'is', null)
      .execute();
    expect(open).toEqual([]);
  });
});
