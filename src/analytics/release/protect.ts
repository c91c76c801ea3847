/**
 * Suppression of one month's release over every grouping at once.
 *
 * A release holds the month's cells at the finest grain (n dimensions) and, for each of the 2^n
 * groupings (subsets of the dimensions, the empty one being the total), the sums of those cells.
 * Statistics answer any grouping, margin and total of any range of months from these values
 * alone, so the attacker sees them all at once and may difference any against any other.
 *
 * The argument is the one of src/analytics/suppression.ts, lifted to all groupings: a shift adds
 * +1 and -1 to some finest cells; if every grouping cell whose sum it changes is suppressed, and
 * no count it lowers goes below 0, the shifted month agrees with every published number of every
 * grouping (and of every range, which only adds months) while the suppressed values differ.
 * So each suppressed value gets such a shift:
 * 1. Primary: every grouping cell standing for fewer than k distinct people. When the month's
 *    total does, everything is suppressed.
 * 2. A primary cell c of grouping G gets a hypercube over G's dimensions: a finest cell p inside
 *    c, one other value per dimension of G, and the 2^|G| finest cells that take p's or the
 *    other value on each, signed by parity. It changes the cells of the groupings that contain
 *    all of G (c among them) and no other: every other grouping folds each corner onto one of
 *    opposite sign. The feasible one hiding the least is applied; failing that a pair along one
 *    dimension of G, failing that p alone.
 * The effects of every shift are computed on all groupings, never assumed, and all are suppressed.
 * Distinct people are not additive; they are published and suppressed with the counts.
 */

import { CellGrid } from '../cellGrid.js';
import { cheapest, isFeasible, type Shift } from '../shift.js';

/** One finest cell of a month: its value on each dimension and its additive counts. */
export interface FinestCell {
  key: readonly string[];
  counts: readonly number[];
}

/** A month at the finest grain, with distinct people per grouping cell. */
export interface MonthCells {
  dimensions: number;
  cells: readonly FinestCell[];
  /** How many counts each cell has (checkouts; registrations and attended). */
  metrics: number;
  /**
   * Distinct people of a grouping cell: `grouping` is a bitmask of dimensions, `key` the cell's
   * values on them in dimension order. 0 for a cell nobody is known in.
   */
  people(grouping: number, key: readonly string[]): number;
  /**
   * Whether an earlier version of the month hid this grouping cell (a correction): such a cell is
   * hidden again, protected like a primary one, so versions side by side reveal nothing either hid.
   */
  hiddenBefore?: ((grouping: number, key: readonly string[]) => boolean) | undefined;
}

/** One cell of one grouping as released. */
export interface ReleasedCell {
  grouping: number;
  key: string[];
  counts: number[];
  people: number;
  suppressed: boolean;
}

/** How many shifts are tried per primary cell. */
const SEARCH_BUDGET = 640;

/** Suppresses a month's cells in every grouping for threshold k; returns every grouping's cells. */
export function protectMonth(month: MonthCells, k: number): ReleasedCell[] {
  return new MonthProtection(month, k).run();
}

/** The bitmask of every grouping of `n` dimensions, finest last. */
export const groupings = (n: number): number[] => Array.from({ length: 1 << n }, (_, g) => g);

/** The dimensions of grouping `g`, in order. */
export const dimensionsOf = (g: number, n: number): number[] =>
  Array.from({ length: n }, (_, d) => d).filter((d) => (g >> d) & 1);

class MonthProtection {
  readonly n: number;
  /** The month's finest cells, numbered by their coordinates. */
  readonly grid: CellGrid;
  readonly finest = new Map<number, readonly number[]>();
  readonly zero: number[];
  /** Per grouping: projected cell id -> summed counts. */
  readonly sums: Map<number, number[]>[];
  readonly hidden: Set<number>[];
  readonly covered: Set<number>[];
  /** Per grouping, once asked: each grouping cell's nonempty finest cells, most first (`inside`). */
  readonly within: (Map<number, number[]> | undefined)[] = [];

  constructor(
    readonly month: MonthCells,
    readonly k: number,
  ) {
    this.n = month.dimensions;
    this.zero = new Array<number>(month.metrics).fill(0);
    this.grid = new CellGrid(
      this.n,
      month.cells.map((c) => c.key),
    );
    for (const c of month.cells) {
      const id = this.grid.number(c.key);
      const prior = this.finest.get(id);
      this.finest.set(id, prior ? prior.map((v, m) => v + c.counts[m]!) : c.counts);
    }
    this.sums = groupings(this.n).map(() => new Map());
    for (const [id, counts] of this.finest) {
      for (let g = 0; g < 1 << this.n; g++) {
        const at = this.project(id, g);
        const sum = this.sums[g]!.get(at);
        if (sum) counts.forEach((v, m) => (sum[m]! += v));
        else this.sums[g]!.set(at, [...counts]);
      }
    }
    this.hidden = groupings(this.n).map(() => new Set());
    this.covered = groupings(this.n).map(() => new Set());
  }

  /** The id, within grouping g, of the cell that finest cell `id` falls in (non-g coordinates zeroed). */
  project(id: number, g: number): number {
    const { stride, domain } = this.grid;
    let at = 0;
    for (let d = 0; d < this.n; d++)
      if ((g >> d) & 1) at += (Math.floor(id / stride[d]!) % domain[d]!.length) * stride[d]!;
    return at;
  }

  keyOf(at: number, g: number): string[] {
    return dimensionsOf(g, this.n).map((d) => this.grid.domain[d]![this.grid.coordinate(at, d)]!);
  }

  counts(id: number): readonly number[] {
    return this.finest.get(id) ?? this.zero;
  }

