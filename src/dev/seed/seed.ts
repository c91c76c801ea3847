import type { Kysely } from 'kysely';
import type { CatalogTables } from '../../../subgraphs/catalog/migrations.js';
import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import type { EventsTables } from '../../../subgraphs/events/migrations.js';
import { seedBranches, seedItems, seedWorks } from './catalog.js';
import { SeedClock } from './clock.js';
import type { SeedContext } from './context.js';
import { relaxDurability, withIndexesDeferred } from './durability.js';
import { seedEvents, seedRegistrations } from './events.js';
import { seedFines } from './fines.js';
import { seedHolds } from './holds.js';
import { seedLoans } from './loans.js';
import { seedPatrons } from './patrons.js';
import {
  assignPersonaSeats,
  personaHoldRows,
  reservePersonaItems,
  seedPersonaFine,
  seedPersonaLoans,
} from './personas.js';
import { DEFAULT_SEED, PLANS } from './plan.js';
import { seedRegisters } from './registers.js';
import { applyRetention } from './retention.js';

/** How much data to generate: `demo` (seeded on first start) or `county` (benchmarks). */
import type { SeedScale } from './plan.js';
export type { SeedScale };

/** The three subgraph databases, migrated and empty. */
export interface SeedTargets {
  catalog: Kysely<CatalogTables>;
  circulation: Kysely<CirculationTables>;
  events: Kysely<EventsTables>;
}

/** Progress of one phase, in that phase's units (rows; loans scanned for `fines`). */
export interface SeedProgress {
  phase: string;
  done: number;
  total: number;
}

/** What a seed wrote and how fast. `counts` is keyed 'database.table'. */
export interface SeedReport {
  scale: SeedScale;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  counts: Record<string, number>;
}

/** How to seed. The same `seed` and the same UTC day of `now` give identical rows. */
export interface SeedOptions {
  scale: SeedScale;
  /** Defaults to DEFAULT_SEED (20261128). */
  seed?: number;
  /** Dates are placed relative to the start of this day (UTC); defaults to the current time. */
  now?: Date;
  onProgress?: (p: SeedProgress) => void;
}

/** The order phases run and report in. */
export const SEED_PHASES = [
  'branches',
  'works',
  'items',
  'patrons',
  'loans',
  'holds',
  'fines',
  'retention',
  'events',
  'registrations',
  'registers',
] as const;

/**
 * Fills empty, migrated subgraph databases with deterministic library data: the Jefferson County
 * branches, a catalog, patrons (the three persona patrons with their fixed activity among them),
 * loans, holds, fines, events, registrations, and the consent, legal-order and guardianship
 * registers, as the default retention rules leave them (src/dev/seed/retention.ts). Rows are generated
 * as a stream and written in batched multi-row INSERTs, one transaction per chunk, so memory stays
 * flat at county scale. Refuses a database already seeded.
 */
export async function seed(targets: SeedTargets, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const plan = PLANS[options.scale];
  if (!plan)
    throw new Error(`seed: unknown scale '${String(options.scale)}' (expected demo or county)`);
  const seedValue = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seedValue) || seedValue < 0)
    throw new Error('seed: `seed` must be a non-negative integer');
  if (await isSeeded(targets.circulation)) {
    throw new Error(
      'seed: the circulation database already holds patrons; reset the data directory to seed again',
    );
  }
  if (await targets.catalog.selectFrom('branches').select('id').limit(1).executeTakeFirst()) {
    throw new Error(
      'seed: the catalog database is not empty (an interrupted seed?); reset the data directory',
    );
  }

  const counts: Record<string, number> = {};
  const ctx: SeedContext = {
    db: targets,
    seed: seedValue >>> 0,
    clock: new SeedClock(options.now ?? new Date()),
    plan,
    progress: (phase, done, total) => options.onProgress?.({ phase, done, total }),
    count: (table, rows) => {
      counts[table] = (counts[table] ?? 0) + rows;
    },
  };

  const restore = await relaxDurability([
    targets.catalog,
    targets.circulation,
    targets.events,
  ] as Kysely<unknown>[]);
  try {
    await seedBranches(ctx);
    const { workFormat, callNumbers } = await seedWorks(ctx);
    const catalog = await seedItems(ctx, workFormat, callNumbers);
    callNumbers.length = 0;
    const patrons = await seedPatrons(ctx);

    reservePersonaItems(ctx, catalog);
    const personaLoans = 11;
    const loanTarget = Math.max(0, plan.loans - personaLoans);
    // Millions of loans land at random places in the patron index: build it once at the end.
    await withIndexesDeferred(targets.circulation as Kysely<unknown>, 'loans', () =>
      seedLoans(ctx, catalog, patrons, loanTarget),
    );
    const finedLoanId = await seedPersonaLoans(ctx, catalog);

    const personaHolds = personaHoldRows(ctx, catalog);
    await targets.circulation.insertInto('holds').values(personaHolds).execute();
    ctx.count('circulation.holds', personaHolds.length);
    await seedHolds(ctx, catalog, patrons, Math.max(0, plan.holds - personaHolds.length));

    await seedFines(ctx);
    await seedPersonaFine(ctx, finedLoanId);
    await applyRetention(ctx);

    const events = await seedEvents(ctx);
    assignPersonaSeats(ctx, events);
    await seedRegistrations(ctx, events, patrons);

    await seedRegisters(ctx, patrons);
  } finally {
    await restore();
  }

  const seconds = (performance.now() - started) / 1000;
  const rows = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    scale: options.scale,
    rows,
    seconds: Math.round(seconds * 100) / 100,
    rowsPerSecond: Math.round(rows / Math.max(seconds, 0.001)),
    counts,
  };
}

/** True when the circulation database already holds patrons (start uses it to seed only once). */
export async function isSeeded(circulation: Kysely<CirculationTables>): Promise<boolean> {
  const row = await circulation.selectFrom('patrons').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}
