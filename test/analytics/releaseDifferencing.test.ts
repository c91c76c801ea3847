/**
 * The differencing attack of issue 15, over every grouping and adjacent months: an analyst asks
 * every `groupBy` (any subset of branch, format, age band, home branch and month) over each month
 * alone and both together, writes every published number as an equation over the finest cells,
 * and solves. Against answers protected one by one (the old live statistics) the attack recovers
 * suppressed cells; against answers drawn from protected releases it recovers nothing.
 */
import { describe, expect, it } from 'vitest';
import { suppress, type StatsGroup } from '../../src/analytics/suppression.js';
import { protectMonth, type FinestCell } from '../../src/analytics/release/protect.js';
import {
  combine,
  MONTH_DIMENSION,
  type MonthRelease,
} from '../../src/analytics/release/combine.js';
import { KEY_SEPARATOR } from '../../src/analytics/release/tables.js';
import { recovered, type Sum } from './linearAttacker.js';

const K = 5;
const DIMS = ['BRANCH', 'FORMAT', 'AGE_BAND', 'HOME_BRANCH'];
const VALUES = [
  ['b1', 'b2', 'b3'],
  ['BOOK', 'DVD', 'CD'],
  ['18-24', '25-44', '65+'],
  ['h1', 'h2', 'h3'],
];
const MONTHS = ['2026-10', '2026-11'];

/** A deterministic generator (mulberry32), so a failure is reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A skewed month: people with an age band and home branch each borrow 1-4 items; rare combinations stay small. */
function month(seed: number, people: number) {
  const r = rng(seed);
  const pick = (values: string[], skew: number) =>
    values[Math.min(values.length - 1, Math.floor(-Math.log(1 - r()) * skew))]!;
  const loans: { cell: string[]; person: number }[] = [];
  for (let p = 0; p < people; p++) {
    const age = pick(VALUES[2]!, 0.9);
    const home = pick(VALUES[3]!, 0.8);
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++)
      loans.push({
        cell: [
          r() < 0.7 ? home.replace('h', 'b') : pick(VALUES[0]!, 1),
          pick(VALUES[1]!, 0.7),
          age,
          home,
        ],
        person: p,
      });
  }
  return loans;
}

type Loans = ReturnType<typeof month>;

const cellsOf = (loans: Loans): FinestCell[] => {
  const counts = new Map<string, number>();
  for (const l of loans)
    counts.set(l.cell.join(KEY_SEPARATOR), (counts.get(l.cell.join(KEY_SEPARATOR)) ?? 0) + 1);
  return [...counts].map(([key, n]) => ({ key: key.split(KEY_SEPARATOR), counts: [n] }));
};

const peopleOf = (loans: Loans) => (g: number, key: readonly string[]) => {
  const dims = DIMS.map((_, d) => d).filter((d) => (g >> d) & 1);
  return new Set(
    loans.filter((l) => dims.every((d, i) => l.cell[d] === key[i])).map((l) => l.person),
  ).size;
};

/** Every finest cell of every month, numbered: the attacker's unknowns. */
const GRID: string[][] = VALUES.reduce<string[][]>(
  (acc, values) => acc.flatMap((k) => values.map((v) => [...k, v])),
  [[]],
);
const unknown = (m: number, cell: readonly string[]) =>
  m * GRID.length + GRID.findIndex((c) => c.every((v, i) => v === cell[i]));

/** Every groupBy: each subset of the four dimensions, with and without MONTH. */
const GROUP_BYS: string[][] = [...DIMS, MONTH_DIMENSION].reduce<string[][]>(
  (acc, d) => acc.flatMap((s) => [s, [...s, d]]),
  [[]],
);
/** The ranges asked: each month alone and the two together. */
const RANGES = process.env.RANGES
  ? (JSON.parse(process.env.RANGES) as number[][])
  : [[0], [1], [0, 1]];

/** The unknowns a group of an answer sums: finest cells of its months matching its key. */
function varsOf(range: number[], groupBy: readonly string[], key: readonly string[]): number[] {
  const vars: number[] = [];
  for (const m of range) {
    if (groupBy.includes(MONTH_DIMENSION) && key[groupBy.indexOf(MONTH_DIMENSION)] !== MONTHS[m])
      continue;
    for (const cell of GRID) {
      if (groupBy.every((d, i) => d === MONTH_DIMENSION || cell[DIMS.indexOf(d)] === key[i]))
        vars.push(unknown(m, cell));
    }
  }
  return vars;
}

/** Every key a groupBy can take over a range (for the groups an answer leaves out: those are 0). */
function allKeys(range: number[], groupBy: readonly string[]): string[][] {
  return groupBy.reduce<string[][]>(
    (acc, d) =>
      acc.flatMap((k) =>
        (d === MONTH_DIMENSION ? range.map((m) => MONTHS[m]!) : VALUES[DIMS.indexOf(d)]!).map(
          (v) => [...k, v],
        ),
      ),
    [[]],
  );
}

