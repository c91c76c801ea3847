/**
 * Small-cell suppression (src/analytics/suppression.ts): the threshold, complementary suppression
 * in 1 to 3 dimensions, and, for small random tables, a brute-force attacker who writes every
 * equation the published cells, margins and total give and finds each suppressed value still open.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suppress, type StatsGroup, type StatsTable } from '../../src/analytics/suppression.js';
import { recoverable, systemOf } from './recover.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

/** A table from a full grid of (counts, people) per cell; absent cells are those with people 0. */
function tableOf(
  dims: string[][],
  grid: Map<string, { counts: number[]; people: number }>,
  marginPeople?: (d: number, v: string, cells: StatsGroup[]) => number,
): StatsTable {
  const cells: StatsGroup[] = [];
  for (const [id, g] of grid)
    if (g.people > 0) cells.push({ key: id.split('|'), counts: g.counts, people: g.people });
  const metrics = cells[0]?.counts.length ?? 1;
  const sum = (groups: StatsGroup[]) =>
    Array.from({ length: metrics }, (_, m) => groups.reduce((s, g) => s + g.counts[m]!, 0));
  const margins = dims.map((values, d) =>
    values
      .map((v) => ({ v, members: cells.filter((c) => c.key[d] === v) }))
      .filter(({ members }) => members.length > 0)
      .map(({ v, members }) => ({
        key: [v],
        counts: sum(members),
        people: marginPeople
          ? marginPeople(d, v, members)
          : members.reduce((s, c) => s + c.people, 0),
      })),
  );
  const people = cells.reduce((s, c) => s + c.people, 0);
  return {
    dimensions: dims.length,
    cells,
    margins,
    total: { key: [], counts: sum(cells), people },
  };
}

const gridOf = (dims: string[][], rows: { counts: number[]; people: number }[]) => {
  const keys: string[][] = dims.reduce<string[][]>(
    (acc, values) => acc.flatMap((k) => values.map((v) => [...k, v])),
    [[]],
  );
  return new Map(keys.map((k, i) => [k.join('|'), rows[i % rows.length]!]));
};

const leaks = (table: StatsTable) => {
  const published = suppress(table, K);
  const metrics = table.total.counts.length;
  return Array.from({ length: metrics }, (_, m) =>
    recoverable(systemOf(published, table.dimensions, m)).map((t) => t.label),
  ).flat();
};
const K = 5;

describe('primary suppression', () => {
  it('hides a cell of fewer than k people, and one more so the total does not give it away', () => {
    const dims = [['a', 'b', 'c', 'd']];
    const grid = new Map([
      ['a', { counts: [40], people: 30 }],
      ['b', { counts: [3], people: 2 }],
      ['c', { counts: [25], people: 12 }],
      ['d', { counts: [60], people: 41 }],
    ]);
    const published = suppress(tableOf(dims, grid), K);
    expect(published.cells.map((c) => [c.key[0], c.suppressed])).toEqual([
      ['a', false],
      ['b', true],
      ['c', true],
      ['d', false],
    ]);
    expect(published.total.suppressed).toBe(false);
    expect(leaks(tableOf(dims, grid))).toEqual([]);
  });

  it('suppresses everything when the whole table stands for fewer than k people', () => {
    const dims = [['a', 'b']];
    const grid = new Map([
      ['a', { counts: [3], people: 2 }],
      ['b', { counts: [2], people: 2 }],
    ]);
    const published = suppress(tableOf(dims, grid), K);
    expect(published.total.suppressed).toBe(true);
    expect(published.cells.every((c) => c.suppressed)).toBe(true);
  });

  it('publishes everything when every cell reaches k', () => {
    const dims = [
      ['x', 'y'],
      ['1', '2'],
    ];
    const published = suppress(tableOf(dims, gridOf(dims, [{ counts: [20], people: 9 }])), K);
    expect(published.cells.some((c) => c.suppressed)).toBe(false);
    expect(published.margins.flat().some((c) => c.suppressed)).toBe(false);
  });

  it('the classic counter-example to "two per line": a bridge between two cycles is still protected', () => {
    // Rows r1..r4 x columns c1..c4; small cells on two 2x2 blocks and one bridge (r1, c3).
    const dims = [
      ['r1', 'r2', 'r3', 'r4'],
      ['c1', 'c2', 'c3', 'c4'],
    ];
    const small = new Set([
      'r1|c1',
      'r1|c2',
      'r2|c1',
      'r2|c2',
      'r3|c3',
      'r3|c4',
      'r4|c3',
      'r4|c4',
      'r1|c3',
    ]);
    const grid = new Map(
      dims[0]!.flatMap((r) =>
        dims[1]!.map(
          (c) =>
            [
              `${r}|${c}`,
              small.has(`${r}|${c}`) ? { counts: [2], people: 2 } : { counts: [30], people: 20 },
            ] as const,
        ),
      ),
    );
    expect(leaks(tableOf(dims, grid))).toEqual([]);
  });

  it('a margin of fewer than k people is suppressed with a partner, and neither can be recovered', () => {
    const dims = [
      ['a', 'b', 'c'],
      ['1', '2'],
    ];
    const grid = new Map([
      ['a|1', { counts: [1], people: 1 }],
      ['a|2', { counts: [2], people: 1 }],
      ['b|1', { counts: [30], people: 20 }],
      ['b|2', { counts: [40], people: 22 }],
      ['c|1', { counts: [35], people: 21 }],
      ['c|2', { counts: [50], people: 30 }],
    ]);
    const table = tableOf(dims, grid);
    const published = suppress(table, K);
    expect(published.margins[0]!.find((g) => g.key[0] === 'a')!.suppressed).toBe(true);
    expect(published.margins[0]!.filter((g) => g.suppressed).length).toBeGreaterThanOrEqual(2);
    expect(leaks(table)).toEqual([]);
  });

  it('lists an empty corner as suppressed when the cheapest hypercube needs it, and stays unrecoverable', () => {
    const dims = [
      ['a', 'b'],
      ['1', '2'],
    ];
    const grid = new Map([
      ['a|1', { counts: [2], people: 2 }],
      ['a|2', { counts: [30], people: 20 }],
      ['b|1', { counts: [25], people: 20 }],
    ]);
    const table = tableOf(dims, grid);
    expect(leaks(table)).toEqual([]);
  });
});

