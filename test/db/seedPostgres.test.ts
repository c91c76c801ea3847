import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, openSqlite, type Database } from '../../src/db/open.js';
import { seed } from '../../src/dev/seed/seed.js';
import { catalogMigrations, type CatalogTables } from '../../subgraphs/catalog/migrations.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';
import { createTestPostgresDatabase, TEST_ON_POSTGRES } from '../support/database.js';

const NOW = new Date('2026-03-15T12:34:56.000Z');

type Row = Record<string, unknown>;
type Stores = {
  catalog: Database<CatalogTables>;
  circulation: Database<CirculationTables>;
  events: Database<EventsTables>;
};

/** Every table a seed fills, as rows in a fixed order; persona PIN hashes (salted afresh) reduced to "has one". */
const TABLES: Array<[keyof Stores, string, string]> = [
  ['catalog', 'branches', 'id'],
  ['catalog', 'works', 'id'],
  ['catalog', 'items', 'id'],
  ['circulation', 'patrons', 'id'],
  ['circulation', 'items', 'id'],
  ['circulation', 'loans', 'id'],
  ['circulation', 'holds', 'id'],
  ['circulation', 'fines', 'id'],
  ['circulation', 'consents', 'id'],
  ['circulation', 'guardianships', 'id'],
  ['circulation', 'legal_order_patrons', 'order_id, patron_id'],
  ['circulation', 'stats_tallied', 'row_id'],
  ['events', 'events', 'id'],
  ['events', 'registrations', 'id'],
  ['events', 'stats_tallied', 'row_id'],
];

async function rows(db: Kysely<unknown>, table: string, order: string): Promise<Row[]> {
  const found =
    await sql<Row>`SELECT * FROM ${sql.table(table)} ORDER BY ${sql.raw(order)}`.execute(db);
  return found.rows.map((r) => ('pin_hash' in r ? { ...r, pin_hash: r.pin_hash !== null } : r));
}

/** The tally without its random entry ids: per month, the sorted (cell, digest) pairs. */
async function tally(db: Kysely<unknown>): Promise<Row[]> {
  return (
    await sql<Row>`SELECT month, cell, digest FROM stats_tally ORDER BY month, cell, digest`.execute(
      db,
    )
  ).rows;
}

/**
 * The PostgreSQL seed loads its bulk tables with COPY and builds their keys after; what it leaves
 * must be exactly what the SQLite seed leaves for the same seed and day, statistics tally included,
 * and the database must keep numbering new rows after the seeded ones.
 */
describe.skipIf(!TEST_ON_POSTGRES)('seed on PostgreSQL', () => {
  let url: string;
  let pg: Stores;
  let lite: Stores;

  beforeAll(async () => {
    url = await createTestPostgresDatabase();
    pg = {
      catalog: await openPostgres<CatalogTables>(url, 'catalog', catalogMigrations),
      circulation: await openPostgres<CirculationTables>(url, 'circulation', circulationMigrations),
      events: await openPostgres<EventsTables>(url, 'events', eventsMigrations),
    };
    lite = {
      catalog: await openSqlite<CatalogTables>(':memory:', catalogMigrations),
      circulation: await openSqlite<CirculationTables>(':memory:', circulationMigrations),
      events: await openSqlite<EventsTables>(':memory:', eventsMigrations),
    };
    for (const s of [pg, lite]) {
      await seed(
        { catalog: s.catalog.db, circulation: s.circulation.db, events: s.events.db },
        { scale: 'demo', now: NOW },
      );
    }
  }, 240_000);
  afterAll(async () => {
    for (const s of [pg, lite]) for (const db of Object.values(s ?? {})) await db.close();
  });

  it.each(TABLES)('%s.%s holds the same rows as the SQLite seed', async (store, table, order) => {
    const expected = await rows(lite[store].db as Kysely<unknown>, table, order);
    expect(expected.length).toBeGreaterThan(0);
    expect(await rows(pg[store].db as Kysely<unknown>, table, order)).toEqual(expected);
  });

  it.each(['circulation', 'events'] as const)(
    '%s: the statistics tally counts the same people in the same cells',
    async (store) => {
      const expected = await tally(lite[store].db as Kysely<unknown>);
      expect(expected.length).toBeGreaterThan(0);
      expect(await tally(pg[store].db as Kysely<unknown>)).toEqual(expected);
    },
  );

  it('numbers a new loan, hold and fine after the seeded ones', async () => {
    const db = pg.circulation.db;
    const loan = await db
      .insertInto('loans')
      .values({
        item_id: 'it_1',
        patron_id: null,
        branch_id: 'br_01',
        checked_out_at: '2026-03-15',
        due_at: '2026-04-05',
        returned_at: null,
        renewals: 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const max = await db
      .selectFrom('loans')
      .select((eb) => eb.fn.max('id').as('max'))
      .where('id', '<>', loan.id)
      .executeTakeFirstOrThrow();
    expect(loan.id).toBeGreaterThan(Number(max.max));
  });

  it('leaves the keys, constraints and indexes the migrations define', async () => {
    const fresh = await openPostgres<CirculationTables>(
      url,
      'circulation_fresh',
      circulationMigrations,
    );
    const definitions = async (db: Kysely<unknown>, schema: string) =>
      (
        await sql<{ def: string }>`
          SELECT tablename || ': ' || replace(indexdef, ${schema + '.'}, '') AS def FROM pg_indexes WHERE schemaname = ${schema}
          UNION ALL
          SELECT conrelid::regclass::text || ': ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
          WHERE connamespace = ${schema}::regnamespace
          ORDER BY 1`.execute(db)
      ).rows.map((r) => r.def.replace(`${schema}.`, ''));
    try {
      const expected = await definitions(fresh.db as Kysely<unknown>, 'circulation_fresh');
      expect(expected.join('\n')).toMatch(/loans_patron/);
      expect(await definitions(pg.circulation.db as Kysely<unknown>, 'circulation')).toEqual(
        expected,
      );
    } finally {
      await fresh.close();
    }
  });
});
