/**
 * The analyst's strongest differencing attack on a set of answers: every published number is a
 * linear equation over the unknown finest cells (month x branch x format x ...), every absent
 * group says its cells are 0, and a published 0 says every cell in it is 0 (counts are never
 * negative). A suppressed number is recovered when its sum of unknowns lies in the span of the
 * published equations (Gaussian elimination): then it follows exactly, whatever the rest is.
 */

/** A published or suppressed number: the unknowns it sums, its value. */
export interface Sum {
  label: string;
  vars: number[];
  value: number;
}

const EPS = 1e-9;

/** Row-reduced basis of the equations, for membership tests. */
class Span {
  readonly rows: { pivot: number; coef: Float64Array }[] = [];
  constructor(readonly n: number) {}

  reduce(v: Float64Array): Float64Array {
    const out = Float64Array.from(v);
    for (const { pivot, coef } of this.rows) {
      const f = out[pivot]!;
      if (Math.abs(f) < EPS) continue;
      for (let j = 0; j < this.n; j++) out[j]! -= f * coef[j]!;
    }
    return out;
  }

  add(v: Float64Array): void {
    const r = this.reduce(v);
    let pivot = -1;
    for (let j = 0; j < this.n; j++)
      if (Math.abs(r[j]!) > EPS) {
        pivot = j;
        break;
      }
    if (pivot < 0) return;
    const p = r[pivot]!;
    for (let j = 0; j < this.n; j++) r[j]! /= p;
    for (const row of this.rows) {
      const f = row.coef[pivot]!;
      if (Math.abs(f) < EPS) continue;
      for (let j = 0; j < this.n; j++) row.coef[j]! -= f * r[j]!;
    }
    this.rows.push({ pivot, coef: r });
  }

  contains(v: Float64Array): boolean {
    return this.reduce(v).every((x) => Math.abs(x) < 1e-6);
  }
}

const vector = (n: number, vars: readonly number[]) => {
  const v = new Float64Array(n);
  for (const i of vars) v[i]! += 1;
  return v;
};

/** The suppressed numbers that follow exactly from the published ones. */
export function recovered(
  unknowns: number,
  published: readonly Sum[],
  suppressed: readonly Sum[],
): Sum[] {
  const span = new Span(unknowns);
  for (const eq of published) {
    if (eq.value === 0) for (const v of eq.vars) span.add(vector(unknowns, [v]));
    else span.add(vector(unknowns, eq.vars));
  }
  return suppressed.filter((t) => t.vars.length > 0 && span.contains(vector(unknowns, t.vars)));
}
