import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import { PERSONA_PATRONS } from '../personas.js';
import { ageBandOfAge } from '../../privacy/enforce/deidentify.js';
import { hashPin } from '../../privacy/authenticate/pin.js';
import { BRANCHES } from './branches.js';
import { DAY, HOUR, iso } from './clock.js';
import { type CatalogState, type SeedContext, STREAMS, itemId, workId } from './context.js';
import type { SeededEvent } from './events.js';
import { FORMATS, IN_SERVICE, LOAN_DAYS_BY_INDEX } from './formats.js';
import { overdueFineCents } from './fines.js';
import { Random } from './random.js';

type PatronRow = CirculationTables['patrons'];
type HoldRow = Omit<CirculationTables['holds'], 'id'>;

const { patron, minor, guardian } = PERSONA_PATRONS;

/**
 * The persona patrons' fixed activity, which documentation and tests name:
 * patron: reading history on, 3 open loans (the third overdue), 5 returned loans (one returned
 * late and fined, unpaid), 1 WAITING hold, registrations for one upcoming and one past event;
 * minor: 2 open loans, 1 READY hold, 1 upcoming event; guardian: 1 open loan.
 * Offsets are days from the seeding day; each loan has its own reserved copy.
 * Retention: the patron's returned loans stay linked because reading history is on (and one has an
 * unpaid fine); the past registration is written linked and the first purge anonymizes it.
 */
const PERSONA_LOANS: ReadonlyArray<{
  patronId: string;
  out: number;
  returnedAfter?: number;
  fined?: true;
}> = [
  { patronId: patron.id, out: -10 },
  { patronId: patron.id, out: -5 },
  { patronId: patron.id, out: -30 },
  { patronId: patron.id, out: -200, returnedAfter: 14 },
  { patronId: patron.id, out: -150, returnedAfter: 20 },
  { patronId: patron.id, out: -100, returnedAfter: 9 },
  { patronId: patron.id, out: -70, returnedAfter: 27, fined: true },
  { patronId: patron.id, out: -45, returnedAfter: 12 },
  { patronId: minor.id, out: -3 },
  { patronId: minor.id, out: -12 },
  { patronId: guardian.id, out: -2 },
];
const PERSONA_AGE: Record<string, number> = Object.fromEntries(
  [patron, minor, guardian].map((p) => [p.id, p.age]),
);
const PERSONA_HOME: Record<string, string> = Object.fromEntries(
  [patron, minor, guardian].map((p) => [p.id, p.homeBranchId]),
);
/** Copies reserved: one per persona loan, plus the copy on the minor's READY hold. */
const PERSONA_ITEMS = PERSONA_LOANS.length + 1;

/** The three persona patron rows: fixed identity, PIN hashed, birth date from the persona's age. */
export async function personaPatronRows(ctx: SeedContext): Promise<PatronRow[]> {
  const since: Record<string, number> = { [patron.id]: 1500, [minor.id]: 700, [guardian.id]: 2100 };
  return Promise.all(
    [patron, minor, guardian].map(async (p) => ({
      id: p.id,
      card_number: p.cardNumber,
      name: p.name,
      email: p.email,
      phone: p.phone,
      address: p.address,
      birth_date: ctx.clock.birthDate(p.age, 100),
      home_branch_id: p.homeBranchId,
      pin_hash: await hashPin(p.pin),
      reading_history: p.id === patron.id ? 1 : 0,
      created_at: iso(ctx.clock.days(-(since[p.id] ?? 1000)) + 17 * HOUR),
    })),
  );
}

/** Sets aside in-service book copies of distinct works for the personas' loans and hold. */
export function reservePersonaItems(ctx: SeedContext, catalog: CatalogState): void {
  const rng = new Random(ctx.seed, STREAMS.personas);
  const works = new Set<number>();
  const count = catalog.itemWork.length;
  for (let a = 0; catalog.personaItems.length < PERSONA_ITEMS && a < count * 4; a++) {
    const n = rng.int(0, count - 1);
    const work = catalog.itemWork[n] ?? 0;
    if (
      catalog.itemStatus[n] !== IN_SERVICE ||
      FORMATS[catalog.workFormat[work] ?? 0] !== 'BOOK' ||
      works.has(work)
    )
      continue;
    works.add(work);
    catalog.personaItems.push(n);
  }
  if (catalog.personaItems.length < PERSONA_ITEMS)
    throw new Error('seed: too few book copies for the personas');
}

