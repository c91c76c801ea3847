import type { EventsTables } from '../../../subgraphs/events/migrations.js';
import { insertChunk, writeInChunks } from './batches.js';
import { BRANCHES } from './branches.js';
import { BRANCH_WEIGHTS } from './catalog.js';
import { DAY, HOUR, MINUTE, iso } from './clock.js';
import { type PatronState, type SeedContext, STREAMS, eventId } from './context.js';
import { type Audience, DENVER_UTC_OFFSET_HOURS, PROGRAMS } from './programs.js';
import { Random, seededFaker } from './random.js';
import { toDay } from '../../retention/rules.js';
import { releaseDb, Tally } from '../../analytics/release/tally.js';

type EventRow = EventsTables['events'];
type RegistrationRow = Omit<EventsTables['registrations'], 'id'>;

/** Share of events already held. */
const PAST_SHARE = 0.6;

/** An event as later phases need it: its row plus who it is for. */
export interface SeededEvent {
  row: EventRow;
  audience: Audience;
  start: number;
  /** Seats already promised to persona patrons, by patron id. */
  personas: string[];
}

/**
 * Writes the events, past (up to a year ago) and upcoming (up to 90 days ahead), at each program's
 * usual local hours, capacity 10 to 60. Ids `ev_<n>` follow start time. Past events end before
 * the seeding day begins; upcoming ones start after it ends, so both hold whatever the hour of `now`.
 */
export async function seedEvents(ctx: SeedContext): Promise<SeededEvent[]> {
  const rng = new Random(ctx.seed, STREAMS.events);
  const faker = seededFaker(ctx.seed, STREAMS.events);
  const branchCount = Math.min(ctx.plan.branches, BRANCHES.length);
  const drafts: Array<Omit<SeededEvent, 'row'> & { row: Omit<EventRow, 'id'> }> = [];
  for (let i = 0; i < ctx.plan.events; i++) {
    const program = rng.pick(PROGRAMS);
    const day = rng.chance(PAST_SHARE) ? -rng.int(2, 365) : rng.int(1, 90);
    const start =
      ctx.clock.days(day) +
      (rng.pick(program.hours) + DENVER_UTC_OFFSET_HOURS) * HOUR +
      rng.pick([0, 30]) * MINUTE;
    const branch = BRANCHES[rng.weighted(BRANCH_WEIGHTS.subarray(0, branchCount))] ?? BRANCHES[0]!;
    drafts.push({
      audience: program.audience,
      start,
      personas: [],
      row: {
        title: program.title(faker, rng),
        description: `${program.description} ${branch.name}.`,
        branch_id: branch.id,
        starts_at: iso(start),
        ends_at: iso(start + program.minutes * MINUTE),
        capacity: rng.int(2, 12) * 5,
      },
    });
  }
  // Stable sort: ties keep generation order, so ids are deterministic.
  drafts.sort((a, b) => a.start - b.start);
  const events: SeededEvent[] = drafts.map((d, i) => ({ ...d, row: { id: eventId(i), ...d.row } }));

  ctx.progress('events', 0, events.length);
  const written = await writeInChunks(
    events.map((e) => e.row),
    (chunk) =>
      insertChunk(ctx.db.events, chunk, (trx, rows) =>
        trx.insertInto('events').values(rows).execute(),
      ),
    (done) => ctx.progress('events', done, events.length),
  );
  ctx.count('events.events', written);
  return events;
}

/**
 * Writes registrations: past events mostly full with attendance recorded, upcoming ones filling
 * as they near; children's programs draw mostly minors. A patron registers for an event once.
 * Registrations of past events are written anonymized (no patron, the day of registering), as
 * the default retention rule (`immediately`) leaves them. Seats promised to personas
 * (`SeededEvent.personas`) are written linked, the patron's past one included: a fixture the
 * tests name, which the first purge run anonymizes like any other.
 */
export async function seedRegistrations(
  ctx: SeedContext,
  events: SeededEvent[],
  patrons: PatronState,
): Promise<number> {
  const rng = new Random(ctx.seed, STREAMS.registrations);
  const anchor = ctx.clock.anchor;
  const minors: number[] = [];
  const adults: number[] = [];
  patrons.adult.forEach((a, i) => (a ? adults : minors).push(i));

  /** Who registered for each row and where, for the statistics tally (the row itself may be anonymized). */
  const tallied = new WeakMap<
    RegistrationRow,
    { patronId: string; month: string; branch: string }
  >();

  function* registrations(): Generator<RegistrationRow> {
    for (const event of events) {
      const past = event.start < anchor;
      const seats = event.row.capacity - event.personas.length;
      const fill = past
        ? 0.4 + 0.6 * rng.float()
        : rng.float() * Math.max(0.1, 1 - (event.start - anchor) / (100 * DAY));
      const wanted = Math.min(seats, Math.round(seats * fill), patrons.ids.length);
      const kids = event.audience === 'children' || event.audience === 'teens';
      const anonymous = Date.parse(event.row.ends_at) < anchor;
      const chosen = new Set<number>();
      for (let a = 0; chosen.size < wanted && a < wanted * 20; a++) {
        const pool =
          kids && minors.length > 0 && rng.chance(0.7)
            ? minors
            : adults.length > 0
              ? adults
              : minors;
        chosen.add(rng.pick(pool));
      }
      for (const p of chosen) {
        const registered = Math.min(
          event.start - rng.int(60, 30 * 24 * 60) * MINUTE,
          anchor - rng.int(60, 10 * 24 * 60) * MINUTE,
        );
        const row: RegistrationRow = {
          event_id: event.row.id,
          patron_id: anonymous ? null : (patrons.ids[p] ?? null),
          registered_at: anonymous ? toDay(iso(registered)) : iso(registered),
          attended: past && rng.chance(0.8) ? 1 : 0,
        };
        if (patrons.ids[p])
          tallied.set(row, {
            patronId: patrons.ids[p],
            month: event.row.starts_at.slice(0, 7),
            branch: event.row.branch_id,
          });
        yield row;
      }
      for (const patronId of event.personas) {
        yield {
          event_id: event.row.id,
          patron_id: patronId,
          registered_at: iso(Math.min(event.start - 5 * DAY, anchor - 3 * DAY)),
          attended: past ? 1 : 0,
        };
      }
    }
  }

  const expected = events.reduce((sum, e) => sum + e.row.capacity, 0);
  ctx.progress('registrations', 0, expected);
  const tally = new Tally('events');
  const written = await writeInChunks(
    registrations(),
    (chunk) =>
      insertChunk(ctx.db.events, chunk, async (trx, rows) => {
        const ids = await trx.insertInto('registrations').values(rows).returning('id').execute();
        const linked = rows.flatMap((row, i) => {
          const t = tallied.get(row);
          return t
            ? [{ rowId: ids[i]!.id, month: t.month, cell: t.branch, patronId: t.patronId }]
            : [];
        });
        await tally.add(releaseDb(trx), linked);
      }),
    (done) => ctx.progress('registrations', done, expected),
  );
  ctx.count('events.registrations', written);
  ctx.progress('registrations', written, written);
  return written;
}
