import { sql } from 'kysely';
import type { CirculationTables } from '../../subgraphs/circulation/migrations.js';
import { sqliteOf, type Database } from '../db/open.js';
import { ageBandOfAge } from '../privacy/enforce/deidentify.js';
import { ANY, isAgeBand } from './kAnonymity.js';

/**
 * One loan as the analytics export reads it: a tuple, not an object, since an export holds
 * millions of them in turn. The borrower is reduced to what the export may use; `patronId` only
 * counts people and keys the row, it is never written.
 */
export type LoanTuple = [
  id: number,
  patronId: string | null,
  branch: string,
  checkedOutAt: string,
  returnedAt: string | null,
  /** The age band at checkout, or ANY. */
  ageBand: string,
  /** The home branch at checkout, or ANY. */
  homeBranch: string,
  /** The item's format, or ANY. */
  format: string,
];

/** Which loans: checked out in [start, end), ISO 8601 instants. */
export interface LoanWindow {
  start: string;
  end: string;
}

/**
 * What a loan from before migration 0003 borrows from its (still linked) borrower's record: per
 * patron number, the birth date as yyyymmdd and the home branch, in flat arrays (a lookup per loan
 * is the hot path of exporting such loans).
 */
export interface LegacyBorrowers {
  number: ReadonlyMap<string, number>;
  birth: Int32Array;
  home: readonly string[];
}

/** 'YYYY-MM-DD...' as the number yyyymmdd. */
const ymd = (iso: string): number =>
  Number(iso.slice(0, 4)) * 10_000 + Number(iso.slice(5, 7)) * 100 + Number(iso.slice(8, 10));

/** What the export needs to know of borrowers beyond the loans table, read once per export. */
export interface Borrowers {
  /**
   * Patrons who keep reading history. Their returned loans stay linked for their own view alone
   * (retention), so the export treats those loans as anonymized: no key, counted for no one.
   */
  readers: ReadonlySet<string>;
  /** Attributes for loans from before migration 0003, when the window has any; else null. */
  legacy: LegacyBorrowers | null;
}

/**
 * Reads what `Borrowers` holds: one sequential read each, held for the export. Memory grows with
 * the patrons, never with the loans, and it spares each loan a lookup into the patrons table
 * (the export's slowest step otherwise).
 */
export async function borrowers(
  database: Database<CirculationTables>,
  window: LoanWindow,
): Promise<Borrowers> {
  const readers = await database.db
    .selectFrom('patrons')
    .select('id')
    .where('reading_history', '=', 1)
    .execute();
  return {
    readers: new Set(readers.map((r) => r.id)),
    legacy: await legacyBorrowers(database, window),
  };
}

/**
 * Birth date and home branch of every patron, when some loan of the window is still linked but
 * lacks the attributes recorded at checkout (loans from before migration 0003); null otherwise.
 */
async function legacyBorrowers(
  database: Database<CirculationTables>,
  window: LoanWindow,
): Promise<LegacyBorrowers | null> {
  const { rows } = await sql<{ one: number }>`
    SELECT 1 AS one FROM loans
    WHERE patron_id IS NOT NULL AND (patron_age_band IS NULL OR patron_home_branch_id IS NULL)
      AND checked_out_at >= ${window.start} AND checked_out_at < ${window.end}
    LIMIT 1`.execute(database.db);
  if (rows.length === 0) return null;
  const patrons = await database.db
    .selectFrom('patrons')
    .select(['id', 'birth_date', 'home_branch_id'])
    .execute();
  return {
    number: new Map(patrons.map((p, i) => [p.id, i])),
    birth: Int32Array.from(patrons, (p) => ymd(p.birth_date)),
    home: patrons.map((p) => p.home_branch_id),
  };
}

/**
 * The loans of `window`, in pages of `pageSize`, by loan id (keyset pagination: each page starts
 * after the last id of the one before, so memory holds one page and the scan never restarts).
 * Kysely writes the query; better-sqlite3 runs it in raw mode (arrays, not objects), which
 * halves the cost of reading millions of rows. A returned loan of a patron who keeps reading
 * history reads as anonymized (see `Borrowers.readers`). A loan's age band and home branch are those
 * recorded at checkout; loans from before they were recorded fall back to the borrower's birth
 * date on the day of checkout and current home branch while still linked, and are unknown (ANY)
 * once anonymized. Only loans up to id `upTo` are read (the export's highest id at its start).
 */
export function* loanPages(
  database: Database<CirculationTables>,
  window: LoanWindow,
  borrowers: Borrowers,
  pageSize = 10_000,
  upTo = Number.MAX_SAFE_INTEGER,
): Generator<LoanTuple[]> {
  const query = sql`
    SELECT l.id, l.patron_id, l.branch_id, l.checked_out_at, l.returned_at,
           l.patron_age_band, l.patron_home_branch_id, i.format
    FROM loans l
    LEFT JOIN items i ON i.id = l.item_id
    WHERE l.id > ${0} AND l.id <= ${upTo} AND l.checked_out_at >= ${window.start} AND l.checked_out_at < ${window.end}
    ORDER BY l.id
    LIMIT ${pageSize}`.compile(database.db);
  // SQLite only: a synchronous, raw-mode scan; the export reads one SQLite snapshot (exportAnalytics).
  const statement = sqliteOf(database).prepare(query.sql).raw(true);
  const [, ...rest] = query.parameters;
  let after = 0;
  for (;;) {
    const rows = statement.all(after, ...rest) as LoanTuple[];
    if (rows.length === 0) return;
    for (const row of rows) resolve(row, borrowers);
    yield rows;
    after = rows[rows.length - 1]![0];
    if (rows.length < pageSize) return;
  }
}

/**
 * Fills a row in place: unlinks a returned loan kept only for its borrower's reading history, and
 * sets the quasi-identifiers as recorded, else from the borrower, else ANY.
 */
function resolve(row: LoanTuple, { readers, legacy: borrowers }: Borrowers): void {
  if (row[1] !== null && row[4] !== null && readers.has(row[1])) row[1] = null;
  const recorded = isAgeBand(row[5]) ? row[5] : null;
  const home = row[6] as string | null;
  const n =
    (recorded === null || home === null) && row[1] !== null
      ? borrowers?.number.get(row[1])
      : undefined;
  // Whole years between two yyyymmdd numbers, as ageBand counts them (a 29 February birthday turns on 1 March).
  row[5] =
    recorded ??
    (n !== undefined
      ? ageBandOfAge(Math.floor((ymd(row[3]) - borrowers!.birth[n]!) / 10_000))
      : ANY);
  row[6] = home ?? (n !== undefined ? borrowers!.home[n]! : ANY);
  row[7] = (row[7] as string | null) ?? ANY;
}

/** The highest loan id, for progress (ids only grow). */
export async function lastLoanId(database: Database<CirculationTables>): Promise<number> {
  const row = await database.db
    .selectFrom('loans')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}
