/**
 * `npm run release:month -- --month YYYY-MM [--correct "reason"] [--k N] [--data-dir data]`
 * `npm run release:month -- --closed`
 *
 * Releases the statistics of a closed month (circulation and events): tallies the rows still
 * linked, protects every grouping of the month at once and stores the frozen release, then
 * destroys the month's tally (src/analytics/release). A released month is left as it is unless
 * `--correct` names why a new version is needed. `--closed` releases every closed month not yet
 * released, as the purge schedule does. Each month gets a suppressed release and, the first time,
 * a differentially private one (ANALYTICS_DP_EPSILON, ANALYTICS_DP_CONTRIBUTION). One line per
 * release on stdout; bad flags exit 2.
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { runCommand } from './command.js';
import { openDatabases } from '../app/databases.js';
import { loadConfig } from '../config/env.js';
import { releaseAllClosed, releaseMonth, type ReleaseSummary } from '../analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE, EVENTS_SCOPE } from '../analytics/release/scopes.js';
import { releaseDb } from '../analytics/release/tally.js';

interface Flags {
  month?: string;
  closed: boolean;
  correct?: string;
  k?: number;
  dataDir?: string;
}

function month(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError('expected a month, YYYY-MM');
  return value;
}

function minimum(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 2) throw new InvalidArgumentError('expected an integer of at least 2');
  return Number(value);
}

function parseFlags(argv: string[]): Flags {
  const program = new Command('release:month')
    .description('Release the frozen, protected statistics of a closed month')
    .option('--month <month>', 'the month to release, YYYY-MM (before the current month)', month)
    .option('--closed', 'release every closed month not yet released', false)
    .option('--correct <reason>', 'write a new version of a released month, for this reason')
    .option('--k <n>', 'fewest distinct people per published number (default: ANALYTICS_MIN_CELL)', minimum)
    .option('--data-dir <dir>', 'directory of the SQLite files (default: DATA_DIR)')
    .allowExcessArguments(false)
    .exitOverride();
  program.parse(argv, { from: 'node' });
  const flags = program.opts<Flags>();
  if (!flags.month === !flags.closed) throw new InvalidArgumentError('give either --month YYYY-MM or --closed');
  if (flags.correct !== undefined && !flags.month) throw new InvalidArgumentError('--correct needs --month');
  return flags;
}

const line = (r: ReleaseSummary) =>
  `${r.id}  ${r.created ? 'released' : 'already released'}  ${r.cells} cells, ${r.suppressed} suppressed${r.created ? `  (${r.seconds.toFixed(2)} s)` : ''}\n`;

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  const config = loadConfig();
  const databases = await openDatabases(path.resolve(flags.dataDir ?? config.dataDir), config.postgres);
  try {
    const k = flags.k ?? config.analytics.minCellSize;
    const dp = config.analytics.dp;
    const targets = { circulation: releaseDb(databases.circulation.db), events: releaseDb(databases.events.db) };
    const summaries = flags.closed
      ? await releaseAllClosed(targets, { k, dp })
      : [
          await releaseMonth(targets.circulation, CIRCULATION_SCOPE, flags.month!, { k, dp, correction: flags.correct }),
          await releaseMonth(targets.events, EVENTS_SCOPE, flags.month!, { k, dp, correction: flags.correct }),
        ];
    for (const s of summaries) process.stdout.write(line(s));
    if (summaries.length === 0) process.stdout.write('nothing to release: every closed month is released\n');
    return 0;
  } finally {
    for (const db of Object.values(databases)) await db.close();
  }
}

runCommand('release:month', main);
