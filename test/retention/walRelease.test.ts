/**
 * What leaves the write-ahead log soon: a cancelled event registration (events had no checkpointer)
 * and a released month's tally. Until a checkpoint, the WAL keeps the pages as they were before.
 */
import { sqliteOf } from '../../src/db/open.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/db/walCheckpoint.js';
import { releaseMonth } from '../../src/analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { EventsStore } from '../../subgraphs/events/store.js';
import { retentionFixture, type RetentionFixture } from './fixture.js';

let dir: string;
let f: RetentionFixture;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-wal-release-'));
  f = await retentionFixture(dir);
});
afterEach(async () => {
  await f.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const walSize = (name: string) => fs.statSync(path.join(dir, `${name}-wal`)).size;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a cancelled registration is checkpointed out of the WAL within the delay', async () => {
  const id = await f.registration('pat_ann', '2030-01-01T12:00:00.000Z');
  const checkpoints = new WalCheckpointer(sqliteOf(f.events), { delayMs: 50 });
  const store = new EventsStore(f.events.db, undefined, () => checkpoints.request());
  sqliteOf(f.events).pragma('wal_checkpoint(TRUNCATE)');
  await store.cancel(id, 'pat_ann');
  expect(walSize('events.db')).toBeGreaterThan(0);
  await sleep(200);
  expect(walSize('events.db')).toBe(0);
  checkpoints.close();
});

it("a month's release leaves no page of its tally in the WAL", async () => {
  for (let p = 0; p < 6; p++) await f.patron(`pat_${p}`);
  for (let p = 0; p < 6; p++) await f.loan(`pat_${p}`, '2026-10-20T10:00:00.000Z');
  sqliteOf(f.circulation).pragma('wal_checkpoint(TRUNCATE)');
  await releaseMonth(releaseDb(f.circulation.db), CIRCULATION_SCOPE, '2026-10', {
    k: 5,
    now: new Date('2026-12-10T00:00:00Z'),
  });
  expect(walSize('circulation.db')).toBe(0);
});
