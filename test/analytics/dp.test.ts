/**
 * The differentially private release (src/analytics/release/dp.ts): the noise has the calibrated
 * spread and its stated 95% margin covers 95% of draws, each person counts for at most the
 * bound, every cell of the public domain is published (an absent one would tell), and a release
 * answers the same values every time it is asked.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  boundContributions,
  discreteLaplace,
  marginOfError95,
  noisyMonth,
  type TalliedRow,
} from '../../src/analytics/release/dp.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import { releaseMonth } from '../../src/analytics/release/releaseMonth.js';
import { answerFromReleases } from '../../src/analytics/release/answer.js';
import { CIRCULATION_SCOPE } from '../../src/analytics/release/scopes.js';
import { releaseDb } from '../../src/analytics/release/tally.js';
import { monthRange } from '../../src/analytics/monthRange.js';

describe('discrete Laplace noise', () => {
  it.each([1, 5, 40])(
    'scale %d: variance 2p/(1-p)^2 and the 95 percent margin covers 95 percent of draws',
    (t) => {
      const draws = Array.from({ length: 20_000 }, () => discreteLaplace(t, randomBytes(32)));
      expect(draws.every(Number.isInteger)).toBe(true);
      const p = Math.exp(-1 / t);
      const variance = draws.reduce((s, x) => s + x * x, 0) / draws.length;
      expect(variance / ((2 * p) / (1 - p) ** 2)).toBeGreaterThan(0.9);
      expect(variance / ((2 * p) / (1 - p) ** 2)).toBeLessThan(1.1);
      const covered = draws.filter((x) => Math.abs(x) <= marginOfError95(t)).length / draws.length;
      expect(covered).toBeGreaterThanOrEqual(0.945);
      expect(covered).toBeLessThan(0.975 + (t === 1 ? 0.02 : 0));
    },
  );
});

describe('contribution bound', () => {
  it('keeps at most C rows of each person', () => {
    const rows: TalliedRow[] = Array.from({ length: 60 }, (_, i) => ({
      row: `r${i}`,
      cell: 'a',
      digest: `p${i % 3}`,
    }));
    const kept = boundContributions(rows, 8);
    expect(kept).toHaveLength(24);
    for (const p of ['p0', 'p1', 'p2']) expect(kept.filter((r) => r.digest === p)).toHaveLength(8);
  });
});

describe('a noisy month', () => {
  it('publishes every cell of every grouping over the public domain, with a margin per cell', () => {
    const domains = [
      ['b1', 'b2', 'b3'],
      ['BOOK', 'DVD'],
    ];
    const rows: TalliedRow[] = [{ row: 'r1', cell: 'b1\u001fBOOK', digest: 'p1' }];
    const cells = noisyMonth('test:2026-10:dp:v1', domains, rows, { epsilon: 1, contribution: 4 });
    expect(cells.filter((c) => c.grouping === 3)).toHaveLength(6);
    expect(cells.filter((c) => c.grouping === 1)).toHaveLength(3);
    expect(cells.filter((c) => c.grouping === 0)).toHaveLength(1);
    expect(cells.every((c) => !c.suppressed && c.moe > 0 && Number.isInteger(c.counts[0]))).toBe(
      true,
    );
    // Single dimensions get the larger share of the budget, so the smaller margin.
    expect(cells.find((c) => c.grouping === 1)!.moe).toBeLessThan(
      cells.find((c) => c.grouping === 3)!.moe,
    );
  });
});

describe('a DP release through answers', () => {
  let database: Database<CirculationTables>;
  beforeEach(async () => {
    database = await openTestStore<CirculationTables>('circulation', circulationMigrations);
    await database.db
      .insertInto('items')
      .values({ id: 'it_1', work_id: 'w', format: 'BOOK', branch_id: 'br_01' })
      .execute();
    for (let p = 0; p < 30; p++) {
      await database.db
        .insertInto('loans')
        .values({
          item_id: 'it_1',
          patron_id: `p${p}`,
          branch_id: p < 3 ? 'br_02' : 'br_01',
          checked_out_at: '2026-10-03T10:00:00.000Z',
          due_at: '2026-10-24T10:00:00.000Z',
          returned_at: null,
          renewals: 0,
          patron_age_band: '25-44',
          patron_home_branch_id: 'br_01',
        })
        .execute();
    }
  });
  afterEach(async () => database.close());

  it('publishes the small branch with noise instead of hiding it, the same values every time, no distinct people', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    await releaseMonth(releaseDb(database.db), CIRCULATION_SCOPE, '2026-10', {
      k: 5,
      now,
      dp: { epsilon: 1, contribution: 8 },
    });
    const ask = async (protection: 'SUPPRESSION' | 'DIFFERENTIAL_PRIVACY') =>
      answerFromReleases(
        releaseDb(database.db),
        CIRCULATION_SCOPE,
        monthRange('2026-10', '2026-10'),
        ['BRANCH', 'FORMAT'],
        protection,
      );
    const suppressed = await ask('SUPPRESSION');
    expect(suppressed.table.margins[0]!.find((c) => c.key[0] === 'br_02')!.suppressed).toBe(true);
    const [a, b] = [await ask('DIFFERENTIAL_PRIVACY'), await ask('DIFFERENTIAL_PRIVACY')];
    expect(b).toEqual(a);
    expect(a.releases.map((r) => [r.id, r.protection, r.epsilon, r.contributionBound])).toEqual([
      ['circulation:2026-10:dp:v1', 'DIFFERENTIAL_PRIVACY', 1, 8],
    ]);
    // Margins list every value of the domain; cells within their margin of error of 0 are left out.
    const small = a.table.margins[0]!.find((c) => c.key[0] === 'br_02')!;
    expect(a.table.cells.every((c) => c.counts[0]! > c.moe![0]!)).toBe(true);
    expect(small.suppressed).toBe(false);
    expect(small.people).toBeNull();
    expect(small.moe![0]).toBeGreaterThan(0);
  });
});
