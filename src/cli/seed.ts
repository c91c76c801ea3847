/**
 * `npm run seed -- [--scale demo|county] [--data-dir data] [--seed N] [--reset]`
 *
 * Seeds the three subgraph SQLite files under the data directory with deterministic library data.
 * Refuses (exit 1) when they are already seeded, unless --reset deletes them first; bad flags
 * exit 2. Progress goes to stderr, the summary (rows, seconds, rows/s, per-table counts) to stdout.
 */
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { catalogMigrations } from '../../subgraphs/catalog/migrations.js';
import type { CatalogTables } from '../../subgraphs/catalog/migrations.js';
import { circulationMigrations } from '../../subgraphs/circulation/migrations.js';
import type { CirculationTables } from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations } from '../../subgraphs/events/migrations.js';
import type { EventsTables } from '../../subgraphs/events/migrations.js';
import pg from 'pg';
import { type Database, openDatabase } from '../db/open.js';
import { loadConfig, type Config } from '../config/env.js';
import { DEFAULT_SEED } from '../dev/seed/plan.js';
import { runCommand } from './command.js';
import { databaseFile } from '../app/databases.js';
import {
  SEED_PHASES,
  type SeedProgress,
  type SeedReport,
  type SeedScale,
  isSeeded,
  seed,
} from '../dev/seed/seed.js';

/** The subgraphs whose databases are seeded; each file has SQLite's companions beside it. */
const SEEDED = ['catalog', 'circulation', 'events'] as const;
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

interface Flags {
  scale: SeedScale;
  dataDir: string;
  seed: number;
  reset: boolean;
}

function parseSeed(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 0xffffffff) {
    throw new InvalidArgumentError('expected an integer from 0 to 4294967295');
  }
  return Number(value);
}

function parseFlags(argv: string[]): Flags {
  const program = new Command('seed')
    .description(
      'Seed the catalog, circulation and events databases with deterministic library data',
    )
    .addOption(
      new Option('--scale <scale>', 'how much data').choices(['demo', 'county']).default('demo'),
    )
    .option('--data-dir <dir>', 'directory of the SQLite files', 'data')
    .option(
      '--seed <n>',
      'random seed: the same seed on the same day gives the same data',
      parseSeed,
      DEFAULT_SEED,
    )
    .option('--reset', 'delete existing databases first', false)
    .allowExcessArguments(false)
    .exitOverride();
  program.parse(argv, { from: 'node' });
  return program.opts<Flags>();
}

/** Deletes the three database files and their WAL, shared-memory and journal files. */
function removeDatabases(dataDir: string): void {
  for (const name of SEEDED) {
    for (const suffix of COMPANIONS)
      fs.rmSync(databaseFile(dataDir, name) + suffix, { force: true });
  }
}

const POSTGRES_ENV = [
  'DATABASE_URL',
  'CATALOG_DATABASE_URL',
  'CIRCULATION_DATABASE_URL',
  'EVENTS_DATABASE_URL',
];

/** --reset on PostgreSQL: drops each subgraph's schema with everything in it. */
async function dropSchemas(postgres: Config['postgres']): Promise<void> {
  for (const location of Object.values(postgres)) {
    if (!location) continue;
    const pool = new pg.Pool({ connectionString: location.url, max: 1 });
    try {
      await pool.query(`DROP SCHEMA IF EXISTS "${location.schema}" CASCADE`);
    } finally {
      await pool.end();
    }
  }
}

/** Progress bars per phase on a terminal; one line per finished phase otherwise. */
function progressReporter(): {
  report: (p: SeedProgress) => void;
  stop: () => void;
  timings: () => string;
} {
  const tty = process.stderr.isTTY === true;
  const multibar = tty
    ? new cliProgress.MultiBar(
        {
          format: ' {phase} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  const finished = new Set<string>();
  // When each phase first reported and when it last moved, for the seconds per phase at the end.
  const span = new Map<string, [number, number]>();
  const width = Math.max(...SEED_PHASES.map((p) => p.length));
  return {
    report({ phase, done, total }) {
      const now = performance.now();
      const seen = span.get(phase);
      if (seen) seen[1] = now;
      else span.set(phase, [now, now]);
      if (multibar) {
        let bar = bars.get(phase);
        if (!bar) {
          bar = multibar.create(Math.max(total, 1), 0, { phase: phase.padEnd(width) });
          bars.set(phase, bar);
        }
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { phase: phase.padEnd(width) });
      } else if (done >= total && total > 0 && !finished.has(phase)) {
        finished.add(phase);
        process.stderr.write(`seed: ${phase} done (${total.toLocaleString('en-US')})\n`);
      }
    },
    stop() {
      multibar?.stop();
    },
    timings() {
      const parts = [...span].map(
        ([phase, [from, to]]) => `${phase} ${((to - from) / 1000).toFixed(1)}`,
      );
      return `seconds per phase: ${parts.join(', ')}\n`;
    },
  };
}

function printReport(report: SeedReport): void {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const lines = [
    `Seeded ${report.scale}: ${fmt(report.rows)} rows in ${report.seconds.toFixed(1)} s (${fmt(report.rowsPerSecond)} rows/s)`,
    ...Object.entries(report.counts).map(
      ([table, n]) => `  ${table.padEnd(34)} ${fmt(n).padStart(12)}`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  // DATABASE_URL (or a per-subgraph URL) seeds those stores on PostgreSQL, as `npm start` would open them.
  const postgres = POSTGRES_ENV.some((name) => process.env[name]) ? loadConfig().postgres : null;
  const where = (name: (typeof SEEDED)[number]) =>
    postgres?.[name] ?? databaseFile(flags.dataDir, name);
  if (flags.reset) {
    removeDatabases(flags.dataDir);
    if (postgres) await dropSchemas(postgres);
  }

  const opened: Array<Database<unknown>> = [];
  try {
    const catalog = await openDatabase<CatalogTables>(where('catalog'), catalogMigrations);
    opened.push(catalog as Database<unknown>);
    const circulation = await openDatabase<CirculationTables>(
      where('circulation'),
      circulationMigrations,
    );
    opened.push(circulation as Database<unknown>);
    const events = await openDatabase<EventsTables>(where('events'), eventsMigrations);
    opened.push(events as Database<unknown>);

    if (await isSeeded(circulation.db)) {
      const place =
        circulation.dialect === 'postgres'
          ? `schema ${circulation.schema}`
          : databaseFile(flags.dataDir, 'circulation');
      process.stderr.write(
        `seed: ${place} is already seeded; pass --reset to delete the databases and seed again\n`,
      );
      return 1;
    }
    const progress = progressReporter();
    let report: SeedReport;
    try {
      report = await seed(
        { catalog: catalog.db, circulation: circulation.db, events: events.db },
        { scale: flags.scale, seed: flags.seed, onProgress: progress.report },
      );
    } finally {
      progress.stop();
    }
    process.stderr.write(progress.timings());
    // Fold the write-ahead logs into the database files, so the data directory is compact.
    for (const db of opened)
      if (db.dialect === 'sqlite') db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    printReport(report);
    return 0;
  } finally {
    for (const db of opened) await db.close();
  }
}

runCommand('seed', main);
