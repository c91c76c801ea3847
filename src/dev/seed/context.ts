import type { Kysely } from 'kysely';
import type { CatalogTables } from '../../../subgraphs/catalog/migrations.js';
import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import type { EventsTables } from '../../../subgraphs/events/migrations.js';
import type { SeedClock } from './clock.js';
import type { ScalePlan } from './plan.js';

/** The three databases a seed writes to. */
export interface SeedDatabases {
  catalog: Kysely<CatalogTables>;
  circulation: Kysely<CirculationTables>;
  events: Kysely<EventsTables>;
}

/**
 * What the catalog phases leave for the later ones, in typed arrays indexed by position
 * (work n is `wk_<n+1>`, item n is `it_<n+1>`) so a million items cost a few megabytes.
 */
export interface CatalogState {
  /** Index into FORMATS per work. */
  workFormat: Uint8Array;
  /** Work index per item. */
  itemWork: Int32Array;
  /** Index into BRANCHES per item. */
  itemBranch: Uint8Array;
  /** Index into ITEM_STATUSES per item. */
  itemStatus: Uint8Array;
  /** 1 when the item is out on an open loan (set by the loans phase). */
  itemOnLoan: Uint8Array;
  /** 1 when the item is set aside for a READY hold (set by the holds phase). */
  itemOnHoldShelf: Uint8Array;
  /** Items kept free of generated activity for the persona patrons' fixed loans and holds. */
  personaItems: number[];
}

/** What the patrons phase leaves for the later ones (generated patrons only, personas apart). */
export interface PatronState {
  ids: string[];
  /** 1 when the patron opted in to keeping reading history. */
  readingHistory: Uint8Array;
  /** 1 when the patron is 18 or over. */
  adult: Uint8Array;
  /** Age in whole years on the seeding day; loans derive the age band at checkout from it. */
  age: Uint8Array;
  /** Index into BRANCHES of the patron's home branch. */
  homeBranch: Uint8Array;
}

/** Everything a phase needs: where to write, the clock, the plan, and how to report. */
export interface SeedContext {
  db: SeedDatabases;
  seed: number;
  clock: SeedClock;
  plan: ScalePlan;
  /** Reports a phase's progress in its own units (rows, or loans scanned for fines). */
  progress(phase: string, done: number, total: number): void;
  /** Adds written rows to a table's count ('circulation.loans' and so on). */
  count(table: string, rows: number): void;
}

/** Random streams, one per phase, so changing one phase's draws leaves the others' data alone. */
export const STREAMS = {
  works: 1,
  items: 2,
  patrons: 3,
  loans: 4,
  holds: 5,
  fines: 6,
  events: 7,
  registrations: 8,
  registers: 9,
  personas: 10,
} as const;

/** 'wk_<n>' for the work at index `i`. */
export const workId = (i: number): string => `wk_${i + 1}`;
/** 'it_<n>' for the item at index `i`. */
export const itemId = (i: number): string => `it_${i + 1}`;
/** 'ev_<n>' for the event at index `i`. */
export const eventId = (i: number): string => `ev_${i + 1}`;
