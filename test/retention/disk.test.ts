import { sqliteOf } from '../../src/db/open.js';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purge } from '../../src/retention/purge.js';
import { DEFAULT_RETENTION_RULES } from '../../src/config/retention.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';
import { DAY, retentionFixture } from './fixture.js';

// The purge as the files on disk see it: what a raw read finds afterwards, and what a purge
// killed mid-run (SIGKILL, no chance to clean up) leaves behind.
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-retention-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const CLI = [path.join(REPO_ROOT, 'src/cli/purge.ts')];
const cliEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' };
const runCli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', ...CLI, '--data-dir', dir, ...args], {
    env: cliEnv,
    encoding: 'utf8',
    cwd: REPO_ROOT,
  });

describe('a raw read of the file after the purge', () => {
  it('finds none of the former patrons of anonymized registrations, in any page, the WAL included', async () => {
    // Many patrons registered once each for events now over: every one of their rows goes, so none
    // of their ids may be left anywhere in events.db. (SQLite moves cells when it rebalances a page
    // without zeroing the space they leave: with secure_delete alone, every trial of this test left
    // a few ids behind. The purge's VACUUM is what makes it hold.)
    // Patrons of upcoming events, registered in between, stay: their rows keep the pages live.
    const f = await retentionFixture(dir);
    const insertEvent = sqliteOf(f.events).prepare(
      `INSERT INTO events VALUES (?, 'Talk', 'A talk.', 'br_01', ?, ?, 5000)`,
    );
    for (let e = 0; e < 20; e++) {
      const ends = Date.now() + (e % 2 === 0 ? -1 : 1) * (e + 1) * DAY;
      insertEvent.run(
        `ev_${e}`,
        new Date(ends - 3_600_000).toISOString(),
        new Date(ends).toISOString(),
      );
    }
    const insertSeat = sqliteOf(f.events).prepare(
      `INSERT INTO registrations (event_id, patron_id, registered_at, attended) VALUES (?, ?, '2026-01-02T13:14:15.000Z', 0)`,
    );
    const past: string[] = [];
    sqliteOf(f.events).transaction(() => {
      for (let i = 0; i < 6_000; i++) {
        const id = `pat_${crypto.randomBytes(6).toString('hex')}`;
        const event = crypto.randomInt(20);
        if (event % 2 === 0) past.push(id);
        insertSeat.run(`ev_${event}`, id);
      }
    })();
    const report = await purge({ events: f.events.db }, { rules: DEFAULT_RETENTION_RULES });
    expect(report).toMatchObject({
      anonymized: { registrations: past.length },
      vacuumed: true,
      checkpointed: true,
    });
    await f.close();
    const bytes = Buffer.concat(
      ['events.db', 'events.db-wal']
        .filter((n) => fs.existsSync(path.join(dir, n)))
        .map((n) => fs.readFileSync(path.join(dir, n))),
    );
    expect(past.filter((id) => bytes.includes(id))).toEqual([]);
  });
});

