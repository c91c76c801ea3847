import type { AnswerGroup, AnswerTable } from './release/combine.js';
import { UNKNOWN_VALUE } from './release/scopes.js';

/** How a subgraph names a statistics group's fields in its schema. */
export interface GroupFields<D extends string> {
  /** The field and value for dimension `d` taking `value` (e.g. BRANCH -> branch: a Branch reference). */
  field(d: D, value: string): [name: string, value: unknown];
  /** The names of the additive counts, in the release's order (e.g. ['checkouts']). */
  counts: readonly string[];
  /** The name of the distinct-people number (e.g. 'distinctBorrowers'). */
  people: string;
}

/** A statistics answer as the schema's `...Stats` type has it (cells, margins, total as plain objects). */
export interface ShapedStats {
  cells: Record<string, unknown>[];
  margins: Record<string, unknown>[];
  total: Record<string, unknown>;
}

/** An answer's shaping: its margins and total named at once, its cells a slice at a time (pages). */
export interface StatsShaper {
  cells(start: number, end: number): Record<string, unknown>[];
  margins: Record<string, unknown>[];
  total: Record<string, unknown>;
}

/**
 * Names the groups of an answer for the schema: each grouped dimension's value (absent where
 * unknown), a margin's `dimension`, the counts (with `<count>MarginOfError` where noise protects
 * them) and people, all null when suppressed. Plain objects, resolved by the default resolvers.
 */
export function statsShaper<D extends string>(
  table: AnswerTable,
  groupBy: readonly D[],
  fields: GroupFields<D>,
): StatsShaper {
  const moeNames = fields.counts.map((name) => `${name}MarginOfError`);
  // A dimension's field for a value, once per value: answers repeat few values many times.
  const named = new Map<D, Map<string, [string, unknown]>>();
  const field = (d: D, value: string): [string, unknown] => {
    let values = named.get(d);
    if (!values) named.set(d, (values = new Map()));
    let entry = values.get(value);
    if (!entry) values.set(value, (entry = fields.field(d, value)));
    return entry;
  };
  const shape = (
    group: AnswerGroup,
    dimensions: readonly D[],
    dimension: D | null,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = { dimension, suppressed: group.suppressed };
    for (let i = 0; i < dimensions.length; i++) {
      const value = group.key[i];
      if (value !== undefined && value !== UNKNOWN_VALUE) {
        const [name, shaped] = field(dimensions[i]!, value);
        out[name] = shaped;
      }
    }
    for (let i = 0; i < fields.counts.length; i++) {
      out[fields.counts[i]!] = group.suppressed ? null : (group.counts[i] ?? null);
      // The half-width of the count's 95% interval, where noise protects it.
      const moe = group.moe?.[i];
      out[moeNames[i]!] =
        group.suppressed || moe === undefined ? null : Math.round(moe * 100) / 100;
    }
    out[fields.people] = group.suppressed ? null : group.people;
    return out;
  };
  return {
    cells: (start, end) => table.cells.slice(start, end).map((c) => shape(c, groupBy, null)),
    margins: table.margins.flatMap((groups, d) =>
      groups.map((g) => shape(g, [groupBy[d]!], groupBy[d]!)),
    ),
    total: shape(table.total, [], null),
  };
}

/** The whole answer shaped at once (every cell). */
export function shapeStats<D extends string>(
  table: AnswerTable,
  groupBy: readonly D[],
  fields: GroupFields<D>,
): ShapedStats {
  const shaper = statsShaper(table, groupBy, fields);
  return {
    cells: shaper.cells(0, table.cells.length),
    margins: shaper.margins,
    total: shaper.total,
  };
}
