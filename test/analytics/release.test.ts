/**
 * Releases of a month, on a small circulation database: the tally keeps the borrowers of loans
 * that retention anonymizes before the month closes, a release is frozen and versioned, the open
 * month is never released, and the tally of a released month is gone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { sql } from 'kysely';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import { anonymizeLoans } from '../../src/retention/anonymize.js';
import { releaseClosedMonths, releaseMonth } from '../../src/analytics/release/releaseMonth.js';
import { answerFromReleases } from '../../src/analytics/release/answer.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { monthRange } from '../../src/analytics/monthRange.js';

const K = 5;
const NOW = new Date('2026-12-10T12:00:00Z');
let database: Database<CirculationTables>;

/** `people` patrons (aged 25-44, home br_01) each borrow `each` books at br_01 on 2026-10-(1..). */
async function lend(people: number, each: number, month = '2026-10', prefix = 'p') {
  for (let p = 0; p < people; p++) {
    for (let i = 0; i < each; i++) {
      await database.db
        .insertInto('loans')
        .values({
          item_id: 'it_1',
          patron_id: `${prefix}${p}`,
          branch_id: 'br_01',
          checked_out_at: `${month}-${String(1 + i).padStart(2, '0')}T10:1${p % 10}:00.000Z`,
          due_at: `${month}-25T10:00:00.000Z`,
          returned_at: `${month}-20T10:00:00.000Z`,
          renewals: 0,
          patron_age_band: '25-44',
          patron_home_branch_id: 'br_01',
        })
        .execute();
    }
  }
}

beforeEach(async () => {
  database = await openTestStore<CirculationTables>('release', circulationMigrations);
  await database.db
    .insertInto('items')
    .values({ id: 'it_1', work_id: 'w_1', format: 'BOOK', branch_id: 'br_01' })
    .execute();
});
afterEach(async () => database.close());

const total = async (from: string, to = from) => {
  const answer = await answerFromReleases(
    releaseDb(database.db),
    CIRCULATION_SCOPE,
    monthRange(from, to),
    [],
  );
  return {
    ...answer.table.total,
    releases: answer.releases.map((r) => r.id),
    unreleased: answer.unreleasedMonths,
  };
};

describe('a month whose loans were all anonymized before it closed', () => {
  it('is published with its distinct borrowers (the tally kept them), and the tally is gone after', async () => {
    await lend(12, 2);
    const ids = (await database.db.selectFrom('loans').select('id').execute()).map((r) => r.id);
    await anonymizeLoans(database.db, ids);
    expect(
      await database.db
        .selectFrom('loans')
        .select('id')
        .where('patron_id', 'is not', null)
        .execute(),
    ).toEqual([]);
    const [summary] = await releaseClosedMonths(releaseDb(database.db), CIRCULATION_SCOPE, {
      k: K,
      now: NOW,
    });
    expect(summary!.id).toBe('circulation:2026-10:suppression:v1');
    expect(await total('2026-10')).toMatchObject({
      counts: [24],
      people: 12,
      suppressed: false,
      releases: [summary!.id],
      unreleased: [],
    });
    expect(await database.db.selectFrom('stats_tally').selectAll().execute()).toEqual([]);
  });

  it('without the tally (before this change) it would count no one and be suppressed', async () => {
    await lend(12, 2);
    await database.db.updateTable('loans').set({ patron_id: null }).execute();
    await releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-10', { k: K, now: NOW });
    expect(await total('2026-10')).toMatchObject({ suppressed: true });
  });
});

describe('releases are frozen and versioned', () => {
  it('refuses the open month and later ones', async () => {
    await expect(
      releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-12', { k: K, now: NOW }),
    ).rejects.toThrow(/not closed/);
    await lend(12, 1, '2026-12');
    expect(
      await releaseClosedMonths(releaseDb(database.db), CIRCULATION_SCOPE, { k: K, now: NOW }),
    ).toEqual([]);
    expect(await total('2026-12')).toMatchObject({ releases: [], unreleased: ['2026-12'] });
  });

  it('a second release of the same month changes nothing; a correction is a new version that answers use', async () => {
    await lend(12, 2);
    const first = await releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-10', {
      k: K,
      now: NOW,
    });
    await lend(1, 1, '2026-10', 'late');
    const again = await releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-10', {
      k: K,
      now: NOW,
    });
    expect(again).toMatchObject({ id: first.id, created: false });
    expect(await total('2026-10')).toMatchObject({ counts: [24], releases: [first.id] });
    const corrected = await releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-10', {
      k: K,
      now: NOW,
      correction: 'late returns keyed in',
    });
    expect(corrected).toMatchObject({
      id: 'circulation:2026-10:suppression:v2',
      version: 2,
      created: true,
    });
    expect(await total('2026-10')).toMatchObject({
      counts: [25],
      people: 12,
      releases: [corrected.id],
    });
    await expect(sql`UPDATE stats_release_cells SET c0 = 0`.execute(database.db)).rejects.toThrow(
      /immutable/,
    );
  });

  it('a range sums its months; distinct people are given only for a single month', async () => {
    await lend(12, 1, '2026-10');
    await lend(15, 1, '2026-11');
    await releaseClosedMonths(releaseDb(database.db), CIRCULATION_SCOPE, { k: K, now: NOW });
    expect(await total('2026-10', '2026-11')).toMatchObject({
      counts: [27],
      people: null,
      suppressed: false,
      unreleased: [],
    });
    expect(await total('2026-11')).toMatchObject({ counts: [15], people: 15 });
  });
});
