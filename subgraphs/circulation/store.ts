import { serializable } from '../../src/db/dialect.js';
import { sql, type Kysely, type Selectable } from 'kysely';
import { byKey, groupBy } from '../../src/db/batch.js';
import { InvalidInput, NotFound } from '../../src/errors/domain.js';
import type { CirculationTables } from './migrations.js';
import { ageBand } from '../../src/privacy/enforce/deidentify.js';
import { dueDate, overdueFineCents, renewalRefusal } from './lending.js';
import {
  anonymizeDueHolds,
  anonymizeDueLoans,
  keptOnlyForReadingHistory,
} from '../../src/retention/anonymize.js';
import { DEFAULT_RETENTION_RULES, type RetentionRules } from '../../src/config/retention.js';
import { loanCutoffs } from '../../src/retention/rules.js';

export type PatronRow = Selectable<CirculationTables['patrons']>;
/** The borrower's id under the name the privacy rules use (`subjectField: "patronId"`). */
const SUBJECT = 'patron_id as patronId' as const;
export type LoanRow = Selectable<CirculationTables['loans']> & { patronId: string | null };
export type HoldRow = Selectable<CirculationTables['holds']> & { patronId: string | null };
export type FineRow = Selectable<CirculationTables['fines']>;

/** Input of registerPatron, already validated. */
export interface NewPatron {
  id: string;
  cardNumber: string;
  name: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  birthDate: string;
  homeBranchId: string;
  pinHash: string;
}

/**
 * Circulation's data access: batch reads keyed for DataLoaders, and the lending transactions.
 * Every multi-row change runs in one transaction, so a crash never leaves half a checkout.
 * Closing a loan or a hold applies the retention rules in that same transaction: under
 * `immediately` the record never exists closed and linked at once (src/retention).
 */
export class CirculationStore {
  constructor(
    readonly db: Kysely<CirculationTables>,
    private readonly now: () => Date = () => new Date(),
    private readonly retention: RetentionRules = DEFAULT_RETENTION_RULES,
    /** Called after a committed write anonymized rows, so the old versions leave the WAL soon (WalCheckpointer). */
    private readonly afterAnonymizing: () => void = () => {},
  ) {}

  /** Runs `write` in a transaction; tells `afterAnonymizing` once it committed if it anonymized any row. */
  private async anonymizingTransaction<T>(
    write: (trx: Kysely<CirculationTables>, anonymized: (rows: number) => void) => Promise<T>,
  ): Promise<T> {
    let rows = 0;
    const result = await serializable(this.db, (trx) => {
      rows = 0;
      return write(trx, (n) => void (rows += n));
    });
    if (rows > 0) this.afterAnonymizing();
    return result;
  }

  /**
   * Loan columns as every read but `readingHistories` presents them: a returned loan linked only
   * because its borrower keeps reading history shows no patron (that history is SELF only).
   */
  private presentedLoan() {
    const hidden = keptOnlyForReadingHistory(loanCutoffs(this.retention, this.now()));
    const patron = sql<string | null>`CASE WHEN ${hidden} THEN NULL ELSE loans.patron_id END`;
    return [
      'loans.id',
      'loans.item_id',
      'loans.branch_id',
      'loans.checked_out_at',
      'loans.due_at',
      'loans.returned_at',
      'loans.renewals',
      'loans.patron_age_band',
      'loans.patron_home_branch_id',
      patron.as('patron_id'),
      patron.as('patronId'),
    ] as const;
  }

  async patronsByIds(ids: readonly string[]): Promise<(PatronRow | null)[]> {
    const rows = await this.db
      .selectFrom('patrons')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return byKey(ids, rows, (r) => r.id);
  }

