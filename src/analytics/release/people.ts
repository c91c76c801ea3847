import { dimensionsOf } from './protect.js';
import { KEY_SEPARATOR } from './tables.js';

/**
 * Distinct people per cell of every grouping of a month's tally, keyed `<grouping>:<key>` (the
 * cell's values on the grouping's dimensions, joined): each finest cell and each person is coded
 * by an integer once, the tally's entries are laid out person by person (a counting sort), and a
 * grouping cell counts a person the first time one of the person's entries falls in it. One pass
 * over the entries per grouping, integer arrays only; cells nobody is in are left out (0).
 */
export function tallyPeople(
  rows: readonly { cell: string; digest: string }[],
  n: number,
): Map<string, number> {
  const cellCodes = new Map<string, number>();
  const cellKeys: string[][] = [];
  const personCodes = new Map<string, number>();
  const cellOf = new Int32Array(rows.length);
  const personOf = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { cell, digest } = rows[i]!;
    let c = cellCodes.get(cell);
    if (c === undefined) {
      cellCodes.set(cell, (c = cellKeys.length));
      cellKeys.push(cell.split(KEY_SEPARATOR));
    }
    let p = personCodes.get(digest);
    if (p === undefined) personCodes.set(digest, (p = personCodes.size));
    cellOf[i] = c;
    personOf[i] = p;
  }
  // The entries person by person.
  const starts = new Int32Array(personCodes.size + 1);
  for (let i = 0; i < rows.length; i++) starts[personOf[i]! + 1]! += 1;
  for (let p = 0; p < personCodes.size; p++) starts[p + 1]! += starts[p]!;
  const byPerson = new Int32Array(rows.length);
  const next = starts.slice(0, personCodes.size);
  for (let i = 0; i < rows.length; i++) byPerson[next[personOf[i]!]!++] = i;

  const out = new Map<string, number>();
  for (let g = 0; g < 1 << n; g++) {
    const dims = dimensionsOf(g, n);
    // The grouping cell of each finest cell, coded.
    const codes = new Map<string, number>();
    const keys: string[] = [];
    const groupOf = new Int32Array(cellKeys.length);
    for (let c = 0; c < cellKeys.length; c++) {
      const parts = cellKeys[c]!;
      const key = dims.map((d) => parts[d]).join(KEY_SEPARATOR);
      let code = codes.get(key);
      if (code === undefined) {
        codes.set(key, (code = keys.length));
        keys.push(key);
      }
      groupOf[c] = code;
    }
    const people = new Int32Array(keys.length);
    // The last person counted in each grouping cell: a person's entries are consecutive.
    const last = new Int32Array(keys.length).fill(-1);
    for (let j = 0; j < byPerson.length; j++) {
      const i = byPerson[j]!;
      const at = groupOf[cellOf[i]!]!;
      if (last[at] !== personOf[i]) {
        last[at] = personOf[i]!;
        people[at]! += 1;
      }
    }
    for (let k = 0; k < keys.length; k++) out.set(`${g}:${keys[k]}`, people[k]!);
  }
  return out;
}