  value(g: number, at: number): number {
    return this.sums[g]!.get(at)?.[0] ?? 0;
  }

  run(): ReleasedCell[] {
    const n = this.n;
    const all = 1 << n;
    const total = this.sums[0]!.get(0);
    const empty = this.finest.size === 0;
    const before = this.month.hiddenBefore ?? (() => false);
    if (!empty && (this.month.people(0, []) < this.k || before(0, []))) return this.publish(true);
    const primaries: [number, number][] = [];
    for (let g = all - 1; g >= 1; g--) {
      for (const at of [...this.sums[g]!.keys()].sort((a, b) => a - b)) {
        const key = this.keyOf(at, g);
        if (this.month.people(g, key) < this.k || before(g, key)) {
          this.hidden[g]!.add(at);
          primaries.push([g, at]);
        }
      }
    }
    void total;
    for (const [g, at] of primaries) {
      if (this.covered[g]!.has(at)) continue;
      this.apply(this.hypercube(g, at) ?? this.cheapest(this.pairs(g, at)) ?? this.single(g, at));
    }
    return this.publish(false);
  }

  /** The grouping cells a shift changes: per grouping, the projected ids whose sum moves. */
  effects(shift: Shift): [number, number][] {
    const out: [number, number][] = [];
    const at: number[] = [];
    const net: number[] = [];
    for (let g = 0; g < 1 << this.n; g++) {
      at.length = 0;
      net.length = 0;
      for (const { cell, sign } of shift) {
        const id = this.project(cell, g);
        const i = at.indexOf(id);
        if (i < 0) {
          at.push(id);
          net.push(sign);
        } else net[i]! += sign;
      }
      for (let i = 0; i < at.length; i++) if (net[i] !== 0) out.push([g, at[i]!]);
    }
    return out;
  }

  cost(shift: Shift): number {
    let cost = 0;
    for (const [g, at] of this.effects(shift))
      if (!this.hidden[g]!.has(at)) cost += this.value(g, at) + 1 + (g === 0 ? 1e9 : 0);
    return cost;
  }

  feasible(shift: Shift): boolean {
    return isFeasible(shift, this.month.metrics, (cell) => this.counts(cell));
  }

  cheapest(shifts: Iterable<Shift>): Shift | null {
    return cheapest(
      shifts,
      (shift) => this.feasible(shift),
      (shift) => this.cost(shift),
    );
  }

  apply(shift: Shift): void {
    for (const [g, at] of this.effects(shift)) {
      this.hidden[g]!.add(at);
      this.covered[g]!.add(at);
    }
  }

  /** The finest cells inside grouping cell (g, at) that hold something, most first: candidate corners. */
  inside(g: number, at: number): number[] {
    let cells = this.within[g];
    if (!cells) {
      // Every grouping cell's finest cells at once, the first time grouping g needs them.
      cells = this.within[g] = new Map();
      for (const id of this.finest.keys()) {
        const cell = this.project(id, g);
        const found = cells.get(cell);
        if (found) found.push(id);
        else cells.set(cell, [id]);
      }
      for (const found of cells.values())
        found.sort((a, b) => this.counts(b)[0]! - this.counts(a)[0]! || a - b);
    }
    return cells.get(at) ?? [];
  }

  /** The cheapest feasible hypercube over g's dimensions through a finest cell of (g, at). */
  hypercube(g: number, at: number): Shift | null {
    const dims = dimensionsOf(g, this.n);
    const bases = this.inside(g, at).slice(0, 4);
    const width = Math.max(
      1,
      Math.floor((SEARCH_BUDGET / Math.max(1, bases.length)) ** (1 / dims.length)),
    );
    const shifts: Shift[] = [];
    for (const p of bases) {
      const alternatives = dims.map((d) => {
        const here = this.grid.coordinate(p, d);
        // Nonempty neighbours first (a hypercube is feasible only if the corners it lowers hold
        // something), then those hidden already, then the smallest.
        const rank = (to: number) => {
          const other = this.grid.moved(p, d, to);
          const n = this.counts(other)[0]!;
          return (n === 0 ? 1e6 : 0) + (this.hidden[(1 << this.n) - 1]!.has(other) ? 0 : n + 1);
        };
        return this.grid.domain[d]!.map((_, to) => to)
          .filter((to) => to !== here)
          .sort((a, b) => rank(a) - rank(b) || a - b)
          .slice(0, width);
      });
      if (alternatives.some((a) => a.length === 0)) return null;
      shifts.push(...this.grid.hypercubes(p, dims, alternatives));
    }
    return this.cheapest(shifts);
  }

  /** Pairs through a finest cell of (g, at) along one of g's dimensions. */
  *pairs(g: number, at: number): Generator<Shift> {
    for (const p of this.inside(g, at).slice(0, 4))
      for (const d of dimensionsOf(g, this.n)) yield* this.grid.pairsAlong(p, d);
  }

  /** The last resort: one finest cell of (g, at) alone (it changes the total too). */
  single(g: number, at: number): Shift {
    return [{ cell: this.inside(g, at)[0]!, sign: 1 }];
  }

  publish(all: boolean): ReleasedCell[] {
    const out: ReleasedCell[] = [];
    for (let g = 0; g < 1 << this.n; g++) {
      const ids = new Set([...this.sums[g]!.keys(), ...(all ? [] : this.hidden[g]!)]);
      if (g === 0) ids.add(0);
      for (const at of [...ids].sort((a, b) => a - b)) {
        const key = this.keyOf(at, g);
        out.push({
          grouping: g,
          key,
          counts: this.sums[g]!.get(at) ?? [...this.zero],
          people: this.month.people(g, key),
          suppressed: all || this.hidden[g]!.has(at),
        });
      }
    }
    return out;
  }
}
