import type { PublishedTable } from '../../src/analytics/suppression.js';

/**
 * The attacker of test/analytics/suppression.test.ts: everything a published table says about
 * one count, as linear equations over the suppressed cells (each a non-negative integer), and a
 * brute-force search for another solution in which a suppressed value differs.
 */

/** Σ x[vars] = value: one published total, less the published cells in it. */
interface Equation {
  vars: number[];
  value: number;
}

/** A suppressed number: which unknowns it sums (its own cell, or a margin's or the total's), and its true value. */
export interface Target {
  label: string;
  vars: number[];
  truth: number;
}

/** The published table, for one count, as equations over its suppressed cells. */
export interface System {
  unknowns: number;
  equations: Equation[];
  targets: Target[];
  cap: number;
}

/** Builds the equations an attacker can write from `table` about count `m` (absent cells are 0). */
export function systemOf(table: PublishedTable, dimensions: number, m: number): System {
  const hidden = table.cells.filter((c) => c.suppressed);
  const index = new Map(hidden.map((c, i) => [c.key.join('|'), i]));
  const cap = Math.max(1, ...table.cells.map((c) => c.counts[m]!)) + 2;
  const equations: Equation[] = [];
  const targets: Target[] = hidden.map((c, i) => ({
    label: `cell ${c.key.join('|')}`,
    vars: [i],
    truth: c.counts[m]!,
  }));
  /** A published total as an equation over the suppressed cells it contains, or else a target. */
  const total = (
    label: string,
    suppressed: boolean,
    value: number,
    inSlice: (key: readonly string[]) => boolean,
  ) => {
    const vars: number[] = [];
    let published = 0;
    for (const c of table.cells) {
      if (!inSlice(c.key)) continue;
      if (c.suppressed) vars.push(index.get(c.key.join('|'))!);
      else published += c.counts[m]!;
    }
    if (suppressed) targets.push({ label, vars, truth: value - published });
    else equations.push({ vars, value: value - published });
  };
  if (dimensions >= 2) {
    table.margins.forEach((groups, d) => {
      for (const g of groups)
        total(`margin ${d}=${g.key[0]}`, g.suppressed, g.counts[m]!, (key) => key[d] === g.key[0]);
    });
  }
  total('total', table.total.suppressed, table.total.counts[m]!, () => true);
  return { unknowns: hidden.length, equations, targets, cap };
}

/** Whether some non-negative integer solution of `system` (each unknown <= cap) has Σ x[vars] = value. */
function solvable(system: System, extra: Equation): boolean {
  const equations = [...system.equations, extra];
  const x = new Array<number>(system.unknowns).fill(-1);
  const order = [...Array(system.unknowns).keys()].sort(
    (a, b) =>
      equations.filter((e) => e.vars.includes(b)).length -
      equations.filter((e) => e.vars.includes(a)).length,
  );
  const consistent = (): boolean =>
    equations.every((e) => {
      let sum = 0;
      let open = 0;
      for (const v of e.vars) {
        if (x[v]! < 0) open++;
        else sum += x[v]!;
      }
      const rest = e.value - sum;
      return rest >= 0 && rest <= open * system.cap && (open > 0 || rest === 0);
    });
  const search = (i: number): boolean => {
    if (!consistent()) return false;
    if (i === order.length) return true;
    const v = order[i]!;
    for (let value = 0; value <= system.cap; value++) {
      x[v] = value;
      if (search(i + 1)) return true;
    }
    x[v] = -1;
    return false;
  };
  return search(0);
}

/**
 * The suppressed numbers whose value the published table pins down: for each, every other value
 * it could take is tried, and none is consistent with what was published. Empty means safe.
 */
export function recoverable(system: System): Target[] {
  return system.targets.filter((t) => {
    const most = t.vars.length * system.cap;
    const candidates = [
      t.truth + 1,
      t.truth - 1,
      ...Array.from({ length: most + 1 }, (_, v) => v),
    ].filter((v, i, all) => v >= 0 && v <= most && v !== t.truth && all.indexOf(v) === i);
    return !candidates.some((value) => solvable(system, { vars: t.vars, value }));
  });
}
