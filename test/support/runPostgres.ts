/**
 * `npm run test:postgres`: the store, retention, release and end-to-end tests again, on
 * PostgreSQL (TEST_DATABASE=postgres; every test file or graph in a database of its own, dropped
 * after). Without a reachable server the run is skipped, unless REQUIRE_POSTGRES=1 (CI), which
 * makes it a failure. Extra arguments go to vitest (e.g. one file).
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { seededTemplate, TEST_POSTGRES_ADMIN_URL } from './postgresTemplate.js';

/** The suites that run on either engine (the others read SQLite files or handles themselves). */
export const POSTGRES_SUITES = [
  'test/domain',
  // test/e2e but startCommand.test.ts, which runs `npm start` over SQLite files as a user would.
  'test/e2e/audit.test.ts',
  'test/e2e/batching.test.ts',
  'test/e2e/federation.test.ts',
  'test/e2e/insiders.test.ts',
  'test/e2e/logs.test.ts',
  'test/e2e/personaTable.test.ts',
  'test/e2e/prefilter.test.ts',
  'test/e2e/registers.test.ts',
  'test/e2e/signedContext.test.ts',
  'test/db',
  // The audit on PostgreSQL (AUDIT_DATABASE_URL); the other test/privacy/audit suites read SQLite handles.
  'test/privacy/audit/postgres.test.ts',
  'test/privacy/audit/postgresGraph.test.ts',
  'test/retention/purge.test.ts',
  'test/retention/onClose.test.ts',
  'test/retention/scheduleRelease.test.ts',
  'test/retention/equivalence.test.ts',
  'test/analytics/dp.test.ts',
  'test/analytics/releaseCorrection.test.ts',
  // Replicas as separate processes on network-namespace hosts over one database (PostgreSQL only).
  'test/replicas',
];

const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
try {
  await client.connect();
  await client.end();
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  const where = new URL(TEST_POSTGRES_ADMIN_URL).host;
  if (process.env.REQUIRE_POSTGRES === '1') {
    console.error(`test:postgres: no PostgreSQL at ${where} (${reason}), and REQUIRE_POSTGRES=1`);
    process.exit(1);
  }
  console.warn(`test:postgres: skipped, no PostgreSQL at ${where} (${reason}); REQUIRE_POSTGRES=1 makes this a failure`);
  process.exit(0);
}

const args = process.argv.slice(2);
await seededTemplate();
const result = spawnSync('npx', ['vitest', 'run', ...(args.length ? args : POSTGRES_SUITES)], {
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE: 'postgres' },
});
// The seeded templates the graphs were copied from (test/support/database.ts) go with the run.
const cleanup = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
await cleanup.connect();
const templates = await cleanup.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE left(datname, 6) = 't_tpl_'`);
for (const { datname } of templates.rows) await cleanup.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
await cleanup.end();
process.exit(result.status ?? 1);
