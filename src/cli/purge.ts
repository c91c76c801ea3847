/**
 * `npm run purge -- [--data-dir data] [--batch 10000] [--dry-run] [--pause 0] [--no-vacuum] [--wait]`
 *
 * Applies the retention rules (RETENTION_* in the environment, see src/config/retention.ts) to the
 * circulation and events databases under the data directory: closed loans, paid fines, closed
 * holds and registrations of ended events lose their patron. Batches of --batch rows, one
 * transaction each, so Ctrl-C (after the batch in progress) or a crash leaves whole batches and a
 * rerun continues; then the files are rebuilt (VACUUM) and their write-ahead logs truncated, so no
 * copy of a removed link is left on disk (see src/retention/purge.ts). Progress on stderr; the summary (rows per table, seconds, rows/s) on stdout.
 * Exit 0 when done, 1 on failure or missing databases, 2 for bad flags or configuration, 75 when
 * another process was purging a PostgreSQL store (that store is left to it; `--wait` waits for it
 * instead), 130 when interrupted.
 */
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { runCommand } from './command.js';
import { databaseFile } from '../app/databases.js';
import { Command, InvalidArgumentError } from 'commander';
import { type Database, openDatabase } from '../db/open.js';
import { runEachAlone } from '../db/singleRun.js';
import { loadConfig } from '../config/env.js';
import { PURGE_TABLES, type PurgeTable } from '../retention/anonymize.js';
import { describeRule, type RetentionConfig, retentionFromEnv } from '../config/retention.js';
import {
  DEFAULT_BATCH_SIZE,
  type PurgeProgress,
  type PurgeReport,
  purge,
} from '../retention/purge.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';

interface Flags {
  dataDir: string;
  batch: number;
  dryRun: boolean;
  pause: number;
  vacuum: boolean;
  wait: boolean;
}

const integer =
  (min: number, max: number) =>
  (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(
        `expected an integer from ${min} to ${max.toLocaleString('en-US')}`,
      );
    }
    return Number(value);
  };

function parseFlags(argv: string[]): Flags {
  const program = new Command('purge')
    .description(
      'Anonymize closed loans, paid fines, closed holds and past registrations by the retention rules',
    )
    .option('--data-dir <dir>', 'directory of the SQLite files', process.env.DATA_DIR ?? 'data')
    .option(
      '--batch <n>',
      'rows per batch (one transaction each)',
      integer(1, 1_000_000),
      DEFAULT_BATCH_SIZE,
    )
    .option('--dry-run', 'count what would be anonymized, change nothing', false)
    .option(
      '--pause <ms>',
      'wait between batches, to leave room for a running server',
      integer(0, 60_000),
      0,
    )
    .option(
      '--wait',
      'on PostgreSQL, wait for another process purging a store to finish instead of leaving that store to it',
      false,
    )
    .option(
      '--no-vacuum',
      'skip rebuilding the files afterwards (old copies may stay in unused page space until a run that does)',
    )
    .allowExcessArguments(false)
    .exitOverride();
  program.parse(argv, { from: 'node' });
  return program.opts<Flags>();
}

