import { serializable } from '../../src/db/dialect.js';
import type { Kysely, Selectable } from 'kysely';
import { byKey, groupBy } from '../../src/db/batch.js';
import { InvalidInput, NotFound } from '../../src/errors/domain.js';
import type { EventsTables } from './migrations.js';

export type EventRow = Selectable<EventsTables['events']>;
/** A registration with its attendee under the name the privacy rules use. */
export type RegistrationRow = Selectable<EventsTables['registrations']> & {
  patronId: string | null;
};

const SUBJECT = 'patron_id as patronId' as const;
/** Events' data access: batch reads for DataLoaders, and registration transactions. */
export class EventsStore {
  constructor(
    readonly db: Kysely<EventsTables>,
    private readonly now: () => Date = () => new Date(),
    /** Called after a committed write removed a patron's row, so its old versions leave the WAL soon (WalCheckpointer). */
    private readonly onUnlinked: () => void = () => {},
  ) {}

  async eventsByIds(ids: readonly string[]): Promise<(EventRow | null)[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return byKey(ids, rows, (r) => r.id);
  }

  async upcoming(options: {
    from: string;
    branchId: string | null;
    first: number;
  }): Promise<EventRow[]> {
    let query = this.db
      .selectFrom('events')
      .selectAll()
      .where('starts_at', '>=', options.from)
      .orderBy('starts_at')
      .orderBy('id')
      .limit(options.first);
    if (options.branchId) query = query.where('branch_id', '=', options.branchId);
    return query.execute();
  }

  async registrationsOfEvents(ids: readonly string[]): Promise<RegistrationRow[][]> {
    const rows = await this.db
      .selectFrom('registrations')
      .selectAll()
      .select(SUBJECT)
      .where('event_id', 'in', [...ids])
      .orderBy('id')
      .execute();
    return groupBy(ids, rows, (r) => r.event_id);
  }

  async registrationsOfPatrons(ids: readonly string[]): Promise<RegistrationRow[][]> {
    const rows = await this.db
      .selectFrom('registrations')
      .selectAll()
      .select(SUBJECT)
      .where('patron_id', 'in', [...ids])
      .orderBy('id')
      .execute();
    return groupBy(ids, rows, (r) => r.patron_id!);
  }

  async registrationCounts(ids: readonly string[]): Promise<number[]> {
    const rows = await this.db
      .selectFrom('registrations')
      .select(['event_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('event_id', 'in', [...ids])
      .groupBy('event_id')
      .execute();
    return byKey(ids, rows, (r) => r.event_id).map((r) => Number(r?.n ?? 0));
  }

  async registrationById(id: number): Promise<RegistrationRow | null> {
    return (
      (await this.db
        .selectFrom('registrations')
        .selectAll()
        .select(SUBJECT)
        .where('id', '=', id)
        .executeTakeFirst()) ?? null
    );
  }

  /** Takes a seat: the event must be upcoming, have room, and not already have this patron. */
  async register(eventId: string, patronId: string): Promise<RegistrationRow> {
    return serializable(this.db, async (trx) => {
      const event = await trx
        .selectFrom('events')
        .selectAll()
        .where('id', '=', eventId)
        .executeTakeFirst();
      if (!event) throw new NotFound(`No event ${eventId}.`);
      const now = this.now().toISOString();
      if (event.starts_at <= now) throw new InvalidInput('This event has already started.');
      const taken = await trx
        .selectFrom('registrations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('event_id', '=', eventId)
        .executeTakeFirstOrThrow();
      if (Number(taken.n) >= event.capacity)
        throw new InvalidInput(`This event is full (capacity ${event.capacity}).`);
      const already = await trx
        .selectFrom('registrations')
        .select('id')
        .where('event_id', '=', eventId)
        .where('patron_id', '=', patronId)
        .executeTakeFirst();
      if (already) throw new InvalidInput('This patron is already registered for this event.');
      return trx
        .insertInto('registrations')
        .values({ event_id: eventId, patron_id: patronId, registered_at: now, attended: 0 })
        .returningAll()
        .returning(SUBJECT)
        .executeTakeFirstOrThrow();
    });
  }

  /** Gives a seat back; `onlyFor` restricts a patron to their own registrations. */
  async cancel(registrationId: number, onlyFor: string | null): Promise<RegistrationRow> {
    return serializable(this.db, async (trx) => {
      const row = await trx
        .selectFrom('registrations')
        .selectAll()
        .select(SUBJECT)
        .where('id', '=', registrationId)
        .executeTakeFirst();
      if (!row || (onlyFor !== null && row.patron_id !== onlyFor))
        throw new InvalidInput('No such registration of yours.');
      await trx.deleteFrom('registrations').where('id', '=', registrationId).execute();
      return row;
    }).then((row) => {
      this.onUnlinked();
      return row;
    });
  }
}
