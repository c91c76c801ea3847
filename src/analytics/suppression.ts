/**
 * Small-cell suppression for published statistics, with complementary suppression by the
 * hypercube method (Repsilber; the GHMITER heuristic of tau-Argus), so that no suppressed value
 * can be worked out from what the same table publishes.
 *
 * A table groups rows along n dimensions. It publishes its non-empty cells, for n >= 2 the
 * one-dimension totals (margins) of every dimension, and the grand total; each with additive
 * counts (checkouts, registrations, ...) and the distinct people behind it. An absent cell is 0.
 *
 * The argument is one of shifts. A shift adds +1 to some cells and -1 to others. If every cell,
 * margin and total whose value it changes is suppressed, and no count it lowers goes below 0, the
 * shifted table agrees with every published number as well as the real one does: none of the
 * values it changes can be recovered. So:
 * 1. Primary suppression: every cell or margin standing for fewer than k distinct people. When
 *    the grand total does, everything is suppressed (an empty table, about no one, is published).
 * 2. Each primary cell p not yet covered gets a hypercube: one other value a_d per dimension, and
 *    the 2^n cells whose coordinates are p_d or a_d, +1 on corners with an even number of a's and
 *    -1 on the others. Every line through a corner meets exactly one other corner, of opposite
 *    sign, so the shift changes no margin or total (nor any coarser table of the same range). The
 *    corners it lowers must hold at least 1, per count, in one direction or the other; among the
 *    feasible hypercubes the one hiding the least is chosen, and all its corners are suppressed.
 *    Failing that, a pair along one dimension (hides two margins), failing that p alone (hides
 *    p's margins and the total).
 * 3. Each primary margin (d, v) not yet covered gets a pair: a cell c of that slice and c' = c with
 *    v -> v' (changes margins (d, v) and (d, v') only); failing that, c alone.
 * Every suppressed value then lies on a shift that keeps every published number, so none can be
 * recovered (test/analytics/suppression.test.ts checks this by brute force).
 *
 * Distinct people are not additive, so totals give only inequalities about them; they are
 * suppressed together with the counts and are not part of the argument above.
 */

import { CellGrid } from './cellGrid.js';
import { cheapest, isFeasible, type Shift } from './shift.js';

/** One group of a table: its value on each grouped dimension, its additive counts, its distinct people. */
export interface StatsGroup {
  key: readonly string[];
  counts: readonly number[];
  people: number;
}

/** What a statistics query found, before suppression. */
export interface StatsTable {
  /** How many dimensions the cells are grouped by (0 to 5). */
  dimensions: number;
  /** The non-empty cells; absent ones are 0. */
  cells: readonly StatsGroup[];
  /** margins[d]: the groups of dimension d alone (key of length 1); read when dimensions >= 2. */
  margins: readonly (readonly StatsGroup[])[];
  /** All rows (empty key). */
  total: StatsGroup;
}

/** A group as published: `suppressed` groups must be shown without their counts or people. */
export interface PublishedGroup extends StatsGroup {
  suppressed: boolean;
}

/** The table as it may be published. Cells may include empty ones, suppressed, that hide others. */
export interface PublishedTable {
  cells: PublishedGroup[];
  margins: PublishedGroup[][];
  total: PublishedGroup;
}