  /** Every legal order naming any of the patrons (kind, seal, registration), for their own disclosure logs. */
  async legalOrdersOfPatrons(patronIds: readonly string[]): Promise<
    {
      patronId: string;
      reference: string;
      kind: string;
      sealedUntil: string | null;
      registeredAt: string;
    }[]
  > {
    const rows = await this.db
      .selectFrom('legal_order_patrons as p')
      .innerJoin('legal_orders as o', 'o.id', 'p.order_id')
      .select(['p.patron_id', 'o.reference', 'o.kind', 'o.sealed_until', 'o.created_at'])
      .where('p.patron_id', 'in', [...patronIds])
      .execute();
    return rows.map((r) => ({
      patronId: r.patron_id,
      reference: r.reference,
      kind: r.kind,
      sealedUntil: r.sealed_until,
      registeredAt: r.created_at,
    }));
  }

  async loansByIds(ids: readonly number[]): Promise<(LoanRow | null)[]> {
    const rows = await this.db
      .selectFrom('loans')
      .select(this.presentedLoan())
      .where('id', 'in', [...ids])
      .execute();
    return byKey(ids, rows, (r) => r.id);
  }

  async holdById(id: number): Promise<HoldRow | null> {
    return (
      (await this.db
        .selectFrom('holds')
        .selectAll()
        .select(SUBJECT)
        .where('id', '=', id)
        .executeTakeFirst()) ?? null
    );
  }

  /**
   * Each patron's current loans. Returned loans are not listed here, even while still linked: for a
   * patron who keeps reading history they are that history, which is theirs alone (`readingHistory`).
   */
  async loansByPatrons(ids: readonly string[]): Promise<LoanRow[][]> {
    const rows = await this.db
      .selectFrom('loans')
      .selectAll()
      .select(SUBJECT)
      .where('patron_id', 'in', [...ids])
      .where('returned_at', 'is', null)
      .orderBy('checked_out_at', 'desc')
      .execute();
    return groupBy(ids, rows, (r) => r.patron_id!);
  }

  /** Returned loans of patrons who opted into reading history; none for the others. */
  async readingHistories(ids: readonly string[]): Promise<LoanRow[][]> {
    const rows = await this.db
      .selectFrom('loans')
      .innerJoin('patrons', 'patrons.id', 'loans.patron_id')
      .selectAll('loans')
      .select('loans.patron_id as patronId')
      .where('loans.patron_id', 'in', [...ids])
      .where('patrons.reading_history', '=', 1)
      .where('loans.returned_at', 'is not', null)
      .orderBy('loans.returned_at', 'desc')
      .execute();
    return groupBy(ids, rows, (r) => r.patron_id!);
  }

  async holdsByPatrons(ids: readonly string[]): Promise<HoldRow[][]> {
    const rows = await this.db
      .selectFrom('holds')
      .selectAll()
      .select(SUBJECT)
      .where('patron_id', 'in', [...ids])
      .where('status', 'in', ['WAITING', 'READY'])
      .orderBy('placed_at')
      .execute();
    return groupBy(ids, rows, (r) => r.patron_id!);
  }

  /** Each patron's fines; a paid fine on a loan kept only for reading history shows no loan. */
  async finesByPatrons(ids: readonly string[]): Promise<FineRow[][]> {
    const hidden = keptOnlyForReadingHistory(loanCutoffs(this.retention, this.now()));
    const rows = await this.db
      .selectFrom('fines')
      .select([
        'fines.id',
        'fines.patron_id',
        'fines.amount_cents',
        'fines.reason',
        'fines.created_at',
        'fines.paid_at',
      ])
      .select(
        sql<
          number | null
        >`CASE WHEN fines.paid_at IS NOT NULL AND EXISTS (SELECT 1 FROM loans WHERE loans.id = fines.loan_id AND ${hidden})
        THEN NULL ELSE fines.loan_id END`.as('loan_id'),
      )
      .where('patron_id', 'in', [...ids])
      .orderBy('created_at')
      .execute();
    return groupBy(ids, rows, (r) => r.patron_id!);
  }

