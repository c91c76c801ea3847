import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { openPostgres, openSqlite, type Database, type Migrations } from '../../src/db/open.js';
import { admin, seededTemplate, urlOf } from './postgresTemplate.js';

export { TEST_POSTGRES_ADMIN_URL } from './postgresTemplate.js';

/**
 * Which engine the store, resolver and end-to-end tests run on: SQLite in memory (the default,
 * `npm test`), or PostgreSQL with TEST_DATABASE=postgres (`npm run test:postgres`), where every
 * test file gets databases of its own on the server that are dropped when it ends.
 */
export const TEST_ON_POSTGRES = process.env.TEST_DATABASE === 'postgres';

const created: string[] = [];
const stores: Database<unknown>[] = [];
let fileDatabase: Promise<string> | null = null;
let schemas = 0;

/** Creates an empty PostgreSQL database of this test file (`t_<random>`), dropped after the file; returns its URL. */
export async function createTestPostgresDatabase(): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return urlOf(name);
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

// Outside vitest (bench/fuzzPrivacy.ts runs the test graph too) there is no suite to clean up after.
if (process.env.VITEST) {
  afterAll(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    for (const name of [...created]) await dropTestPostgresDatabase(urlOf(name));
  });
}

/**
 * A fresh, migrated store for one test: SQLite in memory, or on PostgreSQL a new schema (named
 * after `name`) in this test file's database, so tests never see each other's rows.
 */
export async function openTestStore<Tables>(
  name: string,
  migrations: Migrations,
): Promise<Database<Tables>> {
  if (!TEST_ON_POSTGRES) return openSqlite<Tables>(':memory:', migrations);
  fileDatabase ??= createTestPostgresDatabase();
  schemas += 1;
  const store = await openPostgres<Tables>(await fileDatabase, `${name}_${schemas}`, migrations);
  stores.push(store as unknown as Database<unknown>);
  return store;
}