/** How many hypercubes are tried per primary cell, spread evenly over the dimensions. */
const SEARCH_BUDGET = 128;
const byKey = (a: StatsGroup, b: StatsGroup): number => {
  for (let i = 0; i < a.key.length; i++) {
    const x = a.key[i]!;
    const y = b.key[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

/** Suppresses `table` for threshold `k` (the fewest distinct people a published number may stand for). */
export function suppress(table: StatsTable, k: number): PublishedTable {
  return new Suppression(table, k).run();
}

/** The search, over the table's cells numbered by their coordinates (CellGrid). */
class Suppression {
  readonly n: number;
  readonly metrics: number;
  readonly grid: CellGrid;
  readonly cells = new Map<number, StatsGroup>();
  readonly zero: number[];
  readonly margins: Map<string, StatsGroup>[];
  readonly hiddenCells = new Set<number>();
  readonly coveredCells = new Set<number>();
  readonly hiddenMargins: Set<string>[];
  readonly coveredMargins: Set<string>[];
  hiddenTotal = false;

  constructor(
    readonly table: StatsTable,
    readonly k: number,
  ) {
    this.n = table.dimensions;
    this.metrics = table.total.counts.length;
    this.zero = new Array<number>(this.metrics).fill(0);
    this.grid = new CellGrid(
      this.n,
      table.cells.map((c) => c.key),
    );
    for (const cell of table.cells) this.cells.set(this.grid.number(cell.key), cell);
    this.margins = Array.from(
      { length: this.n },
      (_, d) => new Map((table.margins[d] ?? []).map((g) => [g.key[0]!, g])),
    );
    this.hiddenMargins = Array.from({ length: this.n }, () => new Set<string>());
    this.coveredMargins = Array.from({ length: this.n }, () => new Set<string>());
  }

  /** The key of cell `id`. */
  key(id: number): string[] {
    return this.grid.domain.map((values, d) => values[this.grid.coordinate(id, d)]!);
  }

  counts(id: number): readonly number[] {
    return this.cells.get(id)?.counts ?? this.zero;
  }

  run(): PublishedTable {
    const { table, k, n } = this;
    // An empty table says nothing about anyone; otherwise a total of fewer than k people hides it all.
    const empty = table.cells.length === 0 && table.total.counts.every((c) => c === 0);
    if (table.total.people < k && !empty) return this.publish(true);
    const primaries = table.cells
      .filter((c) => c.people < k)
      .sort(byKey)
      .map((c) => this.grid.number(c.key));
    for (const id of primaries) this.hiddenCells.add(id);
    const marginsPublished = n >= 2;
    if (marginsPublished) {
      for (let d = 0; d < n; d++)
        for (const [value, g] of this.margins[d]!)
          if (g.people < k) this.hiddenMargins[d]!.add(value);
    }
    for (const id of primaries) {
      if (this.coveredCells.has(id)) continue;
      this.apply(this.hypercube(id) ?? this.cheapest(this.pairs(id)) ?? [{ cell: id, sign: 1 }]);
    }
    for (let d = 0; d < n && marginsPublished; d++) {
      for (const value of [...this.hiddenMargins[d]!].sort()) {
        if (this.coveredMargins[d]!.has(value)) continue;
        const slice = table.cells
          .filter((c) => c.key[d] === value)
          .map((c) => this.grid.number(c.key));
        const pairs = slice.flatMap((id) => [...this.grid.pairsAlong(id, d)]);
        this.apply(this.cheapest(pairs) ?? [{ cell: slice[0]!, sign: 1 }]);
      }
    }
    return this.publish(false);
  }

  /** What a shift changes besides its cells: the margins (when published) and the total whose sums move. */
  effects(shift: Shift): { margins: [number, string][]; total: boolean } {
    const margins: [number, string][] = [];
    if (this.n >= 2) {
      for (let d = 0; d < this.n; d++) {
        const net = new Map<number, number>();
        for (const { cell, sign } of shift) {
          const at = this.grid.coordinate(cell, d);
          net.set(at, (net.get(at) ?? 0) + sign);
        }
        for (const [at, sum] of net) if (sum !== 0) margins.push([d, this.grid.domain[d]![at]!]);
      }
    }
    return { margins, total: shift.reduce((sum, s) => sum + s.sign, 0) !== 0 };
  }

  /** What hiding a cell costs: nothing if hidden already, else its first count plus one. */
  cellCost(id: number): number {
    return this.hiddenCells.has(id) ? 0 : this.counts(id)[0]! + 1;
  }

  /** What a shift would newly hide, weighed by the first count (plus one per number hidden). */
  cost(shift: Shift, balanced = false): number {
    let cost = 0;
    for (const { cell } of shift) cost += this.cellCost(cell);
    if (balanced) return cost;
    const { margins, total } = this.effects(shift);
    for (const [d, value] of margins)
      if (!this.hiddenMargins[d]!.has(value))
        cost += (this.margins[d]!.get(value)?.counts[0] ?? 0) + 1;
    if (total && !this.hiddenTotal) cost += this.table.total.counts[0]! + 1;
    return cost;
  }

  /** Whether, count by count, the shift or its opposite lowers only cells holding at least 1. */
  feasible(shift: Shift): boolean {
    return isFeasible(shift, this.metrics, (cell) => this.counts(cell));
  }

  /** The feasible shift that hides the least, or null. `balanced` shifts change no total. */
  cheapest(shifts: Iterable<Shift>, balanced = false): Shift | null {
    return cheapest(
      shifts,
      (shift) => this.feasible(shift),
      (shift) => this.cost(shift, balanced),
    );
  }

  /** Hides everything a shift changes, and records it as covered. */
  apply(shift: Shift): void {
    for (const { cell } of shift) {
      this.hiddenCells.add(cell);
      this.coveredCells.add(cell);
    }
    const { margins, total } = this.effects(shift);
    for (const [d, value] of margins) {
      this.hiddenMargins[d]!.add(value);
      this.coveredMargins[d]!.add(value);
    }
    if (total) this.hiddenTotal = true;
  }

  /** The cheapest feasible hypercube with corner `p`, among the most promising alternatives. */
  hypercube(p: number): Shift | null {
    const { n } = this;
    const width = Math.max(1, Math.floor(SEARCH_BUDGET ** (1 / n)));
    const alternatives = this.grid.domain.map((values, d) => {
      const here = this.grid.coordinate(p, d);
      const rank = (at: number) => {
        const neighbour = this.grid.moved(p, d, at);
        return this.cellCost(neighbour) + (this.counts(neighbour)[0] === 0 ? 0.5 : 0);
      };
      return values
        .map((_, at) => at)
        .filter((at) => at !== here)
        .map((at) => ({ at, rank: rank(at) }))
        .sort((a, b) => a.rank - b.rank || a.at - b.at)
        .slice(0, width)
        .map((a) => a.at);
    });
    if (alternatives.some((a) => a.length === 0)) return null;
    const every = Array.from({ length: n }, (_, d) => d);
    return this.cheapest(this.grid.hypercubes(p, every, alternatives), true);
  }

  /** Every pair of `p` with another cell on one line through it, along any dimension. */
  *pairs(p: number): Generator<Shift> {
    for (let d = 0; d < this.n; d++) yield* this.grid.pairsAlong(p, d);
  }

  /** The published table: as decided, or (`all`) with every number suppressed. */
  publish(all: boolean): PublishedTable {
    const listed: StatsGroup[] = [...this.table.cells];
    if (!all) {
      for (const id of this.hiddenCells)
        if (!this.cells.has(id)) listed.push({ key: this.key(id), counts: this.zero, people: 0 });
    }
    const cells = listed
      .sort(byKey)
      .map((c) => ({ ...c, suppressed: all || this.hiddenCells.has(this.grid.number(c.key)) }));
    const margins =
      this.n >= 2
        ? this.margins.map((m, d) =>
            [...m.values()]
              .sort(byKey)
              .map((g) => ({ ...g, suppressed: all || this.hiddenMargins[d]!.has(g.key[0]!) })),
          )
        : [];
    return { cells, margins, total: { ...this.table.total, suppressed: all || this.hiddenTotal } };
  }
}
