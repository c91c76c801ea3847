/**
 * The SQL of anonymization: which rows the rules make due (the translation of `rules.ts`, held
 * equal to it by test/retention/equivalence.test.ts) and what an anonymized row keeps. A loan keeps
 * its item, branch, dates to the day, the borrower's age band at checkout and home branch; it loses
 * the patron. Nothing is replaced by a pseudonym: there is no key to link the row back.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CirculationTables } from '../../subgraphs/circulation/migrations.js';
import type { EventsTables } from '../../subgraphs/events/migrations.js';
import type { RetentionRules } from '../config/retention.js';
import { cutoff, loanCutoffs, type LoanCutoffs } from './rules.js';
import { CIRCULATION_SCOPE, EVENTS_SCOPE } from '../analytics/release/scopes.js';
import { releaseDb, tallyLinked } from '../analytics/release/tally.js';
import { idList } from '../db/dialect.js';

/** The tables the purge anonymizes. */
export const PURGE_TABLES = ['loans', 'fines', 'holds', 'registrations'] as const;
/** One of them. */
export type PurgeTable = (typeof PURGE_TABLES)[number];
/** Rows anonymized per table. */
export type TableCounts = Record<PurgeTable, number>;

/** Zero rows in every table. */
export const noRows = (): TableCounts => ({ loans: 0, fines: 0, holds: 0, registrations: 0 });

/** A timestamp column reduced to its UTC day (what `toDay` does in TypeScript). */
const day = (column: string): RawBuilder<string> =>
  sql`substr(${sql.ref(column)}, 1, 10) || 'T00:00:00.000Z'`;
const affected = (result: { numAffectedRows?: bigint }): number =>
  Number(result.numAffectedRows ?? 0n);

/**
 * Unlinks the rows of `table` that `which` picks and that are still linked: the patron goes, each
 * column of `days` keeps only its day. Returns how many rows it changed.
 */
async function unlinkRows<DB>(
  db: Kysely<DB>,
  table: PurgeTable,
  days: readonly string[],
  which: RawBuilder<unknown>,
): Promise<number> {
  const set = sql.join([sql`patron_id = NULL`, ...days.map((c) => sql`${sql.ref(c)} = ${day(c)}`)]);
  return affected(
    await sql`UPDATE ${sql.table(table)} SET ${set} WHERE ${which} AND patron_id IS NOT NULL`.execute(
      db,
    ),
  );
}

/** The timestamps of a fine, kept to the day once it is anonymized. */
const FINE_DAYS = ['created_at', 'paid_at'] as const;

/**
 * The loans due under the cutoffs: returned, still linked, the borrower not keeping reading
 * history, no fine unpaid; without fines, returned by the closed-loan cutoff; with fines (all
 * paid), returned and last paid by the fee cutoff. Null when no loan can ever be due.
 * `ignoreReadingHistory` leaves out the reading-history clause (see `keptOnlyForReadingHistory`).
 */
function dueLoan(cuts: LoanCutoffs, ignoreReadingHistory = false): RawBuilder<boolean> | null {
  const branches: RawBuilder<unknown>[] = [];
  if (cuts.unfined !== null) {
    branches.push(
      sql`(NOT EXISTS (SELECT 1 FROM fines f WHERE f.loan_id = loans.id) AND loans.returned_at <= ${cuts.unfined})`,
    );
  }
  if (cuts.fined !== null) {
    // max(paid_at) is NULL without fines, so this branch holds only for loans that had some.
    branches.push(
      sql`(loans.returned_at <= ${cuts.fined} AND (SELECT max(f.paid_at) FROM fines f WHERE f.loan_id = loans.id) <= ${cuts.fined})`,
    );
  }
  if (branches.length === 0) return null;
  const reader = ignoreReadingHistory ? sql`` : sql`AND NOT ${READER}`;
  return sql<boolean>`loans.patron_id IS NOT NULL AND loans.returned_at IS NOT NULL
    ${reader}
    AND NOT EXISTS (SELECT 1 FROM fines f WHERE f.loan_id = loans.id AND f.paid_at IS NULL)
    AND (${sql.join(branches, sql` OR `)})`;
}

/** The loan's borrower keeps reading history. */
const READER = sql`EXISTS (SELECT 1 FROM patrons p WHERE p.id = loans.patron_id AND p.reading_history = 1)`;

/**
 * True for a returned loan (of the `loans` row in scope) that is linked only because its borrower
 * keeps reading history: the rules would have anonymized it otherwise. That link exists for the
 * patron's own view (`readingHistory`, SELF), so the store presents such a loan to every other
 * read without its patron, and a paid fine on it without its loan.
 */
export function keptOnlyForReadingHistory(cuts: LoanCutoffs): RawBuilder<boolean> {
  const due = dueLoan(cuts, true);
  return due === null ? sql<boolean>`(1 = 0)` : sql<boolean>`(${READER} AND ${due})`;
}

/** Which loans a query looks at: an id range for the purge, or the ones a transaction touched. */
export type LoanScope =
  { after: number; limit: number } | { loanIds: readonly number[] } | { patronId: string };

/** Ids of the loans in `scope` that are due, in id order. */
export async function dueLoanIds(
  db: Kysely<CirculationTables>,
  cuts: LoanCutoffs,
  scope: LoanScope,
): Promise<number[]> {
  const due = dueLoan(cuts);
  if (due === null) return [];
  const query =
    'after' in scope
      ? sql<{
          id: number;
        }>`SELECT id FROM loans WHERE id > ${scope.after} AND ${due} ORDER BY id LIMIT ${scope.limit}`
      : 'loanIds' in scope
        ? sql<{
            id: number;
          }>`SELECT id FROM loans WHERE id IN ${idList(db, scope.loanIds)} AND ${due} ORDER BY id`
        : sql<{
            id: number;
          }>`SELECT id FROM loans WHERE patron_id = ${scope.patronId} AND ${due} ORDER BY id`;
  return (await query.execute(db)).rows.map((r) => Number(r.id));
}

