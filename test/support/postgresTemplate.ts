import { createHash } from 'node:crypto';
import pg from 'pg';
import { openPostgres } from '../../src/db/open.js';
import { seed } from '../../src/dev/seed/seed.js';
import { catalogMigrations, type CatalogTables } from '../../subgraphs/catalog/migrations.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';

/** The server's maintenance database, from which the tests' own are created and dropped. */
export const TEST_POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs `work` on a connection to the maintenance database. */
export async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The URL of `database` on the tests' server. */
export const urlOf = (database: string): string => {
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

/**
 * A database holding the demo seed as `npm start` seeds it today, for graphs to be copied from:
 * PostgreSQL copies a template in about a second, where seeding takes a minute on a busy machine.
 * One per UTC day (the seed depends on the day) and migration set; made once, under a lock, by
 * whichever comes first: `npm run test:postgres` before the tests start (so no test file waits
 * on it), else the first test file that needs it. Older ones are dropped, and
 * `npm run test:postgres` drops today's when the run ends.
 */
export async function seededTemplate(): Promise<string> {
  const version = createHash('sha256')
    .update(
      JSON.stringify([
        Object.keys(catalogMigrations),
        Object.keys(circulationMigrations),
        Object.keys(eventsMigrations),
      ]),
    )
    .digest('hex')
    .slice(0, 8);
  const name = `t_tpl_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}_${version}`;
  return admin(async (client) => {
    await client.query(`SELECT pg_advisory_lock(hashtext('library-graph test template'))`);
    try {
      const found = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
      if (found.rowCount) return name;
      const stale = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE left(datname, 6) = 't_tpl_' AND datname <> $1`,
        [name],
      );
      for (const { datname } of stale.rows)
        await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
      const url = urlOf(name);
      const catalog = await openPostgres<CatalogTables>(url, 'catalog', catalogMigrations);
      const circulation = await openPostgres<CirculationTables>(
        url,
        'circulation',
        circulationMigrations,
      );
      const events = await openPostgres<EventsTables>(url, 'events', eventsMigrations);
      try {
        await seed(
          { catalog: catalog.db, circulation: circulation.db, events: events.db },
          { scale: 'demo' },
        );
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
