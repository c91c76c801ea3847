import { Cron } from 'croner';
import type { Logger } from '../log/logger.js';
import { describeRule, type RetentionConfig } from '../config/retention.js';
import { purge, type PurgeReport, type PurgeTargets } from './purge.js';
import { releaseAllClosed } from '../analytics/release/releaseMonth.js';
import { releaseDb } from '../analytics/release/tally.js';
import { runEachAlone } from '../db/singleRun.js';

/** A scheduled run's report: the purge's, and the stores left to another replica running the same job. */
export type ScheduledPurgeReport = PurgeReport & { skipped: (keyof PurgeTargets)[] };

/** The fields of a purge report a scheduled run logs: counts and timing, never an id. */
const LOGGED = [
  'anonymized',
  'seconds',
  'rowsPerSecond',
  'batches',
  'interrupted',
  'vacuumSeconds',
  'checkpointed',
] as const satisfies readonly (keyof PurgeReport)[];

type LoggedCounts = Pick<PurgeReport, (typeof LOGGED)[number]>;

/** The part of `report` a scheduled run logs (LOGGED), in that order. */
const loggedCounts = (report: PurgeReport): LoggedCounts =>
  Object.fromEntries(LOGGED.map((key) => [key, report[key]])) as LoggedCounts;

/** The in-process purge: a cron job over the open databases. */
export interface PurgeSchedule {
  /** When the next run starts, or null. */
  nextRun(): Date | null;
  /** Runs the purge now (or joins the run in progress); null when it failed (the error is logged). */
  runNow(): Promise<ScheduledPurgeReport | null>;
  /** Stops scheduling, asks a run in progress to stop after its batch, and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts the purge on `schedule` (croner, in the configured time zone) over `targets`. Runs never
 * overlap; a failed run is logged and the next one tries again. Each run logs its counts and
 * timing, never an id or a name. The timer is unref'd, so it never keeps a process alive.
 */
export function startPurgeSchedule(
  targets: PurgeTargets,
  config: {
    rules: RetentionConfig['rules'];
    schedule: NonNullable<RetentionConfig['schedule']>;
    release?: { k: number; dp: { epsilon: number; contribution: number } };
  },
  logger: Logger,
): PurgeSchedule {
  const controller = new AbortController();
  let running: Promise<ScheduledPurgeReport | null> | null = null;
  const rules = Object.fromEntries(
    Object.entries(config.rules).map(([k, rule]) => [k, describeRule(rule)]),
  );

  /**
   * Statistics: months that closed since the last run are released before the purge unlinks more
   * rows. A failed release is logged and the purge runs anyway: retention never waits on
   * statistics (rows the purge unlinks are tallied first, so the next release still counts them).
   */
  const releaseClosed = async (mine: PurgeTargets): Promise<void> => {
    if (!config.release) return;
    try {
      const released = await releaseAllClosed(
        {
          circulation: mine.circulation && releaseDb(mine.circulation),
          events: mine.events && releaseDb(mine.events),
        },
        { k: config.release.k, dp: config.release.dp },
      );
      if (released.length)
        logger.info({ released: released.map((r) => r.id) }, 'statistics released');
    } catch (error) {
      logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'statistics release failed',
      );
    }
  };

  /**
   * Replicas over one PostgreSQL database fire together: of each store, one releases and purges
   * (it holds the store's release and purge locks for the whole run), the others skip it.
   */
  const releaseAndPurge = () =>
    runEachAlone(
      { circulation: targets.circulation, events: targets.events },
      (name) => [`release:${name}`, `purge:${name}`],
      async (mine: PurgeTargets) => {
        await releaseClosed(mine);
        return purge(mine, { rules: config.rules, signal: controller.signal });
      },
    );

  const runNow = (): Promise<ScheduledPurgeReport | null> => {
    if (running) return running;
    running = releaseAndPurge()
      .then(
        ({ value, skipped }) => {
          if (skipped.length)
            logger.info({ stores: skipped }, 'retention purge skipped: another replica runs it');
          const report = { ...value, skipped };
          logger.info({ ...loggedCounts(report), rules }, 'retention purge done');
          return report;
        },
        (error: unknown) => {
          logger.error(
            { err: error instanceof Error ? error.message : String(error) },
            'retention purge failed',
          );
          return null;
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  };

  const job = new Cron(
    config.schedule.pattern,
    { timezone: config.schedule.timezone, protect: true, unref: true },
    () => {
      void runNow();
    },
  );
  logger.info(
    {
      schedule: config.schedule.pattern,
      timezone: config.schedule.timezone,
      next: job.nextRun()?.toISOString(),
      rules,
    },
    'retention purge scheduled',
  );

  return {
    nextRun: () => job.nextRun(),
    runNow,
    async stop() {
      job.stop();
      controller.abort();
      await running;
    },
  };
}