/** A bar per table on a terminal (only once a run lasts over a second); a line per table otherwise. */
function progressReporter(): { report: (p: PurgeProgress) => void; stop: () => void } {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let multibar: cliProgress.MultiBar | undefined;
  const bars = new Map<PurgeTable, cliProgress.SingleBar>();
  const finished = new Set<PurgeTable>();
  return {
    report({ table, position, end, anonymized }) {
      if (tty && (multibar || Date.now() - started > 1000)) {
        multibar ??= new cliProgress.MultiBar(
          {
            format:
              ' {table} [{bar}] {percentage}% of ids | {rows} anonymized | {duration_formatted}',
            hideCursor: true,
            clearOnComplete: false,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        let bar = bars.get(table);
        if (!bar) {
          bar = multibar.create(Math.max(end, 1), 0, { table: table.padEnd(13), rows: 0 });
          bars.set(table, bar);
        }
        bar.update(Math.min(position, Math.max(end, 1)), {
          table: table.padEnd(13),
          rows: anonymized[table].toLocaleString('en-US'),
        });
      } else if (!tty && position >= end && !finished.has(table) && Date.now() - started > 1000) {
        finished.add(table);
        process.stderr.write(
          `purge: ${table} done (${anonymized[table].toLocaleString('en-US')} rows)\n`,
        );
      }
    },
    stop() {
      multibar?.stop();
      multibar = undefined;
    },
  };
}

/** The exit status when another process was purging a store (EX_TEMPFAIL: try again later). */
const SKIPPED_EXIT = 75;

/** Variables that put the purged stores on PostgreSQL (README, "PostgreSQL"). */
const POSTGRES_ENV = ['DATABASE_URL', 'CIRCULATION_DATABASE_URL', 'EVENTS_DATABASE_URL'];

function printReport(dataDir: string, retention: RetentionConfig, report: PurgeReport): void {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const { rules } = retention;
  const verb = report.dryRun ? 'would be anonymized' : 'anonymized';
  const lines = [
    `Retention purge of ${dataDir}${report.dryRun ? ' (dry run: nothing changed)' : ''}`,
    `  rules: closed loans ${describeRule(rules.closedLoans)}, loans with fees ${describeRule(rules.loansWithFees)}, ` +
      `holds ${describeRule(rules.holds)}, registrations ${describeRule(rules.registrations)}`,
    ...PURGE_TABLES.map(
      (table) => `  ${table.padEnd(14)} ${fmt(report.anonymized[table]).padStart(12)} ${verb}`,
    ),
    `  total ${fmt(report.total)} rows in ${report.seconds.toFixed(2)} s (${fmt(report.rowsPerSecond)} rows/s), ${fmt(report.batches)} batches`,
  ];
  if (report.interrupted)
    lines.push('  interrupted: the batches above are done; run again to finish');
  if (report.vacuumed)
    lines.push(
      `  files rebuilt (VACUUM) in ${report.vacuumSeconds.toFixed(2)} s: no old copy of a removed link is left in them`,
    );
  else if (!report.dryRun && !report.interrupted)
    lines.push(
      '  files not rebuilt (--no-vacuum): old copies may remain in unused page space until the next full run',
    );
  if (!report.dryRun) {
    lines.push(
      report.checkpointed
        ? '  write-ahead logs checkpointed and truncated'
        : '  write-ahead log still in use by a reader: it is truncated at the next checkpoint',
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  let retention: RetentionConfig;
  try {
    retention = retentionFromEnv();
  } catch (error) {
    process.stderr.write(`purge: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const files = {
    circulation: databaseFile(flags.dataDir, 'circulation'),
    events: databaseFile(flags.dataDir, 'events'),
  };
  // DATABASE_URL (or CIRCULATION_/EVENTS_DATABASE_URL): those stores are purged on PostgreSQL.
  const postgres = POSTGRES_ENV.some((name) => process.env[name]) ? loadConfig().postgres : null;
  const stores = {
    circulation:
      postgres?.circulation ?? (fs.existsSync(files.circulation) ? files.circulation : null),
    events: postgres?.events ?? (fs.existsSync(files.events) ? files.events : null),
  };
  if (!stores.circulation && !stores.events) {
    process.stderr.write(
      `purge: no circulation.db or events.db in ${flags.dataDir}; nothing to purge\n`,
    );
    return 1;
  }

  const opened: Database<unknown>[] = [];
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const progress = progressReporter();
  try {
    const circulation = stores.circulation
      ? await openDatabase<CirculationTables>(stores.circulation, circulationMigrations)
      : undefined;
    if (circulation) opened.push(circulation as Database<unknown>);
    const events = stores.events
      ? await openDatabase<EventsTables>(stores.events, eventsMigrations)
      : undefined;
    if (events) opened.push(events as Database<unknown>);
    // On PostgreSQL one process at a time purges a store (src/db/singleRun.ts): a store another
    // replica or command is purging is left to it, reported, and the exit status is 75.
    const { value: report, skipped } = await runEachAlone(
      { circulation: circulation?.db, events: events?.db },
      (name) => (flags.dryRun ? [] : [`purge:${name}`]),
      (mine) =>
        purge(mine, {
          rules: retention.rules,
          batchSize: flags.batch,
          dryRun: flags.dryRun,
          pauseMs: flags.pause,
          vacuum: flags.vacuum,
          signal: controller.signal,
          onProgress: progress.report,
        }),
      flags.wait
        ? {
            onWait: (name) =>
              process.stderr.write(
                `purge: ${name}: another process is purging it now; waiting for it to finish\n`,
              ),
          }
        : {},
    );
    progress.stop();
    printReport(flags.dataDir, retention, report);
    for (const name of skipped)
      process.stderr.write(
        `purge: ${name}: another process is purging it now; not purged here (run again later)\n`,
      );
    return report.interrupted ? 130 : skipped.length ? SKIPPED_EXIT : 0;
  } finally {
    progress.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    for (const db of opened) await db.close();
  }
}

runCommand('purge', main);
