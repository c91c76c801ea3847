import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { normalizeCardNumber } from '../../src/privacy/context/cardNumber.js';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import type { DisclosureContext } from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';
import { actingForCard, ON_BEHALF_REFUSED } from '../../src/privacy/context/onBehalf.js';
import { RegisterFacts } from '../../subgraphs/circulation/facts.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';

/** On-behalf actions take the card the patron presents: who may act for whom, and one refusal for every bad card. */

let db: Database<CirculationTables>;
let cards: RegisterFacts;

beforeAll(async () => {
  db = await openTestStore<CirculationTables>('circulation', circulationMigrations);
  cards = new RegisterFacts(db.db);
  await db.db
    .insertInto('patrons')
    .values(
      ['ann', 'bob'].map((id) => ({
        id,
        card_number: `2901-${id}`,
        name: id,
        email: null,
        phone: null,
        address: null,
        birth_date: '1990-01-01',
        home_branch_id: 'br_01',
        pin_hash: null,
        reading_history: 0,
        created_at: '2026-01-01T00:00:00Z',
      })),
    )
    .execute();
});

const caller = (over: Partial<DisclosureContext>): DisclosureContext => ({
  principal: principalId('someone'),
  roles: [],
  duties: [],
  patronId: null,
  legalOrder: null,
  purpose: null,
  requestId: 'r',
  ...over,
});
const eventsStaff = caller({ roles: ['staff'], duties: ['events'] });
const circulationStaff = caller({ roles: ['staff'], duties: ['circulation'] });
const ann = caller({ roles: ['patron'], patronId: patronId('ann') });
const refused = { extensions: { code: 'BAD_USER_INPUT' }, message: ON_BEHALF_REFUSED };
const forbidden = { extensions: { code: 'FORBIDDEN' } };

describe('actingForCard', () => {
  it.each([
    ['events staff, a known card', eventsStaff, '2901-bob', 'events', 'bob'],
    ['circulation staff, a known card', circulationStaff, '2901-ann', 'circulation', 'ann'],
    ['a patron, no card: themself', ann, null, 'events', 'ann'],
    ['a patron, their own card', ann, '2901-ann', 'events', 'ann'],
  ] as const)('%s: acts for the holder', async (_name, who, card, duty, expected) => {
    expect(await actingForCard(who, card, duty, cards)).toBe(expected);
  });

  it.each([
    ['staff, an unknown card', eventsStaff, '2901-nobody', 'events'],
    ['staff, a card too long to be one', eventsStaff, '9'.repeat(41), 'events'],
    ["a patron, another patron's card", ann, '2901-bob', 'events'],
    ['a patron, an unknown card', ann, '2901-nobody', 'events'],
  ] as const)('%s: the one same refusal', async (_name, who, card, duty) => {
    await expect(actingForCard(who, card, duty, cards)).rejects.toMatchObject(refused);
  });

  it.each([
    ['circulation staff registering for an event', circulationStaff, 'events'],
    ['a custodian', caller({ roles: ['custodian'] }), 'circulation'],
    ['a partner', caller({ roles: ['partner'] }), 'circulation'],
    ['anonymous', caller({ principal: null }), 'events'],
  ] as const)(
    '%s: FORBIDDEN before any card is looked up, known or not',
    async (_name, who, duty) => {
      await expect(actingForCard(who, '2901-bob', duty, cards)).rejects.toMatchObject(forbidden);
      await expect(actingForCard(who, '2901-nobody', duty, cards)).rejects.toMatchObject(forbidden);
    },
  );

  it('staff must present a card', async () => {
    await expect(actingForCard(eventsStaff, ' ', 'events', cards)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: /cardNumber is required/,
    });
  });

  it("circulation's directory tells a patron no card but their own", async () => {
    expect(await cards.cardHolders(ann, ['2901-ann', '2901-bob', 'x'])).toEqual([
      'ann',
      null,
      null,
    ]);
    expect(await cards.cardHolders(caller({ roles: ['partner'] }), ['2901-ann'])).toEqual([null]);
  });
});

describe('card numbers as typed', () => {
  it('spaces a reader types anywhere in the number do not make another card', async () => {
    expect(await actingForCard(eventsStaff, ' 2901-\tb ob ', 'events', cards)).toBe('bob');
    expect(normalizeCardNumber(' 2901 0000\n1234 ')).toBe('290100001234');
  });
});

describe('refused card lookups are counted per principal', () => {
  it('attack: a staff token enumerating card numbers is locked after N refusals, with the same refusal, and the lock is logged without cards', async () => {
    let clock = new Date('2026-06-01T10:00:00Z');
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const limited = new RegisterFacts(db.db, {
      refusals: 3,
      windowMs: 60_000,
      logger: createLogger('test', 'info', sink),
      now: () => clock,
    });
    const enumerator = caller({
      principal: principalId('staff:enumerator'),
      roles: ['staff'],
      duties: ['events'],
    });
    expect(await actingForCard(enumerator, '2901-bob', 'events', limited)).toBe('bob');
    for (const guess of ['2901-x1', '2901-x2', '2901-x3'])
      await expect(actingForCard(enumerator, guess, 'events', limited)).rejects.toMatchObject(
        refused,
      );
    // Locked: even a real card gets the one same refusal; another principal is not affected.
    await expect(actingForCard(enumerator, '2901-bob', 'events', limited)).rejects.toMatchObject(
      refused,
    );
    expect(
      await actingForCard(
        { ...eventsStaff, principal: principalId('staff:other-desk') },
        '2901-bob',
        'events',
        limited,
      ),
    ).toBe('bob');
    const logged = lines.join('');
    expect(logged).toContain('staff:enumerator');
    expect(logged).toContain('"refusals":3');
    expect(logged).not.toContain('2901-');
    clock = new Date(clock.getTime() + 60_001);
    expect(await actingForCard(enumerator, '2901-bob', 'events', limited)).toBe('bob');
  });
});
