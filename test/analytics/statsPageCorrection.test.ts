/**
 * Answers are kept in memory by identity, which names the releases they drew on: a correction
 * released between two requests gives the corrected sums at once (not the kept ones), and a
 * cursor of a page of the earlier version is refused rather than continued on the new one.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import { releaseMonth } from '../../src/analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { answerFromReleases } from '../../src/analytics/release/answer.js';
import { monthRange } from '../../src/analytics/monthRange.js';
import { pageOf } from '../../src/analytics/release/page.js';

const K = 5;
const NOW = new Date('2026-12-10T12:00:00Z');
let database: Database<CirculationTables>;

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

it('a correction between two pages: the new sums at once, and the old cursor refused', async () => {
  await lend('br_01', 10, 'a');
  await lend('br_02', 12, 'b');
  await lend('br_03', 11, 'c');
  const db = releaseDb(database.db);
  const range = monthRange('2026-10', '2026-10');
  await releaseMonth(db, CIRCULATION_SCOPE, '2026-10', { k: K, now: NOW });
  const before = await answerFromReleases(db, CIRCULATION_SCOPE, range, ['BRANCH']);
  expect(before.table.cells.map((c) => c.counts[0])).toEqual([10, 12, 11]);
  const cursor = pageOf(before.identity, before.table.cells.length, 1, null).pageInfo.endCursor!;
  // The same answer again: the same identity, and the cursor continues it.
  const again = await answerFromReleases(db, CIRCULATION_SCOPE, range, ['BRANCH']);
  expect(pageOf(again.identity, again.table.cells.length, 1, cursor)).toMatchObject({
    start: 1,
    end: 2,
  });

  await lend('br_01', 6, 'late');
  await releaseMonth(db, CIRCULATION_SCOPE, '2026-10', {
    k: K,
    now: NOW,
    correction: 'late loans keyed in',
  });
  const after = await answerFromReleases(db, CIRCULATION_SCOPE, range, ['BRANCH']);
  expect(after.releases.map((r) => r.version)).toEqual([2]);
  expect(after.table.cells.map((c) => c.counts[0])).toEqual([16, 12, 11]);
  let refusal: unknown;
  try {
    pageOf(after.identity, after.table.cells.length, 1, cursor);
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toBeInstanceOf(GraphQLError);
  expect((refusal as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
});
