/**
 * Released cells held in memory, compactly, for answering: a release never changes, so its cells
 * are read once and kept as typed arrays with each dimension's values coded as integers, and an
 * answer sums them with integer group keys instead of splitting and joining strings per cell.
 * It answers exactly as the summing of combine.ts is specified: the same groups, values, order.
 */
import { KEY_SEPARATOR } from './tables.js';

/** The pseudo-dimension of the month, which releases do not hold: each release is one month. */
export const MONTH_DIMENSION = 'MONTH';

/** A group of an answer: its values, counts, people (null when it spans months), margins of error. */
export interface AnswerGroup {
  key: string[];
  counts: number[];
  people: number | null;
  suppressed: boolean;
  moe: number[] | null;
}

/** An answer before it is shaped for the schema. */
export interface AnswerTable {
  cells: AnswerGroup[];
  margins: AnswerGroup[][];
  total: AnswerGroup;
}

/** One released cell as stored (a row of `stats_release_cells`, without its release id). */
export interface StoredRow {
  grouping: number;
  key: string;
  c0: number;
  c1: number | null;
  people: number | null;
  suppressed: number | boolean;
  moe0: number | null;
  moe1: number | null;
  moe_people: number | null;
}

/** The grouping bitmask of `dims` (names of release dimensions; MONTH is left out). */
export const groupingOf = (dims: readonly string[], releaseDimensions: readonly string[]): number =>
  dims.reduce((g, d) => (d === MONTH_DIMENSION ? g : g | (1 << releaseDimensions.indexOf(d))), 0);

/** The number of set bits of a grouping: how many dimensions it groups by. */
const width = (g: number): number => {
  let n = 0;
  for (let x = g; x; x &= x - 1) n++;
  return n;
};

/** The values one dimension takes, each coded by an integer; ranks give the values' string order. */
class Dictionary {
  readonly values: string[] = [];
  readonly #codes = new Map<string, number>();
  #ranks: Int32Array | null = null;

