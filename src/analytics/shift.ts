/** +1 or -1 on each of some cells (by cell number): one way of hiding cells that sums to nothing. */
export type Shift = { cell: number; sign: 1 | -1 }[];

/**
 * Whether, count by count, `shift` or its opposite lowers only cells holding at least 1: only then
 * could an attacker not rule it out, so only then does hiding its cells protect them.
 */
export function isFeasible(
  shift: Shift,
  metrics: number,
  counts: (cell: number) => readonly number[],
): boolean {
  for (let m = 0; m < metrics; m++) {
    let up = true;
    let down = true;
    for (const { cell, sign } of shift) {
      if (counts(cell)[m]! >= 1) continue;
      if (sign === 1) down = false;
      else up = false;
    }
    if (!up && !down) return false;
  }
  return true;
}

/**
 * The feasible shift of `shifts` that costs the least (the first of equals), or null; a shift that
 * costs nothing ends the search.
 */
export function cheapest(
  shifts: Iterable<Shift>,
  feasible: (shift: Shift) => boolean,
  cost: (shift: Shift) => number,
): Shift | null {
  let best: { shift: Shift; cost: number } | null = null;
  for (const shift of shifts) {
    if (!feasible(shift)) continue;
    const c = cost(shift);
    if (best === null || c < best.cost) best = { shift, cost: c };
    if (c === 0) break;
  }
  return best?.shift ?? null;
}