// ---- brute force over small random tables ---------------------------------------------------
const shape = fc.oneof(
  fc.integer({ min: 2, max: 6 }).map((a) => [a]),
  fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 3 })).map(([a, b]) => [a, b]),
  fc
    .tuple(fc.integer({ min: 2, max: 3 }), fc.constant(2), fc.constant(2))
    .map(([a, b, c]) => [a, b, c]),
);
const cellValue = (metrics: number) =>
  fc
    .oneof(
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) },
      { weight: 3, arbitrary: fc.integer({ min: 5, max: 14 }) },
    )
    .chain((people) =>
      people === null
        ? fc.constant({ counts: new Array<number>(metrics).fill(0), people: 0 })
        : fc
            .tuple(
              fc.integer({ min: 0, max: 4 }),
              fc.array(fc.integer({ min: 0, max: 9 }), {
                minLength: metrics - 1,
                maxLength: metrics - 1,
              }),
            )
            .map(([extra, more]) => ({
              counts: [people + extra, ...more],
              people,
            })),
    );
const randomTable = fc.tuple(shape, fc.integer({ min: 1, max: 2 })).chain(([sizes, metrics]) => {
  const dims = sizes.map((size, d) => Array.from({ length: size }, (_, i) => `${'xyz'[d]}${i}`));
  const cells = sizes.reduce((a, b) => a * b, 1);
  return fc
    .tuple(
      fc.array(cellValue(metrics), { minLength: cells, maxLength: cells }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    )
    .map(([rows, overlap]) => {
      // People in a margin: between the largest cell's and the sum (patrons borrow in several cells).
      const marginPeople = (_d: number, _v: string, members: StatsGroup[]) => {
        const most = Math.max(...members.map((c) => c.people));
        const sum = members.reduce((s, c) => s + c.people, 0);
        return Math.round(most + (sum - most) * (1 - overlap));
      };
      return tableOf(dims, gridOf(dims, rows), marginPeople);
    });
});

describe('no suppressed value can be recovered from the same table (brute force)', () => {
  it(`holds for ${RUNS} random tables of 1 to 3 dimensions`, () => {
    fc.assert(
      fc.property(randomTable, fc.integer({ min: 2, max: 8 }), (table, k) => {
        const published = suppress(table, k);
        for (const cell of published.cells)
          if (cell.people > 0 && cell.people < k) expect(cell.suppressed).toBe(true);
        for (const g of published.margins.flat()) if (g.people < k) expect(g.suppressed).toBe(true);
        for (let m = 0; m < table.total.counts.length; m++) {
          const found = recoverable(systemOf(published, table.dimensions, m));
          expect(found.map((t) => `${t.label} (count ${m}) = ${t.truth}`)).toEqual([]);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.PROPERTY_SEED ?? 20261128) },
    );
  });

  it('the check itself catches a naive suppression that hides a single cell', () => {
    const dims = [['a', 'b', 'c']];
    const grid = new Map([
      ['a', { counts: [2], people: 2 }],
      ['b', { counts: [30], people: 20 }],
      ['c', { counts: [25], people: 21 }],
    ]);
    const published = suppress(tableOf(dims, grid), K);
    const naive = {
      ...published,
      cells: published.cells.map((c) => ({ ...c, suppressed: c.key[0] === 'a' })),
    };
    expect(recoverable(systemOf(naive, 1, 0)).map((t) => t.label)).toEqual(['cell a']);
  });
});