  code(value: string): number {
    let code = this.#codes.get(value);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.#codes.set(value, code);
      this.#ranks = null;
    }
    return code;
  }

  /** Per code, the position of its value among all values in string order (code units, as `<`). */
  ranks(): Int32Array {
    if (this.#ranks) return this.#ranks;
    const order = this.values
      .map((_, c) => c)
      .sort((a, b) =>
        this.values[a]! < this.values[b]! ? -1 : this.values[a]! > this.values[b]! ? 1 : 0,
      );
    const ranks = new Int32Array(order.length);
    order.forEach((c, r) => (ranks[c] = r));
    return (this.#ranks = ranks);
  }
}

/** The cells of one grouping of one release, column by column. */
interface GroupingColumns {
  size: number;
  /** Value codes of the grouping's dimensions, `width` per cell, in release-dimension order. */
  codes: Int32Array;
  /** `metrics` per cell; NaN where a count is not stored. */
  counts: Float64Array;
  /** NaN where not released. */
  people: Float64Array;
  suppressed: Uint8Array;
  /** Margins of error of the counts and of people, 3 per cell (NaN first: none); null when no cell has any. */
  moe: Float64Array | null;
}

/** One month's release in memory. */
export interface IndexedRelease {
  id: string;
  month: string;
  /** Per grouping bitmask. */
  groupings: GroupingColumns[];
  /** How many cells it holds. */
  cells: number;
}

const EMPTY: GroupingColumns = {
  size: 0,
  codes: new Int32Array(0),
  counts: new Float64Array(0),
  people: new Float64Array(0),
  suppressed: new Uint8Array(0),
  moe: null,
};

/** Above this many possible groups, groups are found through a map instead of a dense table. */
const DENSE_LIMIT = 1 << 20;

/**
 * The releases of one scope of one database, indexed: value dictionaries shared by all its
 * releases, so that months combine by integer keys.
 */
export class ReleaseIndex {
  readonly dictionaries: Dictionary[];

  constructor(
    readonly dimensions: readonly string[],
    readonly metrics: number,
  ) {
    this.dictionaries = dimensions.map(() => new Dictionary());
  }

  /** Indexes the stored cells of one release. */
  index(id: string, month: string, rows: readonly StoredRow[]): IndexedRelease {
    const n = this.dimensions.length;
    const sizes = new Array<number>(1 << n).fill(0);
    let withMoe = false;
    for (const r of rows) {
      if (r.grouping < 0 || r.grouping >= 1 << n)
        throw new Error(`release ${id}: grouping ${r.grouping} out of range`);
      sizes[r.grouping]! += 1;
      if (r.moe0 !== null) withMoe = true;
    }
    const groupings = sizes.map((size, g): GroupingColumns =>
      size === 0
        ? EMPTY
        : {
            size: 0,
            codes: new Int32Array(size * width(g)),
            counts: new Float64Array(size * this.metrics),
            people: new Float64Array(size),
            suppressed: new Uint8Array(size),
            moe: withMoe ? new Float64Array(size * 3) : null,
          },
    );
    for (const r of rows) {
      const columns = groupings[r.grouping]!;
      const j = columns.size++;
      const w = width(r.grouping);
      if (w > 0) {
        const parts = r.key.split(KEY_SEPARATOR);
        if (parts.length !== w)
          throw new Error(
            `release ${id}: key of grouping ${r.grouping} has ${parts.length} values, not ${w}`,
          );
        let i = 0;
        for (let d = 0; d < n; d++)
          if ((r.grouping >> d) & 1)
            columns.codes[j * w + i] = this.dictionaries[d]!.code(parts[i++]!);
      }
      columns.counts[j * this.metrics] = r.c0;
      for (let m = 1; m < this.metrics; m++)
        columns.counts[j * this.metrics + m] = m === 1 && r.c1 !== null ? r.c1 : NaN;
      columns.people[j] = r.people ?? NaN;
      columns.suppressed[j] = r.suppressed ? 1 : 0;
      if (columns.moe) {
        columns.moe[j * 3] = r.moe0 ?? NaN;
        columns.moe[j * 3 + 1] = r.moe1 ?? 0;
        columns.moe[j * 3 + 2] = r.moe_people ?? 0;
      }
    }
    return { id, month, groupings, cells: rows.length };
  }

  /**
   * Sums released cells over months into the groups of `groupBy` (release dimensions and MONTH,
   * in the caller's order), with a margin per dimension when there are two or more and the total.
   * A group is suppressed when any month's part of it is: then it says nothing a month's release
   * did not, so no range of months can be differenced against another to reopen a suppressed
   * cell. A missing cell of a month is a published 0. Distinct people do not add up across months
   * (each month's tally had its own key), so a group drawing on more than one month has none.
   * Margins of error add in quadrature (independent noise). With `dropWithinMargin`, a group of
   * the cells (not of the margins, not the total) whose first count is not above its margin of
   * error (0 without one) is left out.
   */
  combine(
    releases: readonly IndexedRelease[],
    groupBy: readonly string[],
    options: { dropWithinMargin?: boolean } = {},
  ): AnswerTable {
    const months = [...new Set(releases.map((r) => r.month))].sort();
    const monthRank = new Map(months.map((m, i) => [m, i]));
    const totals = this.table(releases, [], months, monthRank);
    return {
      cells:
        groupBy.length === 0
          ? []
          : this.table(releases, groupBy, months, monthRank, options.dropWithinMargin ?? false),
      margins:
        groupBy.length >= 2 ? groupBy.map((d) => this.table(releases, [d], months, monthRank)) : [],
      total: totals[0] ?? {
        key: [],
        counts: new Array<number>(this.metrics).fill(0),
        people: 0,
        suppressed: false,
        moe: null,
      },
    };
  }

  /** The groups of one grouping (release dimensions and MONTH), in the string order of their keys. */
  private table(
    releases: readonly IndexedRelease[],
    dims: readonly string[],
    months: readonly string[],
    monthRank: ReadonlyMap<string, number>,
    dropWithinMargin = false,
  ): AnswerGroup[] {
    const n = this.dimensions.length;
    const metrics = this.metrics;
    const g = groupingOf(dims, this.dimensions);
    const w = width(g);
    const inRelease: number[] = [];
    for (let d = 0; d < n; d++) if ((g >> d) & 1) inRelease.push(d);
    // Per position of the answer's key: where its value sits in a cell's codes (-1: the month),
    // how its codes rank, how many values it can take, and its weight in the group's number.
    const at = dims.map((d) =>
      d === MONTH_DIMENSION ? -1 : inRelease.indexOf(this.dimensions.indexOf(d)),
    );
    const ranks = at.map((i) => (i === -1 ? null : this.dictionaries[inRelease[i]!]!.ranks()));
    const radix = at.map((i) =>
      i === -1 ? months.length : this.dictionaries[inRelease[i]!]!.values.length,
    );
    const weight = new Array<number>(at.length).fill(1);
    for (let p = at.length - 2; p >= 0; p--)
      weight[p] = weight[p + 1]! * Math.max(1, radix[p + 1]!);
    const space = at.length === 0 ? 1 : weight[0]! * Math.max(1, radix[0]!);
    if (!Number.isSafeInteger(space))
      throw new Error(`grouping by ${dims.join(', ')} has too many possible groups`);

    let capacity = 0;
    for (const r of releases) capacity += r.groupings[g]?.size ?? 0;
    // Group state, one slot per group, in order of first appearance.
    const sums = new Float64Array(capacity * metrics);
    const people = new Float64Array(capacity);
    const spans = new Uint32Array(capacity);
    const suppressed = new Uint8Array(capacity);
    const variance = new Float64Array(capacity * 3);
    const hasVariance = new Uint8Array(capacity);
    const numbers = new Float64Array(capacity);
    const firstRelease = new Int32Array(capacity);
    const firstCell = new Int32Array(capacity);
    let slots = 0;
    const dense = space <= DENSE_LIMIT ? new Int32Array(space).fill(-1) : null;
    const sparse = dense ? null : new Map<number, number>();

    releases.forEach((release, ri) => {
      const columns = release.groupings[g];
      if (!columns || columns.size === 0) return;
      const monthPart = monthRank.get(release.month)!;
      const { codes, counts, moe } = columns;
      for (let j = 0; j < columns.size; j++) {
        let number = 0;
        for (let p = 0; p < at.length; p++)
          number += (at[p] === -1 ? monthPart : ranks[p]![codes[j * w + at[p]!]!]!) * weight[p]!;
        let slot = dense ? dense[number]! : (sparse!.get(number) ?? -1);
        const cellMoe = moe !== null && !Number.isNaN(moe[j * 3]!);
        if (slot === -1) {
          slot = slots++;
          if (dense) dense[number] = slot;
          else sparse!.set(number, slot);
          numbers[slot] = number;
          firstRelease[slot] = ri;
          firstCell[slot] = j;
          for (let m = 0; m < metrics; m++) sums[slot * metrics + m] = counts[j * metrics + m]!;
          people[slot] = columns.people[j]!;
          spans[slot] = 1;
          suppressed[slot] = columns.suppressed[j]!;
          if (cellMoe) {
            hasVariance[slot] = 1;
            for (let i = 0; i < 3; i++) variance[slot * 3 + i] = moe[j * 3 + i]! * moe[j * 3 + i]!;
          }
          continue;
        }
        for (let m = 0; m < metrics; m++) sums[slot * metrics + m]! += counts[j * metrics + m]!;
        suppressed[slot]! |= columns.suppressed[j]!;
        spans[slot]! += 1;
        if (hasVariance[slot] && cellMoe)
          for (let i = 0; i < 3; i++) variance[slot * 3 + i]! += moe[j * 3 + i]! * moe[j * 3 + i]!;
      }
    });

    // Slots in order of their group numbers, which is the string order of their joined keys: ranks
    // follow string order, and U+001F sorts below every character a value holds.
    let order: Int32Array;
    if (dense) {
      order = new Int32Array(slots);
      let o = 0;
      for (let number = 0; number < space && o < slots; number++)
        if (dense[number] !== -1) order[o++] = dense[number]!;
    } else {
      order = Int32Array.from({ length: slots }, (_, s) => s).sort(
        (a, b) => numbers[a]! - numbers[b]!,
      );
    }
    const values = at.map((i) => (i === -1 ? null : this.dictionaries[inRelease[i]!]!.values));
    const out: AnswerGroup[] = [];
    for (let o = 0; o < order.length; o++) {
      const slot = order[o]!;
      const withMoe = hasVariance[slot] === 1;
      if (
        dropWithinMargin &&
        !(sums[slot * metrics]! > (withMoe ? Math.sqrt(variance[slot * 3]!) : 0))
      )
        continue;
      const release = releases[firstRelease[slot]!]!;
      const codes = release.groupings[g]!.codes;
      const j = firstCell[slot]!;
      const key = new Array<string>(at.length);
      for (let p = 0; p < at.length; p++)
        key[p] = at[p] === -1 ? release.month : values[p]![codes[j * w + at[p]!]!]!;
      const counts: number[] = [];
      for (let m = 0; m < metrics; m++) {
        const value = sums[slot * metrics + m]!;
        if (Number.isNaN(value)) break;
        counts.push(value);
      }
      const p = people[slot]!;
      out.push({
        key,
        counts,
        people: spans[slot]! > 1 || Number.isNaN(p) ? null : p,
        suppressed: suppressed[slot] === 1,
        moe: withMoe
          ? [
              Math.sqrt(variance[slot * 3]!),
              Math.sqrt(variance[slot * 3 + 1]!),
              Math.sqrt(variance[slot * 3 + 2]!),
            ]
          : null,
      });
    }
    return out;
  }
}
