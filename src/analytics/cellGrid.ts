import type { Shift } from './shift.js';

/**
 * The cells of a table numbered by their coordinates (mixed radix over each dimension's sorted
 * values), so that the millions of corners a suppression search can try cost no strings. Shared
 * by the suppression of one table (suppression.ts) and of a month's every grouping (release).
 */
export class CellGrid {
  /** Each dimension's values, sorted. */
  readonly domain: string[][];
  /** Each dimension's value -> its position in `domain`. */
  readonly position: Map<string, number>[];
  /** How far one step along each dimension moves a cell's number. */
  readonly stride: number[];

  /** The grid of `n` dimensions over the values the `keys` take on each. */
  constructor(
    readonly n: number,
    keys: readonly (readonly string[])[],
  ) {
    this.domain = Array.from({ length: n }, (_, d) => [...new Set(keys.map((k) => k[d]!))].sort());
    this.position = this.domain.map((values) => new Map(values.map((v, i) => [v, i])));
    this.stride = [];
    let stride = 1;
    for (let d = 0; d < n; d++) {
      this.stride.push(stride);
      stride *= Math.max(1, this.domain[d]!.length);
    }
  }

  /** The number of the cell at `key` (a value on every dimension). */
  number(key: readonly string[]): number {
    let id = 0;
    for (let d = 0; d < this.n; d++) id += this.position[d]!.get(key[d]!)! * this.stride[d]!;
    return id;
  }

  /** The position of cell `id` on dimension `d`. */
  coordinate(id: number, d: number): number {
    return Math.floor(id / this.stride[d]!) % this.domain[d]!.length;
  }

  /** Cell `id` moved to position `to` on dimension `d`. */
  moved(id: number, d: number, to: number): number {
    return id + (to - this.coordinate(id, d)) * this.stride[d]!;
  }

  /** Every pair of cell `p` with another cell on its line along dimension `d`: +1 on p, -1 on the other. */
  *pairsAlong(p: number, d: number): Generator<Shift> {
    const here = this.coordinate(p, d);
    for (let to = 0; to < this.domain[d]!.length; to++) {
      if (to !== here)
        yield [
          { cell: p, sign: 1 },
          { cell: this.moved(p, d, to), sign: -1 },
        ];
    }
  }

  /**
   * Every hypercube with corner `p` over the dimensions `dims`: for each, one of its `alternatives`
   * (positions, by index in `dims`), and the 2^|dims| cells taking p's or the alternative position
   * on each, +1 on corners with an even number of alternatives and -1 on the others. Every line
   * through a corner along those dimensions meets one other corner, of opposite sign.
   */
  *hypercubes(
    p: number,
    dims: readonly number[],
    alternatives: readonly (readonly number[])[],
  ): Generator<Shift> {
    const choice = new Array<number>(dims.length).fill(0);
    for (;;) {
      const shift: Shift = [];
      for (let mask = 0; mask < 1 << dims.length; mask++) {
        let cell = p;
        let odd = 0;
        dims.forEach((d, i) => {
          if ((mask >> i) & 1) {
            cell = this.moved(cell, d, alternatives[i]![choice[i]!]!);
            odd ^= 1;
          }
        });
        shift.push({ cell, sign: odd ? -1 : 1 });
      }
      yield shift;
      let i = 0;
      while (i < dims.length && ++choice[i]! >= alternatives[i]!.length) choice[i++] = 0;
      if (i === dims.length) return;
    }
  }
}
