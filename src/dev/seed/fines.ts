import { sql } from 'kysely';
import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import { PERSONA_PATRONS } from '../personas.js';
import { insertChunk, writeInChunks } from './batches.js';
import { copies, copyRows } from './copy.js';
import { DAY, MINUTE, iso } from './clock.js';
import { type SeedContext, STREAMS } from './context.js';
import { FINE_CAP_CENTS, FINE_CENTS_PER_DAY } from '../../../subgraphs/circulation/lending.js';
import { Random } from './random.js';

type FineRow = Omit<CirculationTables['fines'], 'id'>;

/** Share of late returns that were charged (the rest were waived or under a grace period). */
const CHARGED_SHARE = 0.5;
/** Share of charged fines that have been paid. */
const PAID_SHARE = 0.6;
/** Loans read per query while scanning. */
const SCAN_PAGE = 20_000;

/** The overdue fine for a loan returned `lateMs` after it was due: 25 cents a day, at most $10. */
export function overdueFineCents(lateMs: number): number {
  return Math.min(FINE_CAP_CENTS, FINE_CENTS_PER_DAY * Math.ceil(lateMs / DAY));
}

/**
 * Charges fines for some of the loans returned late, reading the loans back page by page (by id,
 * so the scan is as deterministic as the loans and memory stays flat). Persona loans are left to
 * the persona phase. Progress counts loans scanned.
 */
export async function seedFines(ctx: SeedContext): Promise<number> {
  const db = ctx.db.circulation;
  const rng = new Random(ctx.seed, STREAMS.fines);
  const anchor = ctx.clock.anchor;
  const personaIds = Object.values(PERSONA_PATRONS).map((p) => p.id);
  const maxRow = await db
    .selectFrom('loans')
    .select(sql<number>`coalesce(max(id), 0)`.as('max'))
    .executeTakeFirst();
  const maxId = Number(maxRow?.max ?? 0);

  async function* pages(): AsyncGenerator<FineRow[]> {
    for (let low = 0; low < maxId; low += SCAN_PAGE) {
      const late = await db
        .selectFrom('loans')
        .select(['id', 'patron_id', 'due_at', 'returned_at'])
        .where('id', '>', low)
        .where('id', '<=', low + SCAN_PAGE)
        .where('returned_at', 'is not', null)
        .where('patron_id', 'is not', null)
        .whereRef('returned_at', '>', 'due_at')
        .where('patron_id', 'not in', personaIds)
        .orderBy('id')
        .execute();
      const fines: FineRow[] = [];
      for (const loan of late) {
        if (!rng.chance(CHARGED_SHARE) || loan.patron_id === null || loan.returned_at === null)
          continue;
        const returned = Date.parse(loan.returned_at);
        const paidAt = rng.chance(PAID_SHARE)
          ? Math.min(anchor - MINUTE, returned + rng.int(10, 40 * 24 * 60) * MINUTE)
          : null;
        fines.push({
          patron_id: loan.patron_id,
          loan_id: loan.id,
          amount_cents: overdueFineCents(returned - Date.parse(loan.due_at)),
          reason: 'OVERDUE',
          created_at: loan.returned_at,
          paid_at: paidAt === null ? null : iso(paidAt),
        });
      }
      ctx.progress('fines', Math.min(low + SCAN_PAGE, maxId), maxId);
      yield fines;
    }
  }

  ctx.progress('fines', 0, maxId);
  let written = 0;
  if (copies(db)) {
    written = await copyRows(
      db,
      'fines',
      (async function* () {
        for await (const fines of pages()) yield* fines;
      })(),
    );
  } else {
    for await (const fines of pages()) {
      written += await writeInChunks(fines, (chunk) =>
        insertChunk(db, chunk, (trx, rows) => trx.insertInto('fines').values(rows).execute()),
      );
    }
  }
  ctx.count('circulation.fines', written);
  return written;
}
