/**
 * `npm run test:postgres`: every test file whose stores follow TEST_DATABASE (postgresSuites) again, on
 * PostgreSQL (TEST_DATABASE=postgres; every test file or graph in a database of its own, dropped
 * after). Without a reachable server the run is skipped, unless REQUIRE_POSTGRES=1 (CI), which
 * makes it a failure. Extra arguments go to vitest (e.g. one file); `--list` prints the files.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { seededTemplate, TEST_POSTGRES_ADMIN_URL } from './postgresTemplate.js';

/**
 * Test files that open SQLite themselves (files, handles, processes over a data dir) or reach the
 * engine-switching helpers yet test what only SQLite has: they stay on `npm test` (each with why).
 * postgresSuites() refuses a file that opens SQLite and is in neither.
 */
export const SQLITE_ONLY: Record<string, string> = {
  'test/retention/walCheckpoint.test.ts': 'WAL checkpoints and the size of SQLite -wal files',
  'test/retention/walCheckpointer.test.ts':
    'the WAL checkpointer over a SQLite file and a second reader',
  'test/retention/walRelease.test.ts': 'what a SQLite -wal file still holds until a checkpoint',
  'test/retention/disk.test.ts':
    'raw scans of the SQLite files after a purge, and a purge killed mid-run over them',
  'test/retention/unlinkable.test.ts':
    'raw scans of the SQLite database and -wal files for a patron id',
  'test/faults/auditFaults.test.ts':
    'the SQLite audit file full, read-only or write-locked by another connection',
  'test/faults/killedSubgraph.test.ts':
    'processes killed over a SQLite data dir; reads their audit.db after',
  'test/privacy/audit/anchors.test.ts':
    'the SQLite audit file (AUDIT_DATABASE_URL on PostgreSQL: test/privacy/audit/postgres*.test.ts)',
  'test/privacy/audit/batches.test.ts':
    'the SQLite audit batches and the sorted-runs subject index (audit_subject_runs)',
  'test/privacy/audit/chain.test.ts':
    'tampering with the SQLite audit file by hand (PostgreSQL: test/privacy/audit/postgres.test.ts)',
  'test/privacy/audit/forPatrons.test.ts':
    "paging a patron's log from the SQLite audit file and its sorted-runs index",
  'test/privacy/audit/subjects.test.ts':
    'the sorted-runs subject index of the SQLite audit and the AuditWriter over a file',
  'test/privacy/audit/anchorProcess.test.ts': 'the anchor process over a SQLite data dir',
  'test/subgraph/sharedExecution.test.ts':
    "reads each request's records from the SQLite audit file (adopting a shared execution's records is the same over either store)",
  'test/analytics/export.test.ts':
    'the export over SQLite files of a data dir, one made by VACUUM INTO',
  'test/analytics/exportSnapshot.test.ts':
    'a second SQLite connection writing to the file while the export reads',
  'test/e2e/startCommand.test.ts': '`npm start` over SQLite files as a user runs it',
  'test/observability/supervised.test.ts': 'the supervised services over a SQLite data dir',
  'test/privacy/sign/rotation.test.ts': 'services started over a SQLite data dir to rotate keys',
  'test/privacy/sign/signature.test.ts':
    'the shared nonce store as a SQLite file (PostgreSQL: test/db/nonceStore.test.ts)',
  'test/dev/seed.test.ts':
    "raw SQLite reads of a seeded store (the PostgreSQL seed runs for every graph's template)",
  'test/supervisor/config.test.ts':
    'configuration refused before any store opens (DATA_DIR names no directory)',
};

/** What a test file that opens SQLite by itself contains. */
const OPENS_SQLITE = /better-sqlite3|sqliteOf|openSqlite|\bDATA_DIR\b/;

/**
 * The helpers through which a test file's stores follow TEST_DATABASE: a test file that never
 * reaches them (directly or through other test/ modules) is a pure unit test or opens SQLite
 * files itself, and would run the same twice.
 */
const ENGINE_HELPERS = ['test/support/database.ts', 'test/support/graph.ts'].map((file) =>
  path.resolve(file),
);

/** The test/ modules a file imports by relative path, `.js` specifiers mapped to their `.ts` sources. */
function relativeImports(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = path.resolve(path.dirname(file), match[1]!).replace(/\.js$/, '.ts');
    if (target.startsWith(path.resolve('test') + path.sep) && fs.existsSync(target))
      found.push(target);
  }
  return found;
}

/** Whether a file reaches one of ENGINE_HELPERS through its test/ imports. */
function reachesEngineHelpers(file: string, seen = new Set<string>()): boolean {
  if (ENGINE_HELPERS.includes(file)) return true;
  if (seen.has(file)) return false;
  seen.add(file);
  return relativeImports(file).some((next) => reachesEngineHelpers(next, seen));
}

/**
 * Every test file whose stores follow TEST_DATABASE, but those in SQLITE_ONLY. Throws for a file
 * that opens SQLite itself and is in neither, so a new one is made engine-neutral or listed.
 */
export function postgresSuites(): string[] {
  const files = fs
    .readdirSync('test', { recursive: true, encoding: 'utf8' })
    .map((name) => path.join('test', name))
    .filter((name) => name.endsWith('.test.ts'))
    .sort();
  const suites = files.filter(
    (name) => !(name in SQLITE_ONLY) && reachesEngineHelpers(path.resolve(name)),
  );
  const unlisted = files.filter(
    (name) =>
      !(name in SQLITE_ONLY) &&
      !suites.includes(name) &&
      OPENS_SQLITE.test(fs.readFileSync(name, 'utf8')),
  );
  if (unlisted.length)
    throw new Error(
      `open SQLite but neither follow TEST_DATABASE nor are in SQLITE_ONLY (test/support/runPostgres.ts): ${unlisted.join(', ')}`,
    );
  return suites;
}

// `npm run test:postgres -- --list` prints the files the run would take, without running them.
if (process.argv[2] === '--list') {
  for (const name of postgresSuites()) console.log(name);
  process.exit(0);
}

const client = new pg.Client({
  connectionString: TEST_POSTGRES_ADMIN_URL,
  connectionTimeoutMillis: 5000,
});
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
  console.warn(
    `test:postgres: skipped, no PostgreSQL at ${where} (${reason}); REQUIRE_POSTGRES=1 makes this a failure`,
  );
  process.exit(0);
}

const args = process.argv.slice(2);
await seededTemplate();
const result = spawnSync('npx', ['vitest', 'run', ...(args.length ? args : postgresSuites())], {
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE: 'postgres' },
});
// The seeded templates the graphs were copied from (test/support/database.ts) go with the run.
const cleanup = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
await cleanup.connect();
const templates = await cleanup.query<{ datname: string }>(
  `SELECT datname FROM pg_database WHERE left(datname, 6) = 't_tpl_'`,
);
for (const { datname } of templates.rows)
  await cleanup.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
await cleanup.end();
process.exit(result.status ?? 1);
