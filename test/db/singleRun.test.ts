/**
 * Replicas over one PostgreSQL database run the retention purge and the statistics releases one
 * at a time: a replica that starts a job another one is running skips it and says so (the
 * schedule), or reports it and exits 75 (the command-line tools). Runs under
 * `npm run test:postgres` only.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGraph, type RunningGraph } from '../../src/app/graph.js';
import { loadConfig } from '../../src/config/env.js';
import { sql } from 'kysely';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_RULES } from '../../src/config/retention.js';
import { openPostgres, type PostgresDatabase } from '../../src/db/open.js';
import { runEachAlone, trySingleRun } from '../../src/db/singleRun.js';
import { createLogger } from '../../src/log/logger.js';
import { startPurgeSchedule, type PurgeSchedule } from '../../src/retention/schedule.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';
import { createTestPostgresDatabase, TEST_ON_POSTGRES } from '../support/database.js';

const DAY = 86_400_000;

describe.skipIf(!TEST_ON_POSTGRES)('one replica at a time', () => {
  let url: string;
  /** Two replicas: each its own pools over the same two schemas. */
  const replicas: {
    circulation: PostgresDatabase<CirculationTables>;
    events: PostgresDatabase<EventsTables>;
  }[] = [];
  let loans = 0;

  beforeAll(async () => {
    url = await createTestPostgresDatabase();
    for (let i = 0; i < 2; i++) {
      replicas.push({
        circulation: await openPostgres<CirculationTables>(
          url,
          'circulation',
          circulationMigrations,
        ),
        events: await openPostgres<EventsTables>(url, 'events', eventsMigrations),
      });
    }
    await replicas[0]!.circulation.db
      .insertInto('patrons')
      .values({
        id: 'pat_ann',
        card_number: 'card-ann',
        name: 'Ann',
        email: null,
        phone: null,
        address: null,
        birth_date: '1990-05-05',
        home_branch_id: 'br_02',
        pin_hash: null,
        reading_history: 0,
        created_at: '2020-01-01T00:00:00.000Z',
      })
      .execute();
  });
  afterAll(async () => {
    for (const r of replicas) {
      await r.circulation.close();
      await r.events.close();
    }
  });

  /** Adds `n` loans of Ann returned 400 days ago (due for the purge, in a closed month). */
  async function closedLoans(n: number): Promise<void> {
    const db = replicas[0]!.circulation.db;
    const back = new Date(Date.now() - 400 * DAY);
    const rows = Array.from({ length: n }, () => {
      loans += 1;
      return { id: `it_${loans}`, work_id: `wk_${loans}`, format: 'BOOK', branch_id: 'br_01' };
    });
    await db.insertInto('items').values(rows).execute();
    await db
      .insertInto('loans')
      .values(
        rows.map((item) => ({
          item_id: item.id,
          patron_id: 'pat_ann',
          branch_id: 'br_01',
          checked_out_at: new Date(back.getTime() - 10 * DAY).toISOString(),
          due_at: new Date(back.getTime() + 11 * DAY).toISOString(),
          returned_at: back.toISOString(),
          renewals: 0,
          patron_age_band: '25-44',
          patron_home_branch_id: 'br_02',
        })),
      )
      .execute();
  }
  const linked = async () =>
    Number(
      (
        await sql<{
          n: number;
        }>`SELECT count(*) AS n FROM loans WHERE patron_id IS NOT NULL`.execute(
          replicas[0]!.circulation.db,
        )
      ).rows[0]!.n,
    );

  const logs: Record<string, unknown>[][] = [[], []];
  const schedules: PurgeSchedule[] = [];
  beforeEach(() => {
    for (const l of logs) l.length = 0;
  });
  const schedule = (i: number) => {
    schedules[i] ??= startPurgeSchedule(
      { circulation: replicas[i]!.circulation.db, events: replicas[i]!.events.db },
      {
        rules: DEFAULT_RETENTION_RULES,
        schedule: { pattern: '0 0 1 1 *', timezone: 'UTC' },
        release: { k: 2, dp: { epsilon: 1, contribution: 8 } },
      },
      createLogger(
        'test',
        'info',
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            logs[i]!.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
            done();
          },
        }),
      ),
    );
    return schedules[i];
  };
  afterAll(async () => {
    for (const s of schedules) await s?.stop();
  });

  it('of two runs of one job started at once on two pools, one runs and the other is told', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let runs = 0;
    const job = (db: PostgresDatabase<unknown>['db']) =>
      runEachAlone(
        { circulation: db },
        (name) => [`test-job:${name}`],
        async (mine) => {
          if (mine.circulation) {
            runs += 1;
            await gate;
          }
          return Boolean(mine.circulation);
        },
      );
    const first = job(replicas[0]!.circulation.db as never);
    const second = job(replicas[1]!.circulation.db as never);
    // The loser knows while the winner still runs.
    const loser = await Promise.race([first, second]);
    expect(loser).toEqual({ value: false, skipped: ['circulation'] });
    open();
    expect((await Promise.all([first, second])).map((r) => r.value).sort()).toEqual([false, true]);
    expect(runs).toBe(1);
    // Released: the next run takes it.
    expect((await job(replicas[1]!.circulation.db as never)).value).toBe(true);
  });

  it('the lock belongs to the store: another schema, or another job, runs meanwhile', async () => {
    const held = await trySingleRun(replicas[0]!.circulation.db, 'purge:circulation');
    try {
      expect(held).not.toBeNull();
      // The holder keeps no transaction open: no snapshot holds back the vacuum of purged rows.
      const holders = await sql<{ n: number }>`
        SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND (state LIKE 'idle in transaction%' OR (state = 'idle' AND backend_xmin IS NOT NULL))`.execute(
        replicas[1]!.circulation.db,
      );
      expect(holders.rows).toEqual([{ n: 0 }]);
      expect(await trySingleRun(replicas[1]!.circulation.db, 'purge:circulation')).toBeNull();
      const other = await trySingleRun(replicas[1]!.events.db, 'purge:circulation');
      expect(other).not.toBeNull();
      await other!.release();
      const otherJob = await trySingleRun(replicas[1]!.circulation.db, 'release:circulation');
      expect(otherJob).not.toBeNull();
      await otherJob!.release();
    } finally {
      await held?.release();
    }
    const again = await trySingleRun(replicas[1]!.circulation.db, 'purge:circulation');
    expect(again).not.toBeNull();
    await again!.release();
  });

  it('a scheduled purge skips, and says so, a store another replica is purging; the next run does it', async () => {
    await closedLoans(50);
    const busy = await trySingleRun(replicas[0]!.circulation.db, 'purge:circulation');
    try {
      const report = await schedule(1).runNow();
      expect(report).toMatchObject({ skipped: ['circulation'] });
      expect(await linked()).toBe(50);
      expect(
        logs[1]!.some(
          (l) =>
            l.msg === 'retention purge skipped: another replica runs it' &&
            JSON.stringify(l.stores) === '["circulation"]',
        ),
      ).toBe(true);
    } finally {
      await busy?.release();
    }
    expect(await schedule(1).runNow()).toMatchObject({ skipped: [], anonymized: { loans: 50 } });
    expect(await linked()).toBe(0);
  });

  it('two replicas whose schedules fire at once: each store is released and purged by one of them', async () => {
    await closedLoans(3000);
    const [a, b] = await Promise.all([schedule(0).runNow(), schedule(1).runNow()]);
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect([...a!.skipped, ...b!.skipped].sort()).toEqual(['circulation', 'events']);
    expect(a!.anonymized.loans + b!.anonymized.loans).toBe(3000);
    expect(await linked()).toBe(0);
    // The closed month of those loans was released once, by the replica that purged them.
    const releases = await replicas[0]!.circulation.db
      .selectFrom('stats_releases')
      .select(['id', 'version'])
      .execute();
    expect(releases.length).toBeGreaterThan(0);
    expect(releases.every((r) => r.version === 1)).toBe(true);
    const released = [...logs[0]!, ...logs[1]!].filter((l) => l.msg === 'statistics released');
    expect(released.length).toBeLessThanOrEqual(1);
  });

  const command = (args: string[], onStderr?: (text: string) => void) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
        env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        onStderr?.(err);
      });
      child.on('error', reject);
      child.on('exit', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    });

  it('the purge command reports a store another process is purging, and exits 75', async () => {
    await closedLoans(5);
    const busy = await trySingleRun(replicas[0]!.circulation.db, 'purge:circulation');
    try {
      const { code, stdout, stderr } = await command(['src/cli/purge.ts', '--no-vacuum']);
      expect(stderr).toMatch(/circulation: another process is purging it now; not purged here/);
      expect(code).toBe(75);
      expect(stdout).toMatch(/Retention purge/);
      expect(await linked()).toBe(5);
    } finally {
      await busy?.release();
    }
  });

  it('with --wait, the purge command waits for the other process, then purges', async () => {
    await closedLoans(7);
    const before = await linked();
    const busy = await trySingleRun(replicas[0]!.circulation.db, 'purge:circulation');
    let sawWaiting!: () => void;
    const waiting = new Promise<void>((resolve) => (sawWaiting = resolve));
    const run = command(['src/cli/purge.ts', '--no-vacuum', '--wait'], (text) => {
      if (/circulation: another process is purging it now; waiting for it to finish/.test(text))
        sawWaiting();
    });
    try {
      await waiting;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await linked()).toBe(before);
    } finally {
      await busy?.release();
    }
    const { code } = await run;
    expect(code).toBe(0);
    expect(await linked()).toBe(0);
  });

  it('the release command reports a store another process is releasing, and exits 75', async () => {
    const busy = await trySingleRun(replicas[0]!.circulation.db, 'release:circulation');
    try {
      const { code, stderr } = await command(['src/cli/releaseMonth.ts', '--closed']);
      expect(stderr).toMatch(
        /circulation: another process is releasing its statistics now; not released here/,
      );
      expect(code).toBe(75);
    } finally {
      await busy?.release();
    }
    const { code, stderr } = await command(['src/cli/releaseMonth.ts', '--closed']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('a replica starting while another releases the statistics leaves the release to it', async () => {
    const busy = await trySingleRun(replicas[0]!.circulation.db, 'release:circulation');
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    let graph: RunningGraph | undefined;
    try {
      const config = loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: url,
        DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'single-run-')),
        CIRCULATION_PORT: '0',
        SEED_ON_START: 'off',
        PURGE_SCHEDULE: 'off',
      });
      graph = await startGraph(config, createLogger('test', 'info', sink), 'circulation');
      await graph.released;
      expect(
        lines.find((l) => l.msg === 'statistics release skipped: another replica runs it'),
      ).toMatchObject({ stores: ['circulation'] });
    } finally {
      await graph?.stop();
      await busy?.release();
    }
  });
});
