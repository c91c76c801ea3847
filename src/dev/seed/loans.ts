import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import { writeInChunks } from './batches.js';
import { BRANCHES } from './branches.js';
import { DAY, MINUTE, iso } from './clock.js';
import {
  type CatalogState,
  type PatronState,
  type SeedContext,
  STREAMS,
  itemId,
} from './context.js';
import { IN_SERVICE, LOAN_DAYS_BY_INDEX } from './formats.js';
import { Random, drawShare } from './random.js';
import { ageBandOfAge } from '../../privacy/enforce/deidentify.js';
import { toDay } from '../../retention/rules.js';
import { Tally, releaseDb } from '../../analytics/release/tally.js';
import { sql } from 'kysely';
import { dialectOf } from '../../db/dialect.js';
import { KEY_SEPARATOR } from '../../analytics/release/tables.js';
import { FORMATS } from './formats.js';
import type { Kysely } from 'kysely';
import type { LinkedRow } from '../../analytics/release/scopes.js';
import type { ReleaseTables } from '../../analytics/release/tables.js';
import { releasedMonths, tallyEntry } from '../../analytics/release/tally.js';
import { CopyWriter, copies } from './copy.js';
import { withKeysDeferred } from './durability.js';

type LoanRow = Omit<CirculationTables['loans'], 'id'>;

/** The loan columns COPY writes, the id first. */
const LOAN_COLUMNS = [
  'id',
  'item_id',
  'patron_id',
  'branch_id',
  'checked_out_at',
  'due_at',
  'returned_at',
  'renewals',
  'patron_age_band',
  'patron_home_branch_id',
] as const;

/** Share of in-service items with loan history that are out right now. */
const OPEN_SHARE = 0.25;
/** Share of open loans that are past due. */
const OVERDUE_SHARE = 0.2;
/** Share of returned loans that came back late (the fines phase charges some of them). */
const LATE_SHARE = 0.12;
/** How far back lending history goes. */
const HISTORY_DAYS = 730;
/** The most loans one copy gets, so no item's history runs past HISTORY_DAYS too often. */
const MAX_LOANS_PER_ITEM = 40;

/** 0, 1 or 2 renewals, most loans none. */
function renewals(rng: Random): number {
  const u = rng.float();
  return u < 0.75 ? 0 : u < 0.93 ? 1 : 2;
}

/** A patron index: most loans spread evenly, a third go to the busiest tenth of patrons. */
export function pickPatron(rng: Random, patrons: number): number {
  return rng.chance(0.3)
    ? rng.int(0, Math.max(0, Math.floor(patrons / 10) - 1))
    : rng.int(0, patrons - 1);
}

/**
 * Writes the generated loans, item by item: each copy's loans are laid back to back into the
 * past, so a copy never has two loans at once, and only its latest loan may still be open.
 * Holds: due_at = checked_out_at + loan period of the format x (1 + renewals); returned loans
 * come back before now; open loans are marked in `catalog.itemOnLoan` for the holds phase.
 * Persona items are skipped: their loans are the personas' fixed ones.
 * Retention (default rule, `immediately`): a returned loan is written already anonymized (no
 * patron, dates to the day) unless its borrower keeps reading history or it came back late; late
 * loans stay linked for the fines phase, and `applyRetention` anonymizes those whose fine is paid
 * or was never charged. Late returns are whole days late, so a fine's amount still follows from
 * its loan's dates once they are cut to the day.
 */
