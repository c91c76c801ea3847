import { sql } from 'kysely';
import { openSqlite, type Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';

/** Milliseconds in a day. */
export const DAY = 86_400_000;

/** Empty, migrated circulation and events databases with small helpers to fill them. */
export interface RetentionFixture {
  circulation: Database<CirculationTables>;
  events: Database<EventsTables>;
  patron(id: string, options?: { readingHistory?: boolean }): Promise<void>;
  /** A loan of a fresh item, checked out 10 days before it is returned (null: still open). */
  loan(patronId: string | null, returnedAt: string | null): Promise<number>;
  fine(loanId: number, patronId: string, paidAt: string | null): Promise<number>;
  hold(
    patronId: string,
    status: 'WAITING' | 'READY' | 'FILLED' | 'CANCELLED',
    closedAt: string | null,
  ): Promise<number>;
  /** An event ending at `endsAt` with one registration of `patronId`; returns the registration id. */
  registration(patronId: string, endsAt: string): Promise<number>;
  /** Raw rows of a table, by id. */
  rows(table: 'loans' | 'fines' | 'holds' | 'patrons'): Promise<Record<string, unknown>[]>;
  registrations(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Opens the fixture: fresh test stores (in memory, or on PostgreSQL with TEST_DATABASE=postgres);
 * `dir` gives SQLite files there instead, for the tests that read the files themselves.
 */
export async function retentionFixture(dir?: string): Promise<RetentionFixture> {
  const circulation = dir
    ? await openSqlite<CirculationTables>(`${dir}/circulation.db`, circulationMigrations)
    : await openTestStore<CirculationTables>('circulation', circulationMigrations);
  const events = dir
    ? await openSqlite<EventsTables>(`${dir}/events.db`, eventsMigrations)
    : await openTestStore<EventsTables>('events', eventsMigrations);
  let items = 0;
  let eventCount = 0;
  const c = circulation.db;
  return {
    circulation,
    events,
    async patron(id, options = {}) {
      await c
        .insertInto('patrons')
        .values({
          id,
          card_number: `card-${id}`,
          name: `Name of ${id}`,
          email: null,
          phone: null,
          address: null,
          birth_date: '1990-05-05',
          home_branch_id: 'br_02',
          pin_hash: null,
          reading_history: options.readingHistory ? 1 : 0,
          created_at: '2020-01-01T00:00:00.000Z',
        })
        .execute();
    },
    async loan(patronId, returnedAt) {
      items += 1;
      const item = `it_${items}`;
      await c
        .insertInto('items')
        .values({ id: item, work_id: `wk_${items}`, format: 'BOOK', branch_id: 'br_01' })
        .execute();
      const back = returnedAt ?? new Date().toISOString();
      const out = new Date(Date.parse(back) - 10 * DAY + 3_600_000).toISOString();
      const row = await c
        .insertInto('loans')
        .values({
          item_id: item,
          patron_id: patronId,
          branch_id: 'br_01',
          checked_out_at: out,
          due_at: new Date(Date.parse(out) + 21 * DAY).toISOString(),
          returned_at: returnedAt,
          renewals: 0,
          patron_age_band: '25-44',
          patron_home_branch_id: 'br_02',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async fine(loanId, patronId, paidAt) {
      const row = await c
        .insertInto('fines')
        .values({
          patron_id: patronId,
          loan_id: loanId,
          amount_cents: 125,
          reason: 'Overdue',
          created_at: '2026-01-02T13:14:15.000Z',
          paid_at: paidAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async hold(patronId, status, closedAt) {
      const row = await c
        .insertInto('holds')
        .values({
          work_id: 'wk_1',
          patron_id: patronId,
          pickup_branch_id: 'br_01',
          placed_at: '2026-01-02T13:14:15.000Z',
          status,
          item_id: null,
          closed_at: closedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async registration(patronId, endsAt) {
      eventCount += 1;
      const id = `ev_${eventCount}`;
      await events.db
        .insertInto('events')
        .values({
          id,
          title: 'Story time',
          description: 'Stories.',
          branch_id: 'br_01',
          starts_at: new Date(Date.parse(endsAt) - 3_600_000).toISOString(),
          ends_at: endsAt,
          capacity: 20,
        })
        .execute();
      const row = await events.db
        .insertInto('registrations')
        .values({
          event_id: id,
          patron_id: patronId,
          registered_at: '2026-01-02T13:14:15.000Z',
          attended: 0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    rows: async (table) =>
      (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} ORDER BY id`.execute(c))
        .rows,
    registrations: async () =>
      (
        await sql<Record<string, unknown>>`SELECT * FROM registrations ORDER BY id`.execute(
          events.db,
        )
      ).rows,
    async close() {
      await circulation.close();
      await events.close();
    },
  };
}
