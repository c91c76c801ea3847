/**
 * The purge schedule releases closed months of statistics before each purge; a release that fails
 * must not stop retention: the purge still unlinks what is due, and the failure is logged.
 */
import { sql } from 'kysely';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startPurgeSchedule } from '../../src/retention/schedule.js';
import { DEFAULT_RETENTION_RULES } from '../../src/config/retention.js';
import { createLogger } from '../../src/log/logger.js';
import { DAY, retentionFixture, type RetentionFixture } from './fixture.js';

let f: RetentionFixture;
beforeEach(async () => {
  f = await retentionFixture();
  await f.patron('pat_ann');
});
afterEach(() => f.close());

it('a release that throws is logged, and the purge runs anyway', async () => {
  const id = await f.loan('pat_ann', new Date(Date.now() - 400 * DAY).toISOString());
  // The release of the loan's (closed) month fails when it writes its cells; the purge never touches them.
  await sql`DROP TABLE stats_release_cells`.execute(f.circulation.db);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const schedule = startPurgeSchedule(
    { circulation: f.circulation.db, events: f.events.db },
    {
      rules: { ...DEFAULT_RETENTION_RULES, closedLoans: { kind: 'immediately' } },
      schedule: { pattern: '0 0 1 1 *', timezone: 'UTC' },
      release: { k: 5, dp: { epsilon: 1, contribution: 8 } },
    },
    createLogger('test', 'info', sink),
  );
  try {
    const report = await schedule.runNow();
    expect(report).not.toBeNull();
    expect((await f.rows('loans')).find((r) => r.id === id)?.patron_id).toBeNull();
    expect(lines.some((l) => l.msg === 'statistics release failed')).toBe(true);
    // The month stays unreleased, and its loan, unlinked by the purge, was tallied first.
    expect(
      await f.circulation.db
        .selectFrom('stats_releases')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
    ).toEqual({ n: 0 });
    expect(
      await f.circulation.db
        .selectFrom('stats_tally')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
    ).toEqual({ n: 1 });
  } finally {
    await schedule.stop();
  }
});