export async function seedLoans(
  ctx: SeedContext,
  catalog: CatalogState,
  patrons: PatronState,
  target: number,
): Promise<number> {
  const rng = new Random(ctx.seed, STREAMS.loans);
  const anchor = ctx.clock.anchor;
  const historyStart = anchor - HISTORY_DAYS * DAY;
  const skip = new Set(catalog.personaItems);
  const itemCount = catalog.itemWork.length;
  const patronCount = patrons.ids.length;
  const mins = (lo: number, hi: number): number => rng.int(lo, hi) * MINUTE;
  /** What every loan keeps of its borrower: the age band at checkout and the home branch. */
  const borrower = (p: number, checkedOut: number) => ({
    patron_age_band: ageBandOfAge(
      (patrons.age[p] ?? 30) - Math.floor((anchor - checkedOut) / (365.25 * DAY)),
    ),
    patron_home_branch_id: BRANCHES[patrons.homeBranch[p] ?? 0]?.id ?? null,
  });

  /** Who borrowed each row and in which cell, for the statistics tally (the row itself may be anonymized). */
  const tallied = new WeakMap<LoanRow, { patronId: string; format: string }>();
  const linkOf = (row: LoanRow, id: number): LinkedRow | undefined => {
    const t = tallied.get(row);
    if (!t) return undefined;
    const cell = [
      row.branch_id,
      t.format,
      row.patron_age_band ?? '',
      row.patron_home_branch_id ?? '',
    ].join(KEY_SEPARATOR);
    return { rowId: id, month: row.checked_out_at.slice(0, 7), cell, patronId: t.patronId };
  };
  const tallyOf = (rows: LoanRow[], ids: readonly number[]) =>
    rows.flatMap((row, i) => {
      const link = linkOf(row, ids[i]!);
      return link ? [link] : [];
    });

  function* loans(): Generator<LoanRow> {
    if (patronCount === 0) return;
    let remaining = target;
    const perItem: LoanRow[] = [];
    for (let n = 0; n < itemCount; n++) {
      if (skip.has(n)) continue;
      const k = drawShare(rng, remaining, itemCount - n, 0, MAX_LOANS_PER_ITEM);
      if (k === 0) continue;
      const format = catalog.workFormat[catalog.itemWork[n] ?? 0] ?? 0;
      const formatName = FORMATS[format] ?? '';
      const period = (LOAN_DAYS_BY_INDEX[format] ?? 21) * DAY;
      const branchId = BRANCHES[catalog.itemBranch[n] ?? 0]?.id ?? 'br_01';
      const item = itemId(n);
      perItem.length = 0;
      let cursor: number;
      let made = 0;
      if (catalog.itemStatus[n] === IN_SERVICE && rng.chance(OPEN_SHARE)) {
        const r = renewals(rng);
        const span = period * (1 + r);
        const due = rng.chance(OVERDUE_SHARE)
          ? anchor - mins(24 * 60, 45 * 24 * 60)
          : anchor + DAY + mins(0, Math.max(0, span - DAY) / MINUTE - 1);
        const p = pickPatron(rng, patronCount);
        const open: LoanRow = {
          item_id: item,
          patron_id: patrons.ids[p] ?? null,
          branch_id: branchId,
          checked_out_at: iso(due - span),
          due_at: iso(due),
          returned_at: null,
          renewals: r,
          ...borrower(p, due - span),
        };
        if (patrons.ids[p]) tallied.set(open, { patronId: patrons.ids[p], format: formatName });
        perItem.push(open);
        catalog.itemOnLoan[n] = 1;
        cursor = due - span;
        made = 1;
      } else {
        cursor = anchor - mins(0, 20 * 24 * 60);
      }
      for (; made < k; made++) {
        const returned = cursor - mins(120, 25 * 24 * 60);
        const r = renewals(rng);
        const span = period * (1 + r);
        const late = rng.chance(LATE_SHARE);
        const checkedOut = late
          ? returned - span - rng.int(2, 30) * DAY
          : returned - mins(24 * 60, span / MINUTE);
        if (checkedOut < historyStart) break;
        const p = pickPatron(rng, patronCount);
        const keep = late || patrons.readingHistory[p] === 1;
        const date = keep ? iso : (ms: number) => toDay(iso(ms));
        const returnedLoan: LoanRow = {
          item_id: item,
          patron_id: keep ? (patrons.ids[p] ?? null) : null,
          branch_id: branchId,
          checked_out_at: date(checkedOut),
          due_at: date(checkedOut + span),
          returned_at: date(returned),
          renewals: r,
          ...borrower(p, checkedOut),
        };
        if (patrons.ids[p])
          tallied.set(returnedLoan, { patronId: patrons.ids[p], format: formatName });
        perItem.push(returnedLoan);
        cursor = checkedOut;
      }
      remaining -= perItem.length;
      // Oldest first, so loan ids of one copy follow its history.
      for (let i = perItem.length - 1; i >= 0; i--) yield perItem[i]!;
    }
  }

  ctx.progress('loans', 0, target);
  if (copies(ctx.db.circulation)) {
    const written = await copyLoans(ctx, loans(), linkOf, (done) =>
      ctx.progress('loans', Math.min(done, target), target),
    );
    ctx.count('circulation.loans', written);
    return written;
  }
  // Tally rows wait for 250,000 (about 40 MB) before they are written: see Tally.
  const tally = new Tally('circulation', 250_000);
  // The tally's primary key takes random digests: a page cache that holds it keeps inserts off the disk.
  const sqlite = dialectOf(ctx.db.circulation) === 'sqlite';
  const cache = sqlite
    ? (await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(ctx.db.circulation)).rows[0]
    : undefined;
  if (sqlite) await sql`PRAGMA cache_size = -262144`.execute(ctx.db.circulation);
  const written = await writeInChunks(
    loans(),
    (chunk) =>
      ctx.db.circulation.transaction().execute(async (trx) => {
        const linked: ReturnType<typeof tallyOf> = [];
        for (const rows of chunk) {
          const ids = await trx.insertInto('loans').values(rows).returning('id').execute();
          linked.push(
            ...tallyOf(
              rows,
              ids.map((r) => r.id),
            ),
          );
        }
        // The tally statistics count distinct borrowers from, taken while the seed still knows them.
        await tally.add(releaseDb(trx), linked);
      }),
    (done) => ctx.progress('loans', Math.min(done, target), target),
  );
  await ctx.db.circulation.transaction().execute((trx) => tally.flush(releaseDb(trx)));
  if (sqlite)
    await sql
      .raw(`PRAGMA cache_size = ${Math.trunc(Number(cache?.cache_size ?? -2000))}`)
      .execute(ctx.db.circulation);
  ctx.count('circulation.loans', written);
  return written;
}