  async openLoansByItems(itemIds: readonly string[]): Promise<(LoanRow | null)[]> {
    const rows = await this.db
      .selectFrom('loans')
      .selectAll()
      .select(SUBJECT)
      .where('item_id', 'in', [...itemIds])
      .where('returned_at', 'is', null)
      .execute();
    return byKey(itemIds, rows, (r) => r.item_id);
  }

  async readyHoldsByItems(itemIds: readonly string[]): Promise<(HoldRow | null)[]> {
    const rows = await this.db
      .selectFrom('holds')
      .selectAll()
      .select(SUBJECT)
      .where('item_id', 'in', [...itemIds])
      .where('status', '=', 'READY')
      .execute();
    return byKey(itemIds, rows, (r) => r.item_id!);
  }

  async waitingHoldCounts(workIds: readonly string[]): Promise<number[]> {
    const rows = await this.db
      .selectFrom('holds')
      .select(['work_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('work_id', 'in', [...workIds])
      .where('status', '=', 'WAITING')
      .groupBy('work_id')
      .execute();
    return byKey(workIds, rows, (r) => r.work_id).map((r) => Number(r?.n ?? 0));
  }

  /** One page of loans, newest first; `after` is the last id of the previous page. */
  async listLoans(options: {
    status: 'OPEN' | 'RETURNED' | null;
    first: number;
    after: number | null;
  }): Promise<LoanRow[]> {
    let query = this.db
      .selectFrom('loans')
      .select(this.presentedLoan())
      .orderBy('id', 'desc')
      .limit(options.first);
    if (options.status === 'OPEN') query = query.where('returned_at', 'is', null);
    if (options.status === 'RETURNED') query = query.where('returned_at', 'is not', null);
    if (options.after !== null) query = query.where('id', '<', options.after);
    return query.execute();
  }

  async registerPatron(patron: NewPatron): Promise<PatronRow> {
    const row: PatronRow = {
      id: patron.id,
      card_number: patron.cardNumber,
      name: patron.name,
      email: patron.email,
      phone: patron.phone,
      address: patron.address,
      birth_date: patron.birthDate,
      home_branch_id: patron.homeBranchId,
      pin_hash: patron.pinHash,
      reading_history: 0,
      created_at: this.now().toISOString(),
    };
    await this.db.insertInto('patrons').values(row).execute();
    return row;
  }

  /**
   * Lends `itemId` to `patronId`. An item on loan cannot go out again; an item on the hold shelf
   * goes only to the patron it waits for, and that fills the hold.
   */
  async checkout(itemId: string, patronId: string): Promise<LoanRow> {
    return this.anonymizingTransaction(async (trx, anonymized) => {
      const item = await trx
        .selectFrom('items')
        .selectAll()
        .where('id', '=', itemId)
        .executeTakeFirst();
      if (!item) throw new NotFound(`No item ${itemId}.`);
      const patron = await trx
        .selectFrom('patrons')
        .select(['id', 'birth_date', 'home_branch_id'])
        .where('id', '=', patronId)
        .executeTakeFirst();
      if (!patron) throw new InvalidInput('No patron with that id.');
      const open = await trx
        .selectFrom('loans')
        .select('id')
        .where('item_id', '=', itemId)
        .where('returned_at', 'is', null)
        .executeTakeFirst();
      if (open) throw new InvalidInput('This item is already on loan.');
      const ready = await trx
        .selectFrom('holds')
        .selectAll()
        .select(SUBJECT)
        .where('item_id', '=', itemId)
        .where('status', '=', 'READY')
        .executeTakeFirst();
      if (ready && ready.patron_id !== patronId)
        throw new InvalidInput('This item is on the hold shelf for another patron.');
      const now = this.now();
      if (ready) {
        await trx
          .updateTable('holds')
          .set({ status: 'FILLED', closed_at: now.toISOString() })
          .where('id', '=', ready.id)
          .execute();
        anonymized(await anonymizeDueHolds(trx, this.retention, now, [ready.id]));
      }
      return trx
        .insertInto('loans')
        .values({
          item_id: itemId,
          patron_id: patronId,
          branch_id: item.branch_id,
          checked_out_at: now.toISOString(),
          due_at: dueDate(item.format, now).toISOString(),
          returned_at: null,
          renewals: 0,
          patron_age_band: ageBand(patron.birth_date, now.toISOString().slice(0, 10)),
          patron_home_branch_id: patron.home_branch_id,
        })
        .returningAll()
        .returning(SUBJECT)
        .executeTakeFirstOrThrow();
    });
  }

  /**
   * Checks `itemId` in: closes its loan, charges any overdue fine, readies the oldest hold, and
   * anonymizes the loan if the rules say so now (not while a fine is unpaid or the borrower keeps
   * reading history).
   */
  async returnItem(itemId: string): Promise<LoanRow> {
    return this.anonymizingTransaction(async (trx, anonymized) => {
      const loan = await trx
        .selectFrom('loans')
        .selectAll()
        .select(SUBJECT)
        .where('item_id', '=', itemId)
        .where('returned_at', 'is', null)
        .executeTakeFirst();
      if (!loan) throw new InvalidInput('This item is not on loan.');
      const now = this.now();
      await trx
        .updateTable('loans')
        .set({ returned_at: now.toISOString() })
        .where('id', '=', loan.id)
        .execute();
      const fine = overdueFineCents(loan.due_at, now);
      if (fine > 0 && loan.patron_id) {
        await trx
          .insertInto('fines')
          .values({
            patron_id: loan.patron_id,
            loan_id: loan.id,
            amount_cents: fine,
            reason: 'Overdue',
            created_at: now.toISOString(),
            paid_at: null,
          })
          .execute();
      }
      anonymized((await anonymizeDueLoans(trx, this.retention, now, { loanIds: [loan.id] })).loans);
      const returned = await trx
        .selectFrom('loans')
        .select(this.presentedLoan())
        .where('id', '=', loan.id)
        .executeTakeFirstOrThrow();
      const item = await trx
        .selectFrom('items')
        .select('work_id')
        .where('id', '=', itemId)
        .executeTakeFirstOrThrow();
      await readyNextHold(trx, item.work_id, itemId);
      return returned;
    });
  }

  /** Renews a loan from today, within the limit and only if no one else waits for the work. */
  async renewLoan(loanId: number, onlyFor: string | null): Promise<LoanRow> {
    return serializable(this.db, async (trx) => {
      const loan = await trx
        .selectFrom('loans')
        .selectAll()
        .select(SUBJECT)
        .where('id', '=', loanId)
        .executeTakeFirst();
      if (!loan || (onlyFor !== null && loan.patron_id !== onlyFor))
        throw new InvalidInput('No such loan on your account.');
      const item = await trx
        .selectFrom('items')
        .select(['work_id', 'format'])
        .where('id', '=', loan.item_id)
        .executeTakeFirstOrThrow();
      const waiting = await trx
        .selectFrom('holds')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('work_id', '=', item.work_id)
        .where('status', '=', 'WAITING')
        .where('patron_id', 'is distinct from', loan.patron_id)
        .executeTakeFirstOrThrow();
      const refusal = renewalRefusal(loan, Number(waiting.n));
      if (refusal) throw new InvalidInput(refusal);
      return trx
        .updateTable('loans')
        .set({
          due_at: dueDate(item.format, this.now()).toISOString(),
          renewals: loan.renewals + 1,
        })
        .where('id', '=', loanId)
        .returningAll()
        .returning(SUBJECT)
        .executeTakeFirstOrThrow();
    });
  }

  async placeHold(workId: string, patronId: string, pickupBranchId: string): Promise<HoldRow> {
    return serializable(this.db, async (trx) => {
      const copy = await trx
        .selectFrom('items')
        .select('id')
        .where('work_id', '=', workId)
        .executeTakeFirst();
      if (!copy) throw new NotFound(`No circulating copy of work ${workId}.`);
      const branch = await trx
        .selectFrom('items')
        .select('id')
        .where('branch_id', '=', pickupBranchId)
        .executeTakeFirst();
      if (!branch) throw new InvalidInput(`No branch ${pickupBranchId} to pick up from.`);
      const patron = await trx
        .selectFrom('patrons')
        .select('id')
        .where('id', '=', patronId)
        .executeTakeFirst();
      if (!patron) throw new InvalidInput('No patron with that id.');
      const duplicate = await trx
        .selectFrom('holds')
        .select('id')
        .where('work_id', '=', workId)
        .where('patron_id', '=', patronId)
        .where('status', 'in', ['WAITING', 'READY'])
        .executeTakeFirst();
      if (duplicate) throw new InvalidInput('This patron already has a hold on this work.');
      return trx
        .insertInto('holds')
        .values({
          work_id: workId,
          patron_id: patronId,
          pickup_branch_id: pickupBranchId,
          placed_at: this.now().toISOString(),
          status: 'WAITING',
          item_id: null,
          closed_at: null,
        })
        .returningAll()
        .returning(SUBJECT)
        .executeTakeFirstOrThrow();
    });
  }

  async cancelHold(holdId: number, onlyFor: string | null): Promise<HoldRow> {
    return this.anonymizingTransaction(async (trx, anonymized) => {
      const hold = await trx
        .selectFrom('holds')
        .selectAll()
        .select(SUBJECT)
        .where('id', '=', holdId)
        .executeTakeFirst();
      if (!hold || (onlyFor !== null && hold.patron_id !== onlyFor))
        throw new InvalidInput('No such hold on your account.');
      if (hold.status !== 'WAITING' && hold.status !== 'READY')
        throw new InvalidInput('This hold is already closed.');
      const now = this.now();
      await trx
        .updateTable('holds')
        .set({ status: 'CANCELLED', closed_at: now.toISOString() })
        .where('id', '=', holdId)
        .execute();
      anonymized(await anonymizeDueHolds(trx, this.retention, now, [holdId]));
      const cancelled = await trx
        .selectFrom('holds')
        .selectAll()
        .select(SUBJECT)
        .where('id', '=', holdId)
        .executeTakeFirstOrThrow();
      // The copy set aside goes to the next patron waiting, if any.
      if (hold.status === 'READY' && hold.item_id)
        await readyNextHold(trx, hold.work_id, hold.item_id);
      return cancelled;
    });
  }

  /**
   * Turns a patron's reading history on or off. Off applies the retention rules to the patron's
   * returned loans at once, in the same transaction: under the default every one without an unpaid
   * fine loses its link. Returns how many loans that anonymized (0 when turning it on).
   */
  async setReadingHistory(
    patronId: string,
    enabled: boolean,
  ): Promise<{ enabled: boolean; loansAnonymized: number }> {
    return this.anonymizingTransaction(async (trx, anonymized) => {
      const updated = await trx
        .updateTable('patrons')
        .set({ reading_history: enabled ? 1 : 0 })
        .where('id', '=', patronId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new InvalidInput('No patron with that id.');
      if (enabled) return { enabled, loansAnonymized: 0 };
      const { loans } = await anonymizeDueLoans(trx, this.retention, this.now(), { patronId });
      anonymized(loans);
      return { enabled, loansAnonymized: loans };
    });
  }
}

/**
 * Sets `itemId` aside for the oldest hold waiting on `workId`, if any: a copy that comes free
 * (returned, or its hold cancelled) goes to the next patron in the queue.
 */
async function readyNextHold(
  trx: Kysely<CirculationTables>,
  workId: string,
  itemId: string,
): Promise<void> {
  const next = await trx
    .selectFrom('holds')
    .select('id')
    .where('work_id', '=', workId)
    .where('status', '=', 'WAITING')
    .orderBy('placed_at')
    .orderBy('id')
    .executeTakeFirst();
  if (next)
    await trx
      .updateTable('holds')
      .set({ status: 'READY', item_id: itemId })
      .where('id', '=', next.id)
      .execute();
}
