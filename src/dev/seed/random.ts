import { Faker, base, en, en_US } from '@faker-js/faker';

/**
 * A small seeded PRNG (sfc32, initialised through splitmix32) for the bulk of the seed's numbers.
 * Faker's own generator is kept for text; this one is faster for the millions of draws a county
 * seed needs and, unlike Math.random, makes every run with the same seed identical.
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** One independent stream per (seed, stream) pair, so phases do not disturb each other. */
  constructor(seed: number, stream = 0) {
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** An index drawn from a cumulative weight table (see `cumulative`). */
  weighted(cumulativeWeights: Float64Array): number {
    const total = cumulativeWeights[cumulativeWeights.length - 1] ?? 0;
    const x = this.float() * total;
    let lo = 0;
    let hi = cumulativeWeights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulativeWeights[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** `length` lowercase hexadecimal characters. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, length);
  }
}

/** Running sums of `weights`, the table `Random.weighted` draws from. */
export function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    out[i] = sum;
  });
  return out;
}

/** A seeded English (US) Faker for one phase; the stream keeps phases independent. */
export function seededFaker(seed: number, stream: number): Faker {
  const faker = new Faker({ locale: [en_US, en, base] });
  faker.seed([seed >>> 0, stream]);
  return faker;
}

/**
 * How many of `remaining` things the next of `slotsLeft` slots gets: uniform around the running
 * mean (so the total lands on target without storing a plan), at least `min`, at most `max`.
 */
export function drawShare(
  rng: Random,
  remaining: number,
  slotsLeft: number,
  min = 0,
  max = Infinity,
): number {
  if (slotsLeft <= 1) return Math.min(Math.max(min, remaining), max);
  const mean = remaining / slotsLeft;
  const spread = Math.max(0, 2 * (mean - min));
  const k = min + Math.floor(rng.float() * (spread + 1));
  return Math.max(min, Math.min(k, max, remaining - min * (slotsLeft - 1)));
}

/** Appends a Luhn check digit, so generated card numbers and barcodes look like real ones. */
export function withCheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}