/** Writes the persona loans; returns the id of the patron persona's fined (late) loan. */
export async function seedPersonaLoans(ctx: SeedContext, catalog: CatalogState): Promise<number> {
  let finedLoanId = 0;
  for (const [i, plan] of PERSONA_LOANS.entries()) {
    const n = catalog.personaItems[i] ?? 0;
    const period =
      (LOAN_DAYS_BY_INDEX[catalog.workFormat[catalog.itemWork[n] ?? 0] ?? 0] ?? 21) * DAY;
    const out = ctx.clock.days(plan.out) + 17 * HOUR;
    const returned =
      plan.returnedAfter === undefined ? null : out + plan.returnedAfter * DAY + 2 * HOUR;
    const row = await ctx.db.circulation
      .insertInto('loans')
      .values({
        item_id: itemId(n),
        patron_id: plan.patronId,
        branch_id: BRANCHES[catalog.itemBranch[n] ?? 0]?.id ?? 'br_01',
        checked_out_at: iso(out),
        due_at: iso(out + period),
        returned_at: returned === null ? null : iso(returned),
        renewals: 0,
        patron_age_band: ageBandOfAge(PERSONA_AGE[plan.patronId] ?? 30),
        patron_home_branch_id: PERSONA_HOME[plan.patronId] ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (returned === null) catalog.itemOnLoan[n] = 1;
    if (plan.fined) finedLoanId = row.id;
  }
  ctx.count('circulation.loans', PERSONA_LOANS.length);
  return finedLoanId;
}

/** The persona holds: the patron waits for a work; the minor's copy is on the hold shelf. */
export function personaHoldRows(ctx: SeedContext, catalog: CatalogState): HoldRow[] {
  const rng = new Random(ctx.seed, STREAMS.personas + 100);
  const reservedWorks = new Set(catalog.personaItems.map((n) => catalog.itemWork[n] ?? 0));
  let waitingWork = rng.int(0, catalog.workFormat.length - 1);
  while (reservedWorks.has(waitingWork)) waitingWork = rng.int(0, catalog.workFormat.length - 1);
  const shelf = catalog.personaItems[PERSONA_LOANS.length] ?? 0;
  catalog.itemOnHoldShelf[shelf] = 1;
  return [
    {
      work_id: workId(waitingWork),
      patron_id: patron.id,
      pickup_branch_id: patron.homeBranchId,
      placed_at: iso(ctx.clock.days(-8) + 18 * HOUR),
      status: 'WAITING',
      item_id: null,
      closed_at: null,
    },
    {
      work_id: workId(catalog.itemWork[shelf] ?? 0),
      patron_id: minor.id,
      pickup_branch_id: BRANCHES[catalog.itemBranch[shelf] ?? 0]?.id ?? 'br_01',
      placed_at: iso(ctx.clock.days(-4) + 20 * HOUR),
      status: 'READY',
      item_id: itemId(shelf),
      closed_at: null,
    },
  ];
}

/** The patron persona's unpaid overdue fine, on its late loan. */
export async function seedPersonaFine(ctx: SeedContext, loanId: number): Promise<void> {
  const loan = await ctx.db.circulation
    .selectFrom('loans')
    .select(['due_at', 'returned_at'])
    .where('id', '=', loanId)
    .executeTakeFirstOrThrow();
  const returned = loan.returned_at ?? loan.due_at;
  await ctx.db.circulation
    .insertInto('fines')
    .values({
      patron_id: patron.id,
      loan_id: loanId,
      amount_cents: overdueFineCents(Date.parse(returned) - Date.parse(loan.due_at)),
      reason: 'OVERDUE',
      created_at: returned,
      paid_at: null,
    })
    .execute();
  ctx.count('circulation.fines', 1);
}

/**
 * Promises persona seats: the patron an upcoming event (at its home branch if one is scheduled)
 * and the most recent past one; the minor an upcoming children's or teen event.
 */
export function assignPersonaSeats(ctx: SeedContext, events: SeededEvent[]): void {
  const upcoming = events.filter((e) => e.start > ctx.clock.anchor + DAY);
  const past = events.filter((e) => Date.parse(e.row.ends_at) < ctx.clock.anchor);
  const soonest = (list: SeededEvent[]): SeededEvent | undefined => list[0];
  const patronFuture =
    soonest(upcoming.filter((e) => e.row.branch_id === patron.homeBranchId)) ?? soonest(upcoming);
  const minorFuture =
    soonest(upcoming.filter((e) => e.audience === 'children' || e.audience === 'teens')) ??
    soonest(upcoming);
  const patronPast = past[past.length - 1];
  if (!patronFuture || !minorFuture || !patronPast)
    throw new Error('seed: too few events for the personas');
  patronFuture.personas.push(patron.id);
  patronPast.personas.push(patron.id);
  minorFuture.personas.push(minor.id);
}