interface Group {
  key: readonly string[];
  counts: readonly number[];
  suppressed: boolean;
}

/** An answer's numbers as equations (published), targets (suppressed) and zeros (absent groups). */
function record(
  range: number[],
  groupBy: readonly string[],
  groups: { dims: readonly string[]; list: readonly Group[] }[],
  published: Sum[],
  suppressed: Sum[],
) {
  for (const { dims, list } of groups) {
    const listed = new Set(list.map((g) => g.key.join('|')));
    for (const g of list) {
      const sum = {
        label: `${range.map((m) => MONTHS[m]).join('..')} ${dims.join('x')}=${g.key.join('|')}`,
        vars: varsOf(range, dims, g.key),
        value: g.counts[0]!,
      };
      (g.suppressed ? suppressed : published).push(sum);
    }
    for (const key of allKeys(range, dims))
      if (!listed.has(key.join('|')))
        published.push({
          label: `absent ${dims.join('x')}=${key.join('|')}`,
          vars: varsOf(range, dims, key),
          value: 0,
        });
  }
  void groupBy;
}

const monthsData = [month(11, 90), month(12, 85)];

describe('differencing every grouping and adjacent months', () => {
  it('recovers suppressed cells from answers protected one by one (the attack works)', () => {
    const published: Sum[] = [];
    const suppressed: Sum[] = [];
    for (const range of RANGES) {
      const loans = range.flatMap((m) =>
        monthsData[m]!.map((l) => ({
          ...l,
          cell: [...l.cell, MONTHS[m]!],
          person: l.person + m * 1000,
        })),
      );
      for (const groupBy of GROUP_BYS) {
        const index = groupBy.map((d) => (d === MONTH_DIMENSION ? 4 : DIMS.indexOf(d)));
        const groupOf = (dims: number[]): StatsGroup[] => {
          const map = new Map<string, { n: number; people: Set<number> }>();
          for (const l of loans) {
            const key = dims.map((d) => l.cell[d]!).join('|');
            const g = map.get(key) ?? { n: 0, people: new Set<number>() };
            g.n += 1;
            g.people.add(l.person);
            map.set(key, g);
          }
          return [...map].map(([key, g]) => ({
            key: key === '' ? [] : key.split('|'),
            counts: [g.n],
            people: g.people.size,
          }));
        };
        const table = suppress(
          {
            dimensions: groupBy.length,
            cells: groupBy.length ? groupOf(index) : [],
            margins: groupBy.length >= 2 ? index.map((d) => groupOf([d])) : [],
            total: groupOf([])[0]!,
          },
          K,
        );
        record(
          range,
          groupBy,
          [
            ...(groupBy.length ? [{ dims: groupBy, list: table.cells }] : []),
            ...(groupBy.length >= 2
              ? groupBy.map((d, i) => ({ dims: [d], list: table.margins[i]! }))
              : []),
            { dims: [], list: [table.total] },
          ],
          published,
          suppressed,
        );
      }
    }
    const found = recovered(GRID.length * MONTHS.length, published, suppressed);
    expect(suppressed.length).toBeGreaterThan(0);
    expect(found.length).toBeGreaterThan(0);
  });

  it('recovers nothing from answers drawn from protected releases', () => {
    const releases: MonthRelease[] = monthsData.map((loans, m) => ({
      month: MONTHS[m]!,
      cells: protectMonth(
        { dimensions: 4, cells: cellsOf(loans), metrics: 1, people: peopleOf(loans) },
        K,
      ).map((c) => ({
        grouping: c.grouping,
        key: c.key.join(KEY_SEPARATOR),
        counts: c.counts,
        people: c.people,
        suppressed: c.suppressed,
        moe: null,
      })),
    }));
    const published: Sum[] = [];
    const suppressed: Sum[] = [];
    for (const range of RANGES) {
      for (const groupBy of GROUP_BYS) {
        const answer = combine(
          range.map((m) => releases[m]!),
          groupBy,
          DIMS,
          1,
        );
        record(
          range,
          groupBy,
          [
            ...(groupBy.length ? [{ dims: groupBy, list: answer.cells }] : []),
            ...answer.margins.map((list, i) => ({ dims: [groupBy[i]!], list })),
            { dims: [], list: [answer.total] },
          ],
          published,
          suppressed,
        );
      }
    }
    expect(suppressed.length).toBeGreaterThan(50);
    expect(
      published.filter((s) => !s.label.startsWith('absent') && s.value > 0).length,
    ).toBeGreaterThan(100);
    expect(
      recovered(GRID.length * MONTHS.length, published, suppressed).map((s) => s.label),
    ).toEqual([]);
  });

  it('every published number of a release stands for at least k people', () => {
    for (const loans of monthsData) {
      const released = protectMonth(
        { dimensions: 4, cells: cellsOf(loans), metrics: 1, people: peopleOf(loans) },
        K,
      );
      for (const c of released)
        if (!c.suppressed && c.counts[0]! > 0) expect(c.people).toBeGreaterThanOrEqual(K);
    }
  });
});
