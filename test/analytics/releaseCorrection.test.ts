/**
 * A correction of a released month against someone who kept the earlier version: a cell the
 * earlier version hid (primary or secondary) stays hidden in every later one, else the two
 * versions together give it away (its new value, minus what the correction added, is the old).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import { releaseMonth } from '../../src/analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';

const K = 5;
const NOW = new Date('2026-12-10T12:00:00Z');
let database: Database<CirculationTables>;

/** `people` patrons each borrow one book at `branch` in 2026-10. */
async function lend(branch: string, people: number, prefix: string) {
  for (let p = 0; p < people; p++) {
    await database.db
      .insertInto('loans')
      .values({
        item_id: 'it_1',
        patron_id: `${prefix}${p}`,
        branch_id: branch,
        checked_out_at: `2026-10-0${1 + (p % 9)}T10:00:00.000Z`,
        due_at: '2026-10-25T10:00:00.000Z',
        returned_at: '2026-10-20T10:00:00.000Z',
        renewals: 0,
        patron_age_band: '25-44',
        patron_home_branch_id: 'br_01',
      })
      .execute();
  }
}

beforeEach(async () => {
  database = await openTestStore<CirculationTables>('circulation', circulationMigrations);
  await database.db
    .insertInto('items')
    .values({ id: 'it_1', work_id: 'w_1', format: 'BOOK', branch_id: 'br_01' })
    .execute();
});
afterEach(async () => database.close());

const hidden = async (id: string) =>
  (
    await database.db
      .selectFrom('stats_release_cells')
      .select(['grouping', 'key'])
      .where('release_id', '=', id)
      .where('suppressed', '=', 1)
      .execute()
  )
    .map((c) => `${c.grouping}:${c.key}`)
    .sort();

it('a correction keeps hidden every cell the earlier version hid, even when its recount would publish one', async () => {
  await lend('br_01', 10, 'a');
  await lend('br_02', 2, 'b'); // fewer than k: hidden, and a second branch with it
  await lend('br_03', 8, 'c'); // the cheaper one to hide with it, in v1
  const v1 = await releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-10', {
    k: K,
    now: NOW,
  });
  const before = await hidden(v1.id);
  expect(before.some((c) => c.includes('br_03'))).toBe(true);
  await lend('br_03', 12, 'late'); // keyed in late: br_03 is no longer the cheaper partner
  const v2 = await releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-10', {
    k: K,
    now: NOW,
    correction: 'late loans keyed in',
  });
  const after = await hidden(v2.id);
  expect(before.filter((c) => !after.includes(c))).toEqual([]);
});
