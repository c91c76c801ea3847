import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { openPostgres, openSqlite, type Database, type Migrations } from '../../src/db/open.js';
import { catalogMigrations, type CatalogTables } from '../../subgraphs/catalog/migrations.js';
import { circulationMigrations, type CirculationTables } from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';
import { seed } from '../../src/seed/seed.js';

/**
 * Which engine the store, resolver and end-to-end tests run on: SQLite in memory (the default,
 * `npm test`), or PostgreSQL with TEST_DATABASE=postgres (`npm run test:postgres`), where every
 * test file gets databases of its own on the server that are dropped when it ends.
 */
export const TEST_ON_POSTGRES = process.env.TEST_DATABASE === 'postgres';

/** The server's maintenance database, from which the tests' own are created and dropped. */
export const TEST_POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const created: string[] = [];
const stores: Database<unknown>[] = [];
let fileDatabase: Promise<string> | null = null;
let schemas = 0;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The URL of `database` on the tests' server. */
const urlOf = (database: string): string => {
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

/** Creates an empty PostgreSQL database of this test file (`t_<random>`), dropped after the file; returns its URL. */
export async function createTestPostgresDatabase(): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return urlOf(name);
}

/**
 * A database holding the demo seed as `npm start` seeds it today, for graphs to be copied from:
 * PostgreSQL copies a template in about a second, where seeding takes a minute on a busy machine.
 * One per UTC day (the seed depends on the day) and migration set; made once, under a lock, by
 * whichever test file needs it first. Older ones are dropped.
 */
async function seededTemplate(): Promise<string> {
  const version = createHash('sha256')
    .update(JSON.stringify([Object.keys(catalogMigrations), Object.keys(circulationMigrations), Object.keys(eventsMigrations)]))
    .digest('hex')
    .slice(0, 8);
  const name = `t_tpl_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}_${version}`;
  return admin(async (client) => {
    await client.query(`SELECT pg_advisory_lock(hashtext('library-graph test template'))`);
    try {
      const found = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
      if (found.rowCount) return name;
      const stale = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE left(datname, 6) = 't_tpl_' AND datname <> $1`, [name]);
      for (const { datname } of stale.rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
      const url = urlOf(name);
      const catalog = await openPostgres<CatalogTables>(url, 'catalog', catalogMigrations);
      const circulation = await openPostgres<CirculationTables>(url, 'circulation', circulationMigrations);
      const events = await openPostgres<EventsTables>(url, 'events', eventsMigrations);
      try {
        await seed({ catalog: catalog.db, circulation: circulation.db, events: events.db }, { scale: 'demo' });
      } catch (error) {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        throw error;
      } finally {
        for (const store of [catalog, circulation, events]) await store.close();
      }
      return name;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('library-graph test template'))`);
    }
  });
}

/** Like createTestPostgresDatabase, holding the demo seed already (a copy of today's template). */
export async function createSeededTestPostgresDatabase(): Promise<string> {
  const template = await seededTemplate();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  created.push(name);
  return urlOf(name);
}

/** Drops a database made by createTestPostgresDatabase (connections still open are ended). */
export async function dropTestPostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const index = created.indexOf(name);
  if (index >= 0) created.splice(index, 1);
}

afterAll(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const name of [...created]) await dropTestPostgresDatabase(urlOf(name));
});

/**
 * A fresh, migrated store for one test: SQLite in memory, or on PostgreSQL a new schema (named
 * after `name`) in this test file's database, so tests never see each other's rows.
 */
export async function openTestStore<Tables>(name: string, migrations: Migrations): Promise<Database<Tables>> {
  if (!TEST_ON_POSTGRES) return openSqlite<Tables>(':memory:', migrations);
  fileDatabase ??= createTestPostgresDatabase();
  schemas += 1;
  const store = await openPostgres<Tables>(await fileDatabase, `${name}_${schemas}`, migrations);
  stores.push(store as unknown as Database<unknown>);
  return store;
}
