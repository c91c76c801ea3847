/**
 * The statistics tally against someone holding only circulation.db (no configured secret): the
 * tally must not let them rebuild patron -> anonymized loan. They try the obvious: every text the
 * database holds as an HMAC key, over every loan id and patron id it holds, the way the tally
 * digested them, and look for any match in the tally.
 */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { sql } from 'kysely';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import { anonymizeLoans } from '../../src/retention/anonymize.js';
import { releaseClosedMonths } from '../../src/analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb, tallyRows } from '../../src/analytics/release/tally.js';

let database: Database<CirculationTables>;
beforeEach(async () => {
  database = await openTestStore<CirculationTables>('tally_unlinkable', circulationMigrations);
  await database.db
    .insertInto('items')
    .values({ id: 'it_1', work_id: 'w_1', format: 'BOOK', branch_id: 'br_01' })
    .execute();
  for (let p = 0; p < 8; p++) {
    for (let i = 0; i < 2; i++) {
      await database.db
        .insertInto('loans')
        .values({
          item_id: 'it_1',
          patron_id: `pat_${p}`,
          branch_id: 'br_01',
          checked_out_at: `2026-10-0${1 + i}T10:1${p}:00.000Z`,
          due_at: '2026-10-25T10:00:00.000Z',
          returned_at: '2026-10-20T10:00:00.000Z',
          renewals: 0,
          patron_age_band: '25-44',
          patron_home_branch_id: 'br_01',
        })
        .execute();
    }
  }
});
afterEach(async () => database.close());

/** Every text value of every table (as the engine lists them): the attacker's candidate keys. */
async function allTexts(): Promise<string[]> {
  const tables = await database.db.introspection.getTables();
  const out = new Set<string>();
  for (const { name } of tables) {
    for (const row of (
      await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(name)}`.execute(database.db)
    ).rows) {
      for (const v of Object.values(row)) if (typeof v === 'string') out.add(v);
    }
  }
  return [...out];
}

/** How many tally entries the store holds. */
const tallyCount = async () =>
  Number(
    (
      await database.db
        .selectFrom('stats_tally')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

it('holding only the database, no tally entry can be recomputed from a loan id or a patron id', async () => {
  const loans = await database.db.selectFrom('loans').select(['id', 'patron_id']).execute();
  const patrons = [...new Set(loans.map((l) => l.patron_id!))];
  // Half the loans are anonymized by retention (tallied first), the rest wait for the release.
  await anonymizeLoans(
    database.db,
    loans.filter((l) => l.id % 2 === 0).map((l) => l.id),
  );
  const tally = (await sql<Record<string, unknown>>`SELECT * FROM stats_tally`.execute(database.db))
    .rows;
  expect(tally.length).toBe(8);
  const stored = new Set(
    tally.flatMap((r) => Object.values(r).filter((v): v is string => typeof v === 'string')),
  );
  const digest = (key: string, text: string) =>
    createHmac('sha256', key).update(text).digest('base64url').slice(0, 22);
  const found: string[] = [];
  const keys = await allTexts();
  // The attacker did read the tables: the branch and a patron not yet anonymized are among the keys.
  expect(keys).toEqual(expect.arrayContaining(['br_01', 'pat_1']));
  for (const key of keys) {
    for (const l of loans)
      if (stored.has(digest(key, `row\u0000${l.id}`))) found.push(`loan ${l.id}`);
    for (const p of patrons) if (stored.has(digest(key, `person\u0000${p}`))) found.push(p);
  }
  expect(found).toEqual([]);
});

it('a row tallied twice (seed, then retention, then release) counts once', async () => {
  const loans = await database.db
    .selectFrom('loans')
    .select(['id', 'patron_id', 'checked_out_at'])
    .execute();
  const linked = loans.map((l) => ({
    rowId: l.id,
    month: '2026-10',
    cell: ['br_01', 'BOOK', '25-44', 'br_01'].join('\u001f'),
    patronId: l.patron_id!,
  }));
  await tallyRows(releaseDb(database.db), 'circulation', linked);
  await tallyRows(releaseDb(database.db), 'circulation', linked);
  await anonymizeLoans(
    database.db,
    loans.map((l) => l.id),
  );
  expect(await tallyCount()).toBe(16);
  const [summary] = await releaseClosedMonths(releaseDb(database.db), CIRCULATION_SCOPE, {
    k: 5,
    now: new Date('2026-12-10T00:00:00Z'),
    dp: { epsilon: 1, contribution: 8 },
  });
  expect(summary).toMatchObject({ created: true });
  expect(await tallyCount()).toBe(0);
});
