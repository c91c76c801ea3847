/**
 * The differentially private release of a month: counts with calibrated discrete Laplace noise
 * instead of suppression, so small groups are published (noisy) instead of hidden.
 *
 * - Contribution bound: each person counts for at most `contribution` rows of the month (their
 *   first ones in a random but fixed order: the tally's row digests); rows beyond are dropped, and
 *   rows whose person was never tallied are left out (their bound cannot be enforced).
 * - Mechanism: every cell of every grouping, over the full public domain of each dimension (empty
 *   cells too, or their absence would tell), gets discrete Laplace noise of scale
 *   t = contribution / epsilon_g: adding or removing one person changes each grouping's table by
 *   at most `contribution` in L1, so grouping g costs epsilon_g, and the tables compose
 *   sequentially: the epsilon_g add up to epsilon (Geng & Viswanath's geometric mechanism; the
 *   calibration is the one OpenDP's discrete Laplace uses, d_out = d_in / scale). The budget
 *   favours the groupings analysts read most: each single dimension weighs 2, the total and each
 *   pair 1, finer groupings 0.5.
 * - The noise of a cell is drawn from HMAC-SHA-256 under a random key that exists only while the
 *   release is computed, over the release id, grouping, cell and count: the stored value is fixed
 *   (asking again gives the same value) and no one can recompute the noise to subtract it.
 * - Each value carries the half-width of its 95% interval: P(|X| >= a) = 2 p^a / (1 + p) for
 *   p = exp(-1/t), so a = t ln(2 / (0.05 (1 + p))).
 * Distinct people are not released in this mode.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { dimensionsOf, groupings, type ReleasedCell } from './protect.js';
import { KEY_SEPARATOR } from './tables.js';

/** The privacy parameters of a DP release. */
export interface DpParameters {
  /** Privacy loss per person and month, over everything the month's release publishes. */
  epsilon: number;
  /** The most rows (checkouts, registrations) one person counts for in a month. */
  contribution: number;
}

/** One tallied row of the month: its finest cell and its person. */
export interface TalliedRow {
  row: string;
  cell: string;
  digest: string;
}

/** A released cell with its margin of error. */
export interface NoisyCell extends ReleasedCell {
  moe: number;
}

/** The scale of discrete Laplace noise for a query of L1 sensitivity `sensitivity` at `epsilon`. */
export const laplaceScale = (sensitivity: number, epsilon: number): number => sensitivity / epsilon;

/** The half-width of the 95% interval of discrete Laplace noise of scale `t`. */
export function marginOfError95(t: number): number {
  const p = Math.exp(-1 / t);
  return Math.max(0, t * Math.log(2 / (0.05 * (1 + p))));
}

/** A discrete Laplace sample of scale `t` from 32 uniform bytes: the difference of two geometrics. */
export function discreteLaplace(t: number, bytes: Buffer): number {
  const p = Math.exp(-1 / t);
  const uniform = (offset: number) => (bytes.readUIntBE(offset, 6) + 1) / 2 ** 48;
  const geometric = (u: number) => Math.floor(Math.log(u) / Math.log(p));
  return geometric(uniform(0)) - geometric(uniform(6));
}

/** The share of the budget a grouping of `size` dimensions gets, before normalizing. */
export const budgetWeight = (size: number): number => (size === 1 ? 2 : size <= 2 ? 1 : 0.5);

/** Keeps at most `bound` rows per person (in row-digest order), as the contribution bound asks. */
export function boundContributions(rows: readonly TalliedRow[], bound: number): TalliedRow[] {
  const kept = new Map<string, number>();
  const out: TalliedRow[] = [];
  // The tally is read in row order already (readTally): sort only rows that are not.
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) sorted = rows[i - 1]!.row <= rows[i]!.row;
  for (const r of sorted
    ? rows
    : [...rows].sort((a, b) => (a.row < b.row ? -1 : a.row > b.row ? 1 : 0))) {
    const n = kept.get(r.digest) ?? 0;
    if (n >= bound) continue;
    kept.set(r.digest, n + 1);
    out.push(r);
  }
  return out;
}

/**
 * The noisy cells of every grouping of a month. `domains[d]` lists every value dimension d can
 * take (the public domain); counts come from the bounded rows only.
 */
export function noisyMonth(
  releaseId: string,
  domains: readonly (readonly string[])[],
  rows: readonly TalliedRow[],
  parameters: DpParameters,
): NoisyCell[] {
  const n = domains.length;
  const bounded = boundContributions(rows, parameters.contribution);
  const all = groupings(n);
  const total = all.reduce((sum, g) => sum + budgetWeight(dimensionsOf(g, n).length), 0);
  const key = randomBytes(32);
  const out: NoisyCell[] = [];
  // The bounded rows per finest cell, then each grouping's counts from those.
  const perCell = new Map<string, number>();
  for (const r of bounded) perCell.set(r.cell, (perCell.get(r.cell) ?? 0) + 1);
  const finest = [...perCell].map(([cell, count]) => ({ parts: cell.split(KEY_SEPARATOR), count }));
  for (const g of all) {
    const dims = dimensionsOf(g, n);
    const t = laplaceScale(
      parameters.contribution,
      (parameters.epsilon * budgetWeight(dims.length)) / total,
    );
    const moe = marginOfError95(t);
    const counts = new Map<string, number>();
    for (const { parts, count } of finest) {
      const at = dims.map((d) => parts[d]).join(KEY_SEPARATOR);
      counts.set(at, (counts.get(at) ?? 0) + count);
    }
    const keys = dims.reduce<string[][]>(
      (acc, d) => acc.flatMap((k) => domains[d]!.map((v) => [...k, v])),
      [[]],
    );
    for (const k of keys) {
      const at = k.join(KEY_SEPARATOR);
      const bytes = createHmac('sha256', key)
        .update(`${releaseId}\u0000${g}\u0000${at}\u00000`)
        .digest();
      out.push({
        grouping: g,
        key: k,
        counts: [(counts.get(at) ?? 0) + discreteLaplace(t, bytes)],
        people: 0,
        suppressed: false,
        moe,
      });
    }
  }
  key.fill(0);
  return out;
}
