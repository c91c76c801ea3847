/**
 * `npm run bench:purge [-- <county seed dir>]`
 *
 * How fast the purge anonymizes closed loans at county scale. Copies the county-scale databases
 * (default /tmp/county-seed, made by `npm run seed -- --scale county --data-dir /tmp/county-seed`)
 * to a temporary directory, opens them (running any pending migration), and purges them with the
 * default rules until 1,000,000 closed loans are anonymized (target: 60 s): every returned loan
 * of a patron without reading history and without an unpaid fine loses its patron. Prints the
 * rows per table, seconds and loans/s of the batches, then times the VACUUM a full run ends with.
 * The source is never modified; the copy is deleted at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from '../src/db/open.js';
import { PURGE_TABLES } from '../src/retention/anonymize.js';
import { purge } from '../src/retention/purge.js';
import { DEFAULT_RETENTION_RULES } from '../src/config/retention.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../subgraphs/events/migrations.js';

const MILLION = 1_000_000;
const source = process.argv[2] ?? process.env.COUNTY_SEED_DIR ?? '/tmp/county-seed';
const fmt = (n: number): string => n.toLocaleString('en-US');
const mb = (file: string): string => `${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MB`;

if (!fs.existsSync(path.join(source, 'circulation.db'))) {
  console.error(
    `bench:purge: no circulation.db in ${source}; seed one with: npm run seed -- --scale county --data-dir ${source}`,
  );
  process.exit(1);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-bench-purge-'));
try {
  let started = performance.now();
  for (const name of ['circulation.db', 'circulation.db-wal', 'events.db', 'events.db-wal']) {
    const from = path.join(source, name);
    if (fs.existsSync(from) && fs.statSync(from).size > 0)
      fs.copyFileSync(from, path.join(dir, name));
  }
  console.log(
    `copied ${source} to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s (circulation.db ${mb(path.join(dir, 'circulation.db'))})`,
  );

  started = performance.now();
  const circulation = await openSqlite<CirculationTables>(
    path.join(dir, 'circulation.db'),
    circulationMigrations,
  );
  const events = await openSqlite<EventsTables>(path.join(dir, 'events.db'), eventsMigrations);
  console.log(`opened and migrated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const count = (query: string): number =>
    Number((circulation.sqlite.prepare(query).get() as { n: number }).n);
  const candidates = () =>
    count(`SELECT count(*) AS n FROM loans l JOIN patrons p ON p.id = l.patron_id
      WHERE l.returned_at IS NOT NULL AND p.reading_history = 0
        AND NOT EXISTS (SELECT 1 FROM fines f WHERE f.loan_id = l.id AND f.paid_at IS NULL)`);
  let due = candidates();
  console.log(
    `loans: ${fmt(count('SELECT count(*) AS n FROM loans'))}; returned, linked and due under the default rules: ${fmt(due)}`,
  );
  if (due < MILLION) {
    // The current seed writes returned loans anonymized already; only reading-history loans stay
    // linked. Turning reading history off in the copy makes those due (setup, not timed).
    circulation.sqlite.exec('UPDATE patrons SET reading_history = 0');
    due = candidates();
    console.log(`reading history turned off for every patron in the copy: ${fmt(due)} loans due`);
  }

  // Timed: the purge's batches, stopped after the batch that reaches 1,000,000 loans.
  const stop = new AbortController();
  const report = await purge(
    { circulation: circulation.db, events: events.db },
    {
      rules: DEFAULT_RETENTION_RULES,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.anonymized.loans >= MILLION) stop.abort();
      },
    },
  );
  // Then what a full run does after its batches: rebuild the files and truncate the WAL.
  started = performance.now();
  circulation.sqlite.exec('VACUUM');
  circulation.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const vacuumSeconds = (performance.now() - started) / 1000;
  const lines = [
    '',
    `Purge of the county-scale database (${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}), default rules, batches of 10,000:`,
    ...PURGE_TABLES.map(
      (table) => `  ${table.padEnd(14)} ${fmt(report.anonymized[table]).padStart(12)} anonymized`,
    ),
    `  ${fmt(report.anonymized.loans)} loans (${fmt(report.total)} rows with their fines) in ${report.seconds.toFixed(1)} s = ` +
      `${fmt(Math.round(report.anonymized.loans / report.seconds))} loans/s (target: 1,000,000 in 60 s)`,
    `  VACUUM and WAL truncation of circulation.db afterwards: ${vacuumSeconds.toFixed(1)} s; the file is now ${mb(path.join(dir, 'circulation.db'))}`,
  ];
  console.log(lines.join('\n'));
  await circulation.close();
  await events.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
