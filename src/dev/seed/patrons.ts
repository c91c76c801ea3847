import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import { PERSONA_PATRONS } from '../personas.js';
import { writeTable } from './batches.js';
import { BRANCHES } from './branches.js';
import { BRANCH_WEIGHTS } from './catalog.js';
import { DAY, iso, toMinute } from './clock.js';
import { type PatronState, type SeedContext, STREAMS } from './context.js';
import { personaPatronRows } from './personas.js';
import { Random, seededFaker, withCheckDigit } from './random.js';

type PatronRow = CirculationTables['patrons'];

const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];

/**
 * Writes the three persona patrons (fixed ids, cards and PINs) and then the generated patrons.
 * Generated patrons get no PIN (hashing one costs ~50 ms), ids of 'pat_' and 12 hex characters
 * that never collide with a persona's, and card numbers from 29013..., apart from the personas'.
 */
export async function seedPatrons(ctx: SeedContext): Promise<PatronState> {
  const personas = await personaPatronRows(ctx);
  const generated = Math.max(0, ctx.plan.patrons - personas.length);
  const total = personas.length + generated;
  const rng = new Random(ctx.seed, STREAMS.patrons);
  const faker = seededFaker(ctx.seed, STREAMS.patrons);
  const state: PatronState = {
    ids: new Array<string>(generated),
    readingHistory: new Uint8Array(generated),
    adult: new Uint8Array(generated),
    age: new Uint8Array(generated),
    homeBranch: new Uint8Array(generated),
  };
  const taken = new Set<string>(Object.values(PERSONA_PATRONS).map((p) => p.id));

  function* patrons(): Generator<PatronRow> {
    yield* personas;
    for (let i = 0; i < generated; i++) {
      let id = `pat_${rng.hex(12)}`;
      while (taken.has(id)) id = `pat_${rng.hex(12)}`;
      taken.add(id);
      const first = faker.person.firstName();
      const last = faker.person.lastName();
      const branchIndex = rng.weighted(BRANCH_WEIGHTS);
      const branch = BRANCHES[branchIndex] ?? BRANCHES[0]!;
      const minor = rng.chance(0.18);
      const age = minor ? rng.int(4, 17) : 18 + Math.floor(75 * rng.float() ** 1.4);
      const memberDays = 730 + rng.int(0, Math.max(0, Math.min(4000, (age - 2) * 365 - 730)));
      const reading = rng.chance(0.3) ? 1 : 0;
      state.ids[i] = id;
      state.readingHistory[i] = reading;
      state.adult[i] = minor ? 0 : 1;
      state.age[i] = age;
      state.homeBranch[i] = BRANCHES[branchIndex] ? branchIndex : 0;
      const handle = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
      yield {
        id,
        card_number: withCheckDigit(`29013${String(i + 1).padStart(8, '0')}`),
        name: `${first} ${last}`,
        email: rng.chance(0.88)
          ? `${handle}${rng.chance(0.5) ? rng.int(1, 99) : ''}@${rng.pick(EMAIL_DOMAINS)}`
          : null,
        phone: rng.chance(0.9)
          ? `${rng.chance(0.6) ? '303' : '720'}-555-${String(rng.int(0, 9999)).padStart(4, '0')}`
          : null,
        address: rng.chance(0.95)
          ? `${faker.location.streetAddress()}, ${branch.city}, CO ${rng.pick(branch.zips)}`
          : null,
        birth_date: ctx.clock.birthDate(age, rng.int(1, 360)),
        home_branch_id: branch.id,
        pin_hash: null,
        reading_history: reading,
        created_at: iso(
          toMinute(ctx.clock.anchor - memberDays * DAY + rng.int(9 * 60, 20 * 60) * 60_000),
        ),
      };
    }
  }

  ctx.progress('patrons', 0, total);
  const onRows = (done: number) => ctx.progress('patrons', done, total);
  const written = await writeTable(ctx.db.circulation, 'patrons', patrons(), onRows, {
    deferIndexes: true,
  });
  ctx.count('circulation.patrons', written);
  return state;
}