describe('npm run purge, killed mid-run', () => {
  const LOANS = 6_000;
  const BATCH = 500;

  async function library(): Promise<void> {
    const f = await retentionFixture(dir);
    await f.patron('pat_ann');
    // Returned loans 1..LOANS, each with its own item; every tenth with a paid fine.
    sqliteOf(f.circulation).exec(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${LOANS})
      INSERT INTO loans (id, item_id, patron_id, branch_id, checked_out_at, due_at, returned_at, renewals, patron_age_band, patron_home_branch_id)
      SELECT i, 'it_' || i, 'pat_ann', 'br_01', '2026-01-01T10:11:12.000Z', '2026-01-22T10:11:12.000Z', '2026-01-20T09:08:07.000Z', 0, '25-44', 'br_02' FROM n;
      INSERT INTO fines (patron_id, loan_id, amount_cents, reason, created_at, paid_at)
      SELECT 'pat_ann', id, 50, 'Overdue', '2026-01-20T09:08:07.000Z', '2026-02-01T12:00:00.000Z' FROM loans WHERE id % 10 = 0;`);
    await f.close();
  }

  it('leaves a consistent database holding whole batches only, and a rerun finishes the job', async () => {
    await library();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', ...CLI, '--data-dir', dir, '--batch', String(BATCH), '--pause', '300'],
      {
        env: cliEnv,
        cwd: REPO_ROOT,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    );
    const watcher = new Database(path.join(dir, 'circulation.db'));
    watcher.pragma('busy_timeout = 5000');
    const anonymized = () =>
      Number(
        (
          watcher.prepare('SELECT count(*) AS n FROM loans WHERE patron_id IS NULL').get() as {
            n: number;
          }
        ).n,
      );
    const deadline = Date.now() + 30_000;
    while (anonymized() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    watcher.close();

    const db = new Database(path.join(dir, 'circulation.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const loans = db
      .prepare('SELECT id, patron_id, checked_out_at, returned_at FROM loans ORDER BY id')
      .all() as {
      id: number;
      patron_id: string | null;
      checked_out_at: string;
      returned_at: string;
    }[];
    const done = loans.filter((l) => l.patron_id === null).length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(LOANS);
    expect(done % BATCH).toBe(0);
    // Whole batches: the lowest ids, each row either fully anonymized or untouched.
    for (const l of loans) {
      const isDone = l.id <= done;
      expect(l.patron_id === null, `loan ${l.id}`).toBe(isDone);
      expect(l.returned_at).toBe(isDone ? '2026-01-20T00:00:00.000Z' : '2026-01-20T09:08:07.000Z');
    }
    // A batch takes its loans' paid fines with it.
    const fines = db
      .prepare(
        'SELECT f.patron_id AS fine, l.patron_id AS loan FROM fines f JOIN loans l ON l.id = f.loan_id',
      )
      .all() as { fine: string | null; loan: string | null }[];
    expect(fines.every((x) => x.fine === x.loan)).toBe(true);
    db.close();

    const rerun = runCli('--batch', String(BATCH));
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(
      new RegExp(`loans\\s+${(LOANS - done).toLocaleString('en-US')} anonymized`),
    );
    expect(rerun.stdout).toContain('files rebuilt (VACUUM)');
    const after = new Database(path.join(dir, 'circulation.db'), { readonly: true });
    expect(
      after.prepare('SELECT count(*) AS n FROM loans WHERE patron_id IS NOT NULL').get(),
    ).toEqual({ n: 0 });
    expect(
      after.prepare('SELECT count(*) AS n FROM fines WHERE patron_id IS NOT NULL').get(),
    ).toEqual({ n: 0 });
    after.close();

    const third = runCli();
    expect(third.status).toBe(0);
    expect(third.stdout).toMatch(/total 0 rows/);
  });

  it('a dry run reports and changes nothing; bad flags and a missing data directory are refused', async () => {
    await library();
    const dry = runCli('--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(`loans\\s+${LOANS.toLocaleString('en-US')} would be anonymized`),
    );
    expect(dry.stdout).toMatch(
      new RegExp(`fines\\s+${(LOANS / 10).toLocaleString('en-US')} would be anonymized`),
    );
    const db = new Database(path.join(dir, 'circulation.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM loans WHERE patron_id IS NULL').get()).toEqual({
      n: 0,
    });
    db.close();
    expect(runCli('--batch', '0').status).toBe(2);
    const missing = spawnSync(
      process.execPath,
      ['--import', 'tsx', ...CLI, '--data-dir', path.join(dir, 'nope')],
      { env: cliEnv, encoding: 'utf8', cwd: REPO_ROOT },
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nothing to purge');
    const badRule = spawnSync(process.execPath, ['--import', 'tsx', ...CLI, '--data-dir', dir], {
      env: { ...cliEnv, RETENTION_CLOSED_LOANS: 'soon' },
      encoding: 'utf8',
      cwd: REPO_ROOT,
    });
    expect(badRule.status).toBe(2);
    expect(badRule.stderr).toContain('RETENTION_CLOSED_LOANS');
  });
});
