/**
 * The in-memory release index answers exactly as the first summing of released cells did
 * (combineReference.ts): for random releases, random ranges of months and random groupings in any
 * order, the same groups in the same order with the same counts, people, suppression and margins
 * of error, in both protection modes (DP's cells within their margin of 0 left out as answers do).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  combine,
  type MonthRelease,
  type StoredCell,
} from '../../src/analytics/release/combine.js';
import { MONTH_DIMENSION } from '../../src/analytics/release/releaseIndex.js';
import { KEY_SEPARATOR } from '../../src/analytics/release/tables.js';
import { combineReference } from './combineReference.js';
import { openTestStore } from '../support/database.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { answerFromReleases } from '../../src/analytics/release/answer.js';
import { insertCells } from '../../src/analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { monthRange } from '../../src/analytics/monthRange.js';

const DIMS = ['BRANCH', 'FORMAT', 'AGE_BAND', 'HOME_BRANCH'];
/** Values that sort differently as prefixes, by case and as the unknown '' (string order matters). */
const VALUES = ['', 'b', 'b1', 'b10', 'b2', 'B', 'br_01', 'br_1', '65+', '18-24', 'DVD'];
const MONTHS = ['2025-12', '2026-01', '2026-02', '2026-10', '2026-11'];

/** One month's release: for each grouping, some keys over its dimensions' values, with counts. */
const release = (dimensions: number, metrics: number, noisy: boolean) =>
  fc
    .array(
      fc.record({
        grouping: fc.integer({ min: 0, max: (1 << dimensions) - 1 }),
        values: fc.array(fc.constantFrom(...VALUES), {
          minLength: dimensions,
          maxLength: dimensions,
        }),
        counts: fc.array(fc.integer({ min: -30, max: 500 }), {
          minLength: metrics,
          maxLength: metrics,
        }),
        people: fc.integer({ min: 0, max: 200 }),
        suppressed: fc.boolean(),
        moe: fc.double({ min: 0, max: 900, noNaN: true }),
      }),
      { maxLength: 60 },
    )
    .map((drawn) => {
      const cells = new Map<string, StoredCell>();
      for (const c of drawn) {
        const values = c.values.filter((_, d) => (c.grouping >> d) & 1);
        const key = values.join(KEY_SEPARATOR);
        // One cell per grouping and key, as the release table's primary key has it.
        cells.set(`${c.grouping}:${key}`, {
          grouping: c.grouping,
          key,
          counts: c.counts,
          people: noisy ? null : c.people,
          suppressed: noisy ? false : c.suppressed,
          moe: noisy ? [c.moe, 0, 0] : null,
        });
      }
      return [...cells.values()];
    });

const scenario = fc
  .record({
    dimensions: fc.integer({ min: 1, max: 4 }),
    metrics: fc.integer({ min: 1, max: 2 }),
    noisy: fc.boolean(),
  })
  .chain(({ dimensions, metrics, noisy }) =>
    fc.record({
      dimensions: fc.constant(dimensions),
      metrics: fc.constant(metrics),
      noisy: fc.constant(noisy),
      months: fc
        .uniqueArray(fc.constantFrom(...MONTHS), { minLength: 0, maxLength: MONTHS.length })
        .map((m) => m.sort()),
      releases: fc.array(release(dimensions, metrics, noisy), {
        minLength: MONTHS.length,
        maxLength: MONTHS.length,
      }),
      groupBy: fc.shuffledSubarray([...DIMS.slice(0, dimensions), MONTH_DIMENSION]),
    }),
  );

describe('the in-memory release index', () => {
  it('answers every grouping of random releases as the reference summing does', () => {
    fc.assert(
      fc.property(scenario, ({ dimensions, metrics, noisy, months, releases, groupBy }) => {
        const dims = DIMS.slice(0, dimensions);
        const input: MonthRelease[] = months.map((month, i) => ({ month, cells: releases[i]! }));
        const keep = (c: { counts: readonly number[]; moe: readonly number[] | null }) =>
          c.counts[0]! > (c.moe?.[0] ?? 0);
        const expected = combineReference(input, groupBy, dims, metrics);
        if (noisy) expected.cells = expected.cells.filter(keep);
        expect(combine(input, groupBy, dims, metrics, { dropWithinMargin: noisy })).toEqual(
          expected,
        );
      }),
      { numRuns: 400 },
    );
  });

  it('orders groups as their joined keys sort, values that are prefixes of others included', () => {
    const cell = (key: string[]): StoredCell => ({
      grouping: 3,
      key: key.join(KEY_SEPARATOR),
      counts: [1],
      people: 1,
      suppressed: false,
      moe: null,
    });
    const keys = [
      ['b1', 'x'],
      ['b', 'y'],
      ['b10', ''],
      ['', 'z'],
      ['b1', ''],
    ];
    const answer = combine(
      [{ month: '2026-10', cells: keys.map(cell) }],
      ['BRANCH', 'FORMAT'],
      ['BRANCH', 'FORMAT'],
      1,
    );
    expect(answer.cells.map((c) => c.key)).toEqual([
      ['', 'z'],
      ['b', 'y'],
      ['b1', ''],
      ['b1', 'x'],
      ['b10', ''],
    ]);
  });
});

describe('releases held in memory', () => {
  it('are read once; a new version of a month is read when answers first ask for it, and used', async () => {
    const database = await openTestStore<CirculationTables>('release_index', circulationMigrations);
    try {
      const db = releaseDb(database.db);
      const release = async (version: number, checkouts: number) => {
        const id = `circulation:2026-10:suppression:v${version}`;
        await db
          .insertInto('stats_releases')
          .values({
            id,
            scope: 'circulation',
            month: '2026-10',
            version,
            mode: 'suppression',
            k: 5,
            epsilon: null,
            contribution: null,
            released_at: '2026-11-01T00:00:00.000Z',
            reason: 'closed',
          })
          .execute();
        await insertCells(db, id, [
          { grouping: 0, key: [], counts: [checkouts], people: 7, suppressed: false },
          { grouping: 1, key: ['br_01'], counts: [checkouts], people: 7, suppressed: false },
        ]);
      };
      const ask = async () => {
        database.statements.reset();
        const answer = await answerFromReleases(
          db,
          CIRCULATION_SCOPE,
          monthRange('2026-10', '2026-10'),
          ['BRANCH'],
        );
        return {
          checkouts: answer.table.cells.map((c) => c.counts[0]),
          statements: database.statements.count,
        };
      };
      await release(1, 20);
      expect(await ask()).toEqual({ checkouts: [20], statements: 2 });
      expect(await ask()).toEqual({ checkouts: [20], statements: 1 });
      await release(2, 21);
      expect(await ask()).toEqual({ checkouts: [21], statements: 2 });
      expect(await ask()).toEqual({ checkouts: [21], statements: 1 });
    } finally {
      await database.close();
    }
  });
});
