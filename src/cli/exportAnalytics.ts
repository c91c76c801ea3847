/**
 * `npm run export:analytics -- --from 2026-01-01 --to 2026-06-30 --format csv|ndjson --out FILE
 *   [--k N] [--data-dir data]`
 *
 * Writes one de-identified row per loan checked out between the two days (inclusive): age band,
 * home branch, item format, branch, checkout day, return day (patron key with --keys); every
 * combination of the published columns made k-anonymous by generalizing attributes, then dates
 * (day, week, month) and branch (src/analytics/exportAnalytics.ts). Reads
 * circulation.db directly, in bounded memory. Progress goes to stderr, the summary to stdout;
 * bad flags exit 2, failures 1.
 */
import path from 'node:path';
import cliProgress from 'cli-progress';
import { runCommand } from './command.js';
import { kOption } from './kOption.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { databaseFile } from '../app/databases.js';
import { loadConfig } from '../config/env.js';
import { openSqlite } from '../db/open.js';
import { exportAnalytics, type ExportReport } from '../analytics/exportAnalytics.js';
import { EXPORT_FORMATS, type ExportFormat } from '../analytics/exportFormat.js';

interface Flags {
  from: string;
  to: string;
  format: ExportFormat;
  out: string;
  k?: number;
  keys: boolean;
  dataDir?: string;
}

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError('expected a day, YYYY-MM-DD');
  }
  return value;
}

function parseFlags(argv: string[]): Flags {
  const program = new Command('export:analytics')
    .description('Export de-identified loans for analytics, k-anonymous on every published column')
    .requiredOption('--from <day>', 'first checkout day, YYYY-MM-DD', day)
    .requiredOption('--to <day>', 'last checkout day (inclusive), YYYY-MM-DD', day)
    .addOption(
      new Option('--format <format>', 'file format').choices(EXPORT_FORMATS).default('csv'),
    )
    .requiredOption('--out <file>', 'the file to write')
    .addOption(kOption('exported group'))
    .option(
      '--keys',
      'write patron keys (per checkout period) on rows published as recorded',
      false,
    )
    .option('--data-dir <dir>', 'directory of the SQLite files (default: DATA_DIR)')
    .allowExcessArguments(false)
    .exitOverride();
  program.parse(argv, { from: 'node' });
  const flags = program.opts<Flags>();
  if (flags.to < flags.from) throw new InvalidArgumentError('--to must not be before --from');
  return flags;
}

/** A bar per pass on a terminal; one line per finished pass otherwise. */
function progressBar(): {
  report: (phase: 'count' | 'write', done: number, total: number) => void;
  stop: () => void;
} {
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: ' {phase} [{bar}] {percentage}% | loan id {value}/{total} | {duration_formatted}',
          hideCursor: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let current: string | null = null;
  return {
    report(phase, done, total) {
      if (phase !== current) {
        if (current !== null && bar) bar.stop();
        else if (current !== null) process.stderr.write(`export: ${current} pass done\n`);
        current = phase;
        bar?.start(Math.max(total, 1), 0, {
          phase: phase === 'count' ? 'counting groups' : 'writing rows   ',
        });
      }
      bar?.update(done);
    },
    stop() {
      if (current === null) return;
      if (bar) bar.stop();
      else process.stderr.write(`export: ${current} pass done\n`);
      current = null;
    },
  };
}

function printReport(report: ExportReport, flags: Flags, out: string): void {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const share = (n: number) => `${((100 * n) / Math.max(report.read, 1)).toFixed(1)}%`;
  const row = (label: string, n: number, note = '') =>
    `  ${label.padEnd(34)} ${fmt(n).padStart(11)}  ${share(n).padStart(6)}${note}`;
  const [wide, noHome, neither] = report.generalized.byLevel;
  const peak = process.resourceUsage().maxRSS / 1024;
  const lines = [
    `Exported ${fmt(report.written)} of ${fmt(report.read)} loans (${flags.from} to ${flags.to}) to ${out}`,
    `in ${report.seconds.toFixed(1)} s (${fmt(report.rowsPerSecond)} rows/s, peak RSS ${peak.toFixed(0)} MB); every combination of all published columns stands for at least k = ${report.k} people`,
    row('attributes kept as recorded', report.kept),
    row('  with a patron key (--keys)', report.keyed),
    row('attributes generalized', report.generalized.total),
    row('  age band widened', wide),
    row('  and home branch hidden', noHome),
    row(
      '  age band and home branch hidden',
      neither,
      report.generalized.withoutAttributes
        ? ` (${fmt(report.generalized.withoutAttributes)} had no borrower attributes)`
        : '',
    ),
    row('dates to the week', report.dates.byLevel[0]),
    row('dates to the month', report.dates.byLevel[1]),
    row('  and no return date', report.dates.byLevel[2]),
    row('  and no branch', report.dates.byLevel[3]),
    row('  and (to reach k) no attributes', report.dates.byLevel[4]),
    row('dropped (group below k at the top)', report.dropped),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  const config = loadConfig();
  const dataDir = path.resolve(flags.dataDir ?? config.dataDir);
  const database = await openSqlite<CirculationTables>(
    databaseFile(dataDir, 'circulation'),
    circulationMigrations,
  );
  const progress = progressBar();
  try {
    const end = new Date(Date.parse(`${flags.to}T00:00:00Z`) + 86_400_000).toISOString();
    const report = await exportAnalytics({
      database,
      window: { start: `${flags.from}T00:00:00.000Z`, end },
      format: flags.format,
      out: path.resolve(flags.out),
      k: flags.k ?? config.analytics.minCellSize,
      pseudonym: { key: config.analytics.pseudonymKey, period: config.analytics.pseudonymPeriod },
      keys: flags.keys,
      onProgress: progress.report,
    });
    progress.stop();
    printReport(report, flags, flags.out);
    return 0;
  } finally {
    progress.stop();
    await database.close();
  }
}

runCommand('export:analytics', main);
