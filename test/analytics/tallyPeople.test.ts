/**
 * Distinct people per grouping cell, as a release counts them from the month's tally, against
 * the plain definition (a set of digests per grouping cell) on random tallies: the same cells,
 * the same counts.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { tallyPeople } from '../../src/analytics/release/people.js';
import { dimensionsOf, groupings } from '../../src/analytics/release/protect.js';
import { KEY_SEPARATOR } from '../../src/analytics/release/tables.js';

/** The definition: for each entry and grouping, its person joins the set of its grouping cell. */
function reference(
  rows: readonly { cell: string; digest: string }[],
  n: number,
): Map<string, number> {
  const sets = new Map<string, Set<string>>();
  for (const { cell, digest } of rows) {
    const key = cell.split(KEY_SEPARATOR);
    for (const g of groupings(n)) {
      const at = `${g}:${dimensionsOf(g, n)
        .map((d) => key[d])
        .join(KEY_SEPARATOR)}`;
      let set = sets.get(at);
      if (!set) sets.set(at, (set = new Set()));
      set.add(digest);
    }
  }
  return new Map([...sets].map(([at, set]) => [at, set.size]));
}

const value = fc.constantFrom('', 'a', 'b', 'c');
const entry = (n: number) =>
  fc.record({
    cell: fc.array(value, { minLength: n, maxLength: n }).map((v) => v.join(KEY_SEPARATOR)),
    digest: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'p6'),
  });

it('counts each person once per grouping cell, whatever the order of the entries', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 4 })
        .chain((n) => fc.tuple(fc.constant(n), fc.array(entry(n), { maxLength: 60 }))),
      ([n, rows]) => {
        expect(tallyPeople(rows, n)).toEqual(reference(rows, n));
      },
    ),
    { numRuns: 300 },
  );
});
