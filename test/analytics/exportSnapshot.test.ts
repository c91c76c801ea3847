/**
 * The export against a loan written while it runs (the server keeps lending): every row it writes
 * must have passed its k check, so a loan that arrives between its passes is never written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { openSqlite, type Database } from '../../src/db/open.js';
import { exportAnalytics } from '../../src/analytics/exportAnalytics.js';

let dir: string;
let database: Database<CirculationTables>;
const loan = (patron: string) => ({
  item_id: 'it_1',
  patron_id: patron,
  branch_id: 'br_01',
  checked_out_at: '2026-10-01T10:00:00.000Z',
  due_at: '2026-10-22T10:00:00.000Z',
  returned_at: '2026-10-20T10:00:00.000Z',
  renewals: 0,
  patron_age_band: '25-44',
  patron_home_branch_id: 'br_01',
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-snapshot-'));
  database = await openSqlite<CirculationTables>(
    path.join(dir, 'circulation.db'),
    circulationMigrations,
  );
  await database.db
    .insertInto('items')
    .values({ id: 'it_1', work_id: 'w_1', format: 'BOOK', branch_id: 'br_01' })
    .execute();
  for (let p = 0; p < 4; p++)
    await database.db
      .insertInto('loans')
      .values(loan(`pat_${p}`))
      .execute();
});
afterEach(async () => {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a loan written by another connection between its passes is not written', async () => {
  const other = new SQLite(path.join(dir, 'circulation.db'));
  let inserted = 0;
  const written: number[] = [];
  try {
    await exportAnalytics({
      database,
      window: { start: '2026-01-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' },
      format: 'csv',
      out: path.join(dir, 'loans.csv'),
      k: 3,
      pseudonym: { key: 'k'.repeat(32), period: 'month' },
      pageSize: 2,
      onProgress: (phase) => {
        // After the count pass, a loan that would stand alone in its group on every rung but the top.
        if (phase === 'count' && inserted === 0) {
          other
            .prepare(
              'INSERT INTO loans (item_id, patron_id, branch_id, checked_out_at, due_at, returned_at, renewals, patron_age_band, patron_home_branch_id) VALUES (?,?,?,?,?,?,?,?,?)',
            )
            .run(
              'it_1',
              'pat_new',
              'br_01',
              '2026-10-05T10:00:00.000Z',
              '2026-10-26T10:00:00.000Z',
              '2026-10-25T10:00:00.000Z',
              0,
              '25-44',
              'br_01',
            );
          inserted = Number(
            (other.prepare('SELECT max(id) AS id FROM loans').get() as { id: number }).id,
          );
        }
      },
      onRow: (id) => written.push(id),
    });
  } finally {
    other.close();
  }
  expect(inserted).toBe(5);
  expect(written).toEqual([1, 2, 3, 4]);
});
