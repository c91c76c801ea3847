/**
 * `npm run release:month -- --month YYYY-MM [--correct "reason"] [--k N] [--data-dir data]`
 * `npm run release:month -- --closed [--wait]`
 *
 * Releases the statistics of a closed month (circulation and events): tallies the rows still
 * linked, protects every grouping of the month at once and stores the frozen release, then
 * destroys the month's tally (src/analytics/release). A released month is left as it is unless
 * `--correct` names why a new version is needed. `--closed` releases every closed month not yet
 * released, as the purge schedule does. Each month gets a suppressed release and, the first time,
 * a differentially private one (ANALYTICS_DP_EPSILON, ANALYTICS_DP_CONTRIBUTION). One line per
 * release on stdout; bad flags exit 2; 75 when another process was releasing a PostgreSQL store's
 * statistics (that store is left to it, and named on stderr; `--wait` waits for it instead).
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { runCommand } from './command.js';
import { kOption } from './kOption.js';
import { openDatabases } from '../app/databases.js';
import { loadConfig } from '../config/env.js';
import {
  releaseAllClosed,
  releaseMonth,
  type ReleaseSummary,
} from '../analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE, EVENTS_SCOPE } from '../analytics/release/scopes.js';
import { releaseDb } from '../analytics/release/tally.js';
import { runEachAlone } from '../db/singleRun.js';

interface Flags {
  month?: string;
  closed: boolean;
  correct?: string;
  k?: number;
  dataDir?: string;
  wait: boolean;
}

function month(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value))
    throw new InvalidArgumentError('expected a month, YYYY-MM');
  return value;
}

function parseFlags(argv: string[]): Flags {
  const program = new Command('release:month')
    .description('Release the frozen, protected statistics of a closed month')
    .option('--month <month>', 'the month to release, YYYY-MM (before the current month)', month)
    .option('--closed', 'release every closed month not yet released', false)
    .option('--correct <reason>', 'write a new version of a released month, for this reason')
    .addOption(kOption('published number'))
    .option('--data-dir <dir>', 'directory of the SQLite files (default: DATA_DIR)')
    .option(
      '--wait',
      'on PostgreSQL, wait for another process releasing a store to finish instead of leaving that store to it',
      false,
    )
    .allowExcessArguments(false)
    .exitOverride();
  program.parse(argv, { from: 'node' });
  const flags = program.opts<Flags>();
  if (!flags.month === !flags.closed)
    throw new InvalidArgumentError('give either --month YYYY-MM or --closed');
  if (flags.correct !== undefined && !flags.month)
    throw new InvalidArgumentError('--correct needs --month');
  return flags;
}

const line = (r: ReleaseSummary) =>
  `${r.id}  ${r.created ? 'released' : 'already released'}  ${r.cells} cells, ${r.suppressed} suppressed${r.created ? `  (${r.seconds.toFixed(2)} s)` : ''}\n`;

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  const config = loadConfig();
  const databases = await openDatabases(
    path.resolve(flags.dataDir ?? config.dataDir),
    config.postgres,
  );
  try {
    const k = flags.k ?? config.analytics.minCellSize;
    const dp = config.analytics.dp;
    // On PostgreSQL one process at a time releases a store's months (src/db/singleRun.ts): a store
    // another replica or command is releasing is left to it, reported, and the exit status is 75.
    const stores = { circulation: databases.circulation.db, events: databases.events.db };
    const { value: summaries, skipped } = await runEachAlone(
      stores,
      (name) => [`release:${name}`],
      async (mine) => {
        const targets = {
          circulation: mine.circulation && releaseDb(mine.circulation),
          events: mine.events && releaseDb(mine.events),
        };
        if (flags.closed) return releaseAllClosed(targets, { k, dp });
        const out: ReleaseSummary[] = [];
        if (targets.circulation)
          out.push(
            await releaseMonth(targets.circulation, CIRCULATION_SCOPE, flags.month!, {
              k,
              dp,
              correction: flags.correct,
            }),
          );
        if (targets.events)
          out.push(
            await releaseMonth(targets.events, EVENTS_SCOPE, flags.month!, {
              k,
              dp,
              correction: flags.correct,
            }),
          );
        return out;
      },
      flags.wait
        ? {
            onWait: (name) =>
              process.stderr.write(
                `release:month: ${name}: another process is releasing its statistics now; waiting for it to finish\n`,
              ),
          }
        : {},
    );
    for (const s of summaries) process.stdout.write(line(s));
    if (summaries.length === 0 && skipped.length === 0)
      process.stdout.write('nothing to release: every closed month is released\n');
    for (const name of skipped)
      process.stderr.write(
        `release:month: ${name}: another process is releasing its statistics now; not released here (run again later)\n`,
      );
    return skipped.length ? 75 : 0;
  } finally {
    for (const db of Object.values(databases)) await db.close();
  }
}

runCommand('release:month', main);