/**
 * PostgreSQL: COPYs the loans with ids numbered here (the next after the table's largest), and at
 * once the tally of each linked loan and its tallied mark (stats_tallied, stats_tally: what
 * `tallyRows` writes, keys built after the load), then moves the loans' id sequence past the last.
 */
async function copyLoans(
  ctx: SeedContext,
  rows: Iterable<LoanRow>,
  linkOf: (row: LoanRow, id: number) => LinkedRow | undefined,
  onRows: (written: number) => void,
): Promise<number> {
  const db = ctx.db.circulation;
  const top = await db
    .selectFrom('loans')
    .select(sql<number>`coalesce(max(id), 0)`.as('max'))
    .executeTakeFirstOrThrow();
  const first = Number(top.max) + 1;
  const released = await releasedMonths(releaseDb(db), 'circulation');
  const written = await withKeysDeferred(
    db as Kysely<unknown>,
    ['stats_tally', 'stats_tallied'],
    async () => {
      const loans = await CopyWriter.open<LoanRow & { id: number }>(db, 'loans', LOAN_COLUMNS);
      const marks = await CopyWriter.open<{ row_id: number }>(db, 'stats_tallied', ['row_id']);
      const tally = await CopyWriter.open<ReleaseTables['stats_tally']>(db, 'stats_tally', [
        'month',
        'row',
        'cell',
        'digest',
      ]);
      const writers = [loans, marks, tally];
      const keys = new Map<string, Buffer>();
      try {
        let id = first;
        for (const row of rows) {
          loans.write({ id, ...row });
          const link = linkOf(row, id);
          if (link && !released.has(link.month)) {
            marks.write({ row_id: id });
            tally.write(tallyEntry(keys, link));
          }
          id += 1;
          if (loans.rows % 5_000 === 0) {
            await Promise.all(writers.map((w) => w.drained()));
            onRows(loans.rows);
          }
        }
        const [count] = await Promise.all(writers.map((w) => w.end()));
        onRows(count ?? 0);
        return count ?? 0;
      } catch (error) {
        for (const w of writers) w.abort(error);
        throw error;
      }
    },
  );
  if (written > 0)
    await sql`SELECT setval(pg_get_serial_sequence('loans', 'id'), ${first + written - 1})`.execute(
      db,
    );
  return written;
}
