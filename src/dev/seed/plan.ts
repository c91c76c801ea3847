/** How big a library to seed: the demo, or a county-sized system. */
export type SeedScale = 'demo' | 'county';

/** How many rows of each kind a scale asks for; the generators aim at these totals. */
export interface ScalePlan {
  branches: number;
  works: number;
  items: number;
  /** Patrons including the three persona patrons. */
  patrons: number;
  /** Loans including the persona loans. */
  loans: number;
  /** Open holds (WAITING or READY) including the persona holds. */
  holds: number;
  events: number;
}

/** The two scales: a demo that seeds in about a second, and a county-sized benchmark data set. */
export const PLANS: Record<SeedScale, ScalePlan> = {
  demo: {
    branches: 10,
    works: 5_000,
    items: 15_000,
    patrons: 2_000,
    loans: 20_000,
    holds: 600,
    events: 200,
  },
  county: {
    branches: 10,
    works: 250_000,
    items: 1_000_000,
    patrons: 250_000,
    loans: 5_000_000,
    holds: 75_000,
    events: 2_000,
  },
};

/** The seed used when the caller names none: the same data on every machine. */
export const DEFAULT_SEED = 20261128;
