import { AGE_BANDS } from '../privacy/enforce/deidentify.js';

/**
 * k-anonymity of an export's quasi-identifiers (age band x home branch x format) by local
 * recoding along a fixed ladder. Every exported group must stand for at least k distinct people;
 * a group that does not climbs one rung, where it merges with the other groups that climbed to
 * the same place, until it does or falls off the top and is dropped:
 *
 *   0  (age band, home branch, format)      as recorded
 *   1  (wide band, home branch, format)     0-17, 18-44, 45+
 *   2  (wide band, *, format)
 *   3  (*, *, format)
 *
 * People are counted by patron (only rows still linked to one count), so a group made of
 * anonymized loans alone never reaches k by itself: deny by default. Rows that carry no borrower
 * attribute at all (loans anonymized before attributes were kept) start on rung 3, and, having
 * nothing to generalize and no patron key, are exported whatever their number.
 */

/** A generalized or unknown value. */
export const ANY = '*';

/** The wider age band each band generalizes to on rung 1. */
export const WIDE_AGE_BAND: Readonly<Record<string, string>> = {
  '0-12': '0-17',
  '13-17': '0-17',
  '18-24': '18-44',
  '25-44': '18-44',
  '45-64': '45+',
  '65+': '45+',
};

/** A row's quasi-identifiers; ANY where unknown or generalized. */
export interface QuasiIdentifiers {
  ageBand: string;
  homeBranch: string;
  format: string;
}

/** The top rung: (*, *, format). */
export const TOP = 3;

const widen = (band: string): string => (band === ANY ? ANY : (WIDE_AGE_BAND[band] ?? ANY));

/** The quasi-identifiers of `q` on rung `level` of the ladder. */
export function atLevel(q: QuasiIdentifiers, level: number): QuasiIdentifiers {
  if (level <= 0) return q;
  if (level === 1) return { ...q, ageBand: widen(q.ageBand) };
  if (level === 2) return { ...q, ageBand: widen(q.ageBand), homeBranch: ANY };
  return { ageBand: ANY, homeBranch: ANY, format: q.format };
}

/** A group key, for maps. */
export const keyOf = (q: QuasiIdentifiers): string => `${q.ageBand}|${q.homeBranch}|${q.format}`;
/** Whether a recorded age band is one of AGE_BANDS (anything else is treated as unknown). */
export const isAgeBand = (band: string | null | undefined): band is string =>
  (AGE_BANDS as readonly string[]).includes(band ?? '');

/** A set of interned patron numbers, as a growable bitset: cheaper than a Set for millions of adds. */
export class PatronSet {
  #bits = new Uint32Array(1024);

  /** Adds patron number `id`. */
  add(id: number): void {
    const word = id >>> 5;
    if (word >= this.#bits.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.#bits.length * 2));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    this.#bits[word]! |= 1 << (id & 31);
  }

  /** Adds every member of `other`. */
  addAll(other: PatronSet): void {
    const theirs = other.#bits;
    if (theirs.length > this.#bits.length) {
      const grown = new Uint32Array(theirs.length);
      grown.set(this.#bits);
      this.#bits = grown;
    }
    for (let i = 0; i < theirs.length; i++) this.#bits[i]! |= theirs[i]!;
  }

  /** How many patrons are in the set. */
  size(): number {
    let n = 0;
    for (let v of this.#bits) {
      v -= (v >>> 1) & 0x55555555;
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }
}

/**
 * The first pass of an export: rows and distinct patrons per recorded group. Memory grows with
 * the groups (a few hundred) and the patrons in them, never with the rows. Groups are numbered
 * on first sight; `indexOf` finds one without building a string, since it runs for every row.
 */
export class GroupCounts {
  readonly groups: { q: QuasiIdentifiers; rows: number; people: PatronSet }[] = [];
  readonly #index = new Map<string, Map<string, Map<string, number>>>();
  readonly #patrons = new Map<string, number>();

  /** The number of group (ageBand, homeBranch, format), made on first sight. */
  indexOf(ageBand: string, homeBranch: string, format: string): number {
    let byHome = this.#index.get(ageBand);
    if (!byHome) this.#index.set(ageBand, (byHome = new Map()));
    let byFormat = byHome.get(homeBranch);
    if (!byFormat) byHome.set(homeBranch, (byFormat = new Map()));
    let index = byFormat.get(format);
    if (index === undefined) {
      byFormat.set(format, (index = this.groups.length));
      this.groups.push({ q: { ageBand, homeBranch, format }, rows: 0, people: new PatronSet() });
    }
    return index;
  }

  /** Counts one row of group number `group`, borrowed by `patron` (null once anonymized). */
  add(group: number, patron: string | null): void {
    const counted = this.groups[group]!;
    counted.rows += 1;
    if (patron !== null) {
      let id = this.#patrons.get(patron);
      if (id === undefined) this.#patrons.set(patron, (id = this.#patrons.size));
      counted.people.add(id);
    }
  }
}

/** Where a recorded group goes: the rung and the published quasi-identifiers. */
export interface Target {
  level: number;
  q: QuasiIdentifiers;
}

/** Per recorded group (by its number in GroupCounts), where it goes, or null when dropped. */
export interface Recoding {
  readonly targets: readonly (Target | null)[];
  /** k, the fewest distinct people of a published group. */
  readonly k: number;
}

/** Plans the recoding of counted groups so every published group stands for at least k people. */
export function planRecoding(counts: GroupCounts, k: number): Recoding {
  const targets: (Target | null)[] = counts.groups.map(() => null);
  let pending: number[] = [];
  counts.groups.forEach(({ q }, g) => {
    // Nothing to generalize, nothing linking it to a person: published at the top as it is.
    if (q.ageBand === ANY && q.homeBranch === ANY) targets[g] = { level: TOP, q };
    else pending.push(g);
  });
  for (let level = 0; level <= TOP && pending.length > 0; level++) {
    const buckets = new Map<string, number[]>();
    for (const g of pending) {
      const target = keyOf(atLevel(counts.groups[g]!.q, level));
      const members = buckets.get(target);
      if (members) members.push(g);
      else buckets.set(target, [g]);
    }
    pending = [];
    for (const members of buckets.values()) {
      const people = new PatronSet();
      for (const g of members) people.addAll(counts.groups[g]!.people);
      if (people.size() >= k)
        for (const g of members) targets[g] = { level, q: atLevel(counts.groups[g]!.q, level) };
      else pending.push(...members);
    }
  }
  return { targets, k };
}
