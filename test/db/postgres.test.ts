import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../../src/app/databases.js';
import { openPostgres, type PostgresDatabase } from '../../src/db/open.js';
import { loadConfig } from '../../src/config/env.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';
import { CirculationStore } from '../../subgraphs/circulation/store.js';
import { EventsStore } from '../../subgraphs/events/store.js';
import { createTestPostgresDatabase, TEST_ON_POSTGRES } from '../support/database.js';

/**
 * What only PostgreSQL needs proving: a schema per subgraph, releases the server itself refuses
 * to change, and replicas (separate pools) that write at once without overbooking a seat or
 * lending one copy twice. Runs under `npm run test:postgres` only.
 */
describe.skipIf(!TEST_ON_POSTGRES)('PostgreSQL stores', () => {
  let url: string;
  const open: PostgresDatabase<unknown>[] = [];
  const replica = async <T>(
    schema: string,
    migrations: Parameters<typeof openPostgres>[2],
    poolSize?: number,
  ) => {
    const db = await openPostgres<T>(url, schema, migrations, poolSize);
    open.push(db as unknown as PostgresDatabase<unknown>);
    return db;
  };

  beforeAll(async () => {
    url = await createTestPostgresDatabase();
  });
  afterAll(async () => {
    for (const db of open) await db.close();
  });

  it('DATABASE_POOL_SIZE caps every pool, each named in pg_stat_activity', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: ':memory:',
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: '2',
    });
    expect(config.postgres.circulation?.poolSize).toBe(2);
    expect(config.audit.postgres?.poolSize).toBe(2);
    expect(config.nonceStore).toMatchObject({ poolSize: 2 });
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_POOL_SIZE: '0' })).toThrow(
      /DATABASE_POOL_SIZE/,
    );
    const events = await replica<EventsTables>('pool_probe', eventsMigrations, 2);
    // Six statements at once through a pool of two: two connections, the others wait their turn.
    await Promise.all(
      Array.from({ length: 6 }, () => sql`select pg_sleep(0.05)`.execute(events.db)),
    );
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'library-graph/pool_probe'`.execute(
      events.db,
    );
    expect(rows[0]!.n).toBe(2);
    await sql`drop schema pool_probe cascade`.execute(events.db);
  });

  it('DATABASE_URL puts each subgraph in its own schema, and the audit in `audit`', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: ':memory:', DATABASE_URL: url });
    const databases = await openDatabases(config.dataDir, config.postgres, config.audit.postgres);
    try {
      const { rows } = await sql<{ schema: string; table: string }>`
        SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
        WHERE table_name IN ('works', 'loans', 'registrations', 'audit_batches') ORDER BY table_name`.execute(
        databases.catalog.db,
      );
      expect(rows).toEqual([
        { schema: 'audit', table: 'audit_batches' },
        { schema: 'circulation', table: 'loans' },
        { schema: 'events', table: 'registrations' },
        { schema: 'catalog', table: 'works' },
      ]);
      expect([
        databases.catalog.dialect,
        databases.circulation.dialect,
        databases.events.dialect,
        databases.audit.dialect,
      ]).toEqual(['postgres', 'postgres', 'postgres', 'postgres']);
    } finally {
      for (const db of Object.values(databases)) await db.close();
    }
  });

  it('a statistics release cannot be updated, deleted or truncated', async () => {
    const db = await replica<CirculationTables>('release_immutable', circulationMigrations);
    await db.db
      .insertInto('stats_releases')
      .values({
        id: 'circulation:2026-01:suppression:v1',
        scope: 'circulation',
        month: '2026-01',
        version: 1,
        mode: 'suppression',
        k: 10,
        epsilon: null,
        contribution: null,
        released_at: '2026-02-01T00:00:00.000Z',
        reason: 'closed',
      })
      .execute();
    await expect(db.db.updateTable('stats_releases').set({ k: 2 }).execute()).rejects.toThrow(
      /immutable/,
    );
    await expect(db.db.deleteFrom('stats_releases').execute()).rejects.toThrow(/immutable/);
    await expect(sql`TRUNCATE stats_releases CASCADE`.execute(db.db)).rejects.toThrow(/immutable/);
    expect(await db.db.selectFrom('stats_releases').select('k').execute()).toEqual([{ k: 10 }]);
  });

  it('two replicas registering at once never overbook an event', async () => {
    const a = await replica<EventsTables>('events_race', eventsMigrations);
    const b = await replica<EventsTables>('events_race', eventsMigrations);
    const now = () => new Date('2026-11-02T10:00:00Z');
    await a.db
      .insertInto('events')
      .values({
        id: 'ev_race',
        title: 'Talk',
        description: 'd',
        branch_id: 'br_01',
        starts_at: '2026-11-10T10:00:00.000Z',
        ends_at: '2026-11-10T11:00:00.000Z',
        capacity: 3,
      })
      .execute();
    const stores = [new EventsStore(a.db, now), new EventsStore(b.db, now)];
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => stores[i % 2]!.register('ev_race', `pat_${i}`)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results)
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/full \(capacity 3\)/);
    expect(await a.db.selectFrom('registrations').select('patron_id').execute()).toHaveLength(3);
  });

  it('two replicas checking out one copy at once lend it once', async () => {
    const a = await replica<CirculationTables>('circulation_race', circulationMigrations);
    const b = await replica<CirculationTables>('circulation_race', circulationMigrations);
    const patrons = Array.from({ length: 8 }, (_, i) => ({
      id: `pat_${i}`,
      card_number: `card-${i}`,
      name: `P${i}`,
      email: null,
      phone: null,
      address: null,
      birth_date: '1990-01-01',
      home_branch_id: 'br_01',
      pin_hash: null,
      reading_history: 0,
      created_at: '2026-01-01T00:00:00Z',
    }));
    await a.db.insertInto('patrons').values(patrons).execute();
    await a.db
      .insertInto('items')
      .values({ id: 'book-1', work_id: 'w-book', format: 'BOOK', branch_id: 'br_01' })
      .execute();
    const now = () => new Date('2026-11-02T10:00:00Z');
    const stores = [new CirculationStore(a.db, now), new CirculationStore(b.db, now)];
    const results = await Promise.allSettled(
      patrons.map((p, i) => stores[i % 2]!.checkout('book-1', p.id)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/already on loan/);
    expect(
      await a.db.selectFrom('loans').select('id').where('returned_at', 'is', null).execute(),
    ).toHaveLength(1);
  });
});

describe('PostgreSQL configuration', () => {
  it('DATABASE_URL places every subgraph, a per-subgraph URL overrides it, and no URL keeps SQLite', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).postgres).toEqual({
      catalog: null,
      circulation: null,
      events: null,
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgres://db/library',
      EVENTS_DATABASE_URL: 'postgresql://other/events',
    });
    expect(config.postgres).toEqual({
      catalog: { url: 'postgres://db/library', schema: 'catalog', poolSize: 10 },
      circulation: { url: 'postgres://db/library', schema: 'circulation', poolSize: 10 },
      events: { url: 'postgresql://other/events', schema: 'events', poolSize: 10 },
    });
  });

  it('refuses a URL that is not postgres://', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'mysql://db/library' })).toThrow(
      /DATABASE_URL: must be a postgres:\/\//,
    );
    expect(() =>
      loadConfig({ NODE_ENV: 'test', CIRCULATION_DATABASE_URL: 'data/circ.db' }),
    ).toThrow(/CIRCULATION_DATABASE_URL/);
  });
});