/**
 * Anonymizes the loans `ids` and, with them, their paid fines (a fine names its loan, so a linked
 * fine would link the loan back). Returns the rows changed per table.
 */
export async function anonymizeLoans(
  db: Kysely<CirculationTables>,
  ids: readonly number[],
): Promise<Pick<TableCounts, 'loans' | 'fines'>> {
  if (ids.length === 0) return { loans: 0, fines: 0 };
  // Statistics count distinct borrowers of months not yet released from this tally (history survives).
  await tallyLinked(releaseDb(db), CIRCULATION_SCOPE, { ids });
  const loans = await unlinkRows(
    db,
    'loans',
    ['checked_out_at', 'due_at', 'returned_at'],
    sql`id IN ${idList(db, ids)}`,
  );
  const fines = await unlinkRows(
    db,
    'fines',
    FINE_DAYS,
    sql`loan_id IN ${idList(db, ids)} AND paid_at IS NOT NULL`,
  );
  return { loans, fines };
}

/** Anonymizes the loans in `scope` that the rules make due at `now`. */
export async function anonymizeDueLoans(
  db: Kysely<CirculationTables>,
  rules: RetentionRules,
  now: Date,
  scope: Exclude<LoanScope, { after: number }>,
): Promise<Pick<TableCounts, 'loans' | 'fines'>> {
  return anonymizeLoans(db, await dueLoanIds(db, loanCutoffs(rules, now), scope));
}

/** Ids of FILLED or CANCELLED holds, still linked, closed by the cutoff (null cutoff: none). */
export async function dueHoldIds(
  db: Kysely<CirculationTables>,
  cut: string | null,
  scope: { after: number; limit: number } | { holdIds: readonly number[] },
): Promise<number[]> {
  if (cut === null) return [];
  const due = sql`patron_id IS NOT NULL AND status IN ('FILLED', 'CANCELLED') AND coalesce(closed_at, placed_at) <= ${cut}`;
  const query =
    'after' in scope
      ? sql<{
          id: number;
        }>`SELECT id FROM holds WHERE id > ${scope.after} AND ${due} ORDER BY id LIMIT ${scope.limit}`
      : sql<{
          id: number;
        }>`SELECT id FROM holds WHERE id IN ${idList(db, scope.holdIds)} AND ${due} ORDER BY id`;
  return (await query.execute(db)).rows.map((r) => Number(r.id));
}

/** Anonymizes the holds `ids`: the work, pickup branch, status and days stay. */
export async function anonymizeHolds(
  db: Kysely<CirculationTables>,
  ids: readonly number[],
): Promise<number> {
  if (ids.length === 0) return 0;
  return unlinkRows(db, 'holds', ['placed_at', 'closed_at'], sql`id IN ${idList(db, ids)}`);
}

/** Anonymizes the holds `holdIds` if the rules make them due at `now` (a cancel or a fill). */
export async function anonymizeDueHolds(
  db: Kysely<CirculationTables>,
  rules: RetentionRules,
  now: Date,
  holdIds: readonly number[],
): Promise<number> {
  return anonymizeHolds(db, await dueHoldIds(db, cutoff(rules.holds, now), { holdIds }));
}

/**
 * Ids of paid fines still linked although their loan is anonymized: rows a loan batch could not
 * reach (anonymized by an older version, or by hand). Their loan is gone, so they follow it.
 */
export async function strayFineIds(
  db: Kysely<CirculationTables>,
  after: number,
  limit: number,
): Promise<number[]> {
  const result = await sql<{ id: number }>`SELECT f.id FROM fines f
    WHERE f.id > ${after} AND f.patron_id IS NOT NULL AND f.paid_at IS NOT NULL
      AND EXISTS (SELECT 1 FROM loans l WHERE l.id = f.loan_id AND l.patron_id IS NULL)
    ORDER BY f.id LIMIT ${limit}`.execute(db);
  return result.rows.map((r) => Number(r.id));
}

/** Anonymizes the fines `ids` (patron and days; the amount, reason and loan stay). */
export async function anonymizeFines(
  db: Kysely<CirculationTables>,
  ids: readonly number[],
): Promise<number> {
  if (ids.length === 0) return 0;
  return unlinkRows(db, 'fines', FINE_DAYS, sql`id IN ${idList(db, ids)}`);
}

/** Ids of registrations, still linked, for events that ended by the cutoff (null cutoff: none). */
export async function dueRegistrationIds(
  db: Kysely<EventsTables>,
  cut: string | null,
  after: number,
  limit: number,
): Promise<number[]> {
  if (cut === null) return [];
  const result = await sql<{ id: number }>`SELECT r.id FROM registrations r
    WHERE r.id > ${after} AND r.patron_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM events e WHERE e.id = r.event_id AND e.ends_at <= ${cut})
    ORDER BY r.id LIMIT ${limit}`.execute(db);
  return result.rows.map((r) => Number(r.id));
}

/** Anonymizes the registrations `ids`: the event, the day of registering and attendance stay. */
export async function anonymizeRegistrations(
  db: Kysely<EventsTables>,
  ids: readonly number[],
): Promise<number> {
  if (ids.length === 0) return 0;
  await tallyLinked(releaseDb(db), EVENTS_SCOPE, { ids });
  return unlinkRows(db, 'registrations', ['registered_at'], sql`id IN ${idList(db, ids)}`);
}
