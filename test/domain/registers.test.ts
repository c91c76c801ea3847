import { beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { type Database, sqliteOf } from '../../src/db/open.js';
import { openTestStore, TEST_ON_POSTGRES } from '../support/database.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { Registers } from '../../subgraphs/circulation/registers.js';
import { RegisterFacts } from '../../subgraphs/circulation/facts.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';
import type { DisclosureEntry } from '../../src/privacy/audit/record.js';

/** Registers of consents, legal orders and guardianships on an in-memory database. */

let db: Database<CirculationTables>;
let clock: Date;
let registers: Registers;

const patron = (id: string, birth_date = '1990-01-01') => ({
  id,
  card_number: `card-${id}`,
  name: `Name of ${id}`,
  email: null,
  phone: null,
  address: null,
  birth_date,
  home_branch_id: 'br_01',
  pin_hash: null,
  reading_history: 0,
  created_at: '2026-01-01T00:00:00Z',
});

beforeEach(async () => {
  db = await openTestStore<CirculationTables>('circulation', circulationMigrations);
  clock = new Date('2026-06-15T12:00:00Z');
  registers = new Registers(db.db, () => clock);
  await db.db
    .insertInto('patrons')
    .values([
      patron('ann'),
      patron('bob'),
      patron('cy'),
      patron('kid', '2015-03-01'),
      patron('teen', '2010-06-16'), // turns 18 tomorrow
      patron('just18', '2008-06-15'), // turns 18 today
      patron('kid2', '2016-01-01'),
    ])
    .execute();
});

const badInput = (message: string | RegExp) => ({
  kind: 'invalid-input',
  message: expect.stringMatching(message) as unknown,
});

const consent = (overrides: Record<string, unknown> = {}) => ({
  patronId: 'ann',
  grantee: 'partner:front-range-literacy',
  scope: ['IDENTITY', 'CONTACT'],
  documentRef: 'consent-form-2026-0101',
  validFrom: '2026-06-01T00:00:00Z',
  validUntil: '2027-06-01T00:00:00Z',
  ...overrides,
});

const order = (overrides: Record<string, unknown> = {}) => ({
  reference: 'JEFFCO-2026-CV-0999',
  kind: 'SUBPOENA',
  authority: 'Jefferson County District Court',
  patronIds: ['ann', 'bob'],
  scope: ['IDENTITY', 'CIRCULATION'],
  validFrom: '2026-06-16T00:00:00Z',
  validUntil: '2026-09-01T00:00:00Z',
  ...overrides,
});
const first = {
  principal: 'custodian:one',
  roles: ['custodian'],
  requestId: 'req-1',
  purpose: null,
};
const second = {
  principal: 'custodian:two',
  roles: ['custodian'],
  requestId: 'req-2',
  purpose: 'second look',
};

const guardianship = (overrides: Record<string, unknown> = {}) => ({
  guardianId: 'ann',
  minorId: 'kid',
  evidenceRef: 'card-application-2026-7',
  ...overrides,
});

describe('recordConsent', () => {
  it('stores the consent with normalized dates and returns it without any patron id', async () => {
    const result = await registers.recordConsent(
      consent({ validFrom: '2026-06-01T02:00:00+02:00' }),
    );
    expect(result).toEqual({
      id: expect.any(String) as unknown,
      grantee: 'partner:front-range-literacy',
      scope: ['IDENTITY', 'CONTACT'],
      documentRef: 'consent-form-2026-0101',
      validFrom: '2026-06-01T00:00:00.000Z',
      validUntil: '2027-06-01T00:00:00.000Z',
      revokedAt: null,
    });
    expect(JSON.stringify(result)).not.toContain('ann');
    const row = await db.db.selectFrom('consents').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      patron_id: 'ann',
      scope: '["IDENTITY","CONTACT"]',
      created_at: clock.toISOString(),
    });
  });

  it.each([
    [
      'an unparseable validFrom',
      { validFrom: 'next tuesday' },
      /^validFrom: must be an ISO 8601 date-time/,
    ],
    [
      'a date-time without a zone',
      { validUntil: '2027-01-01T00:00:00' },
      /^validUntil: must be an ISO 8601 date-time/,
    ],
    [
      'an impossible date',
      { validUntil: '2027-02-30T00:00:00Z' },
      /^validUntil: must be an ISO 8601 date-time/,
    ],
    [
      'validUntil before validFrom',
      { validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-12-01T00:00:00Z' },
      /^validUntil: must be after validFrom$/,
    ],
    [
      'validUntil equal to validFrom',
      { validFrom: '2027-01-01T00:00:00Z', validUntil: '2027-01-01T00:00:00Z' },
      /^validUntil: must be after validFrom$/,
    ],
    [
      'validUntil in the past',
      { validFrom: '2025-01-01T00:00:00Z', validUntil: '2026-06-15T11:59:59Z' },
      /^validUntil: must be in the future$/,
    ],
    ['an empty scope', { scope: [] }, /^scope: must name at least one category$/],
    [
      'a scope with a duplicate',
      { scope: ['IDENTITY', 'CONTACT', 'IDENTITY'] },
      /^scope: names a category twice$/,
    ],
    ['an unknown category', { scope: ['EVERYTHING'] }, /^scope\.0: is not a PatronDataCategory$/],
    ['a blank documentRef', { documentRef: '  ' }, /^documentRef: is required$/],
    [
      'a grantee that is not a principal id',
      { grantee: 'Front Range Literacy' },
      /^grantee: must be a principal id/,
    ],
    ['a blank patronId', { patronId: '' }, /^patronId: is required$/],
  ])('refuses %s', async (_name, overrides, message) => {
    await expect(registers.recordConsent(consent(overrides))).rejects.toMatchObject(
      badInput(message),
    );
    expect(await db.db.selectFrom('consents').select('id').execute()).toEqual([]);
  });

  it('refuses an unknown patron without echoing the id', async () => {
    const error = await registers
      .recordConsent(consent({ patronId: 'pat_nobody' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject(badInput(/^patronId: no such patron$/));
    expect((error as Error).message).not.toContain('pat_nobody');
  });

  it('refuses a second active consent to the same grantee over overlapping dates', async () => {
    await registers.recordConsent(consent());
    await expect(
      registers.recordConsent(
        consent({
          validFrom: '2027-01-01T00:00:00Z',
          validUntil: '2028-01-01T00:00:00Z',
          documentRef: 'other',
        }),
      ),
    ).rejects.toMatchObject(badInput(/^grantee: the patron already has an active consent/));
  });

  it('allows consents that do not overlap, to other grantees, for other patrons, or after a revocation', async () => {
    const first = await registers.recordConsent(consent());
    await registers.recordConsent(
      consent({ validFrom: '2027-06-01T00:00:00Z', validUntil: '2028-06-01T00:00:00Z' }),
    ); // touches, no overlap
    await registers.recordConsent(consent({ grantee: 'partner:another-org' }));
    await registers.recordConsent(consent({ patronId: 'bob' }));
    await registers.revokeConsent(first.id);
    await registers.recordConsent(consent({ documentRef: 'consent-form-2026-0102' }));
    expect(await db.db.selectFrom('consents').select('id').execute()).toHaveLength(5);
  });
});

describe('revokeConsent', () => {
  it('sets revokedAt to now, once', async () => {
    const { id } = await registers.recordConsent(consent());
    clock = new Date('2026-07-01T08:00:00Z');
    expect(await registers.revokeConsent(id)).toMatchObject({
      id,
      revokedAt: '2026-07-01T08:00:00.000Z',
    });
    await expect(registers.revokeConsent(id)).rejects.toMatchObject(
      badInput(/^consentId: this consent is already revoked$/),
    );
  });

  it('refuses an unknown or malformed id', async () => {
    await expect(registers.revokeConsent('4242')).rejects.toMatchObject(
      badInput(/^consentId: no such consent$/),
    );
    await expect(registers.revokeConsent('abc')).rejects.toMatchObject(
      badInput(/^consentId: is not a consent id$/),
    );
  });
});

describe('registerLegalOrder', () => {
  it('writes the order and its patrons in one go and returns a count, never the patrons', async () => {
    const result = await registers.registerLegalOrder(
      order({ patronIds: ['ann', 'bob', 'kid'] }),
      first,
    );
    expect(result).toEqual({
      id: expect.any(String) as unknown,
      reference: 'JEFFCO-2026-CV-0999',
      kind: 'SUBPOENA',
      authority: 'Jefferson County District Court',
      scope: ['IDENTITY', 'CIRCULATION'],
      validFrom: '2026-06-16T00:00:00.000Z',
      validUntil: '2026-09-01T00:00:00.000Z',
      patronCount: 3,
      status: 'AWAITING_APPROVAL',
      registeredBy: 'custodian:one',
      registeredAt: clock.toISOString(),
      approvedBy: null,
      approvedAt: null,
      sealedUntil: null,
    });
    const patrons = await db.db
      .selectFrom('legal_order_patrons')
      .select(['order_id', 'patron_id'])
      .orderBy('patron_id')
      .execute();
    expect(patrons).toEqual(
      ['ann', 'bob', 'kid'].map((patron_id) => ({ order_id: Number(result.id), patron_id })),
    );
  });

  it('names the first unknown patron by position only, and leaves no order behind', async () => {
    const error = await registers
      .registerLegalOrder(order({ patronIds: ['ann', 'bob', 'pat_ghost', 'also-missing'] }), first)
      .catch((e: unknown) => e);
    expect(error).toMatchObject(badInput(/^patronIds\[2\]: no such patron$/));
    expect((error as Error).message).not.toContain('pat_ghost');
    expect(await db.db.selectFrom('legal_orders').select('id').execute()).toEqual([]);
    expect(await db.db.selectFrom('legal_order_patrons').select('order_id').execute()).toEqual([]);
  });

  it('rolls the order back when writing its patrons fails midway', async () => {
    // A trigger makes the patron rows fail after the order row is in: the transaction must undo both.
    if (db.dialect === 'postgres') {
      await sql`CREATE FUNCTION fail_patrons() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.patron_id = 'bob' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$`.execute(
        db.db,
      );
      await sql`CREATE TRIGGER fail_patrons BEFORE INSERT ON legal_order_patrons FOR EACH ROW EXECUTE FUNCTION fail_patrons()`.execute(
        db.db,
      );
    } else {
      sqliteOf(db)
        .exec(`CREATE TRIGGER fail_patrons BEFORE INSERT ON legal_order_patrons WHEN NEW.patron_id = 'bob'
        BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    }
    await expect(registers.registerLegalOrder(order(), first)).rejects.toThrow('disk full');
    expect(await db.db.selectFrom('legal_orders').select('id').execute()).toEqual([]);
    expect(await db.db.selectFrom('legal_order_patrons').select('order_id').execute()).toEqual([]);
  });

  it('refuses a reference already registered', async () => {
    await registers.registerLegalOrder(order(), first);
    await expect(
      registers.registerLegalOrder(order({ patronIds: ['cy'] }), first),
    ).rejects.toMatchObject(
      badInput(/^reference: an order with this reference is already registered$/),
    );
    expect(
      await db.db.selectFrom('legal_order_patrons').select('patron_id').execute(),
    ).toHaveLength(2);
  });

  it('turns a unique violation that slips past the check (two custodians racing) into the same refusal', async () => {
    // The pre-check sees no order; a trigger plays the other custodian, inserting the same reference first.
    if (db.dialect === 'postgres') {
      await sql`CREATE FUNCTION racing_custodian() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF pg_trigger_depth() = 1 THEN
          INSERT INTO legal_orders (reference, kind, authority, scope, valid_from, valid_until, created_at)
          VALUES (NEW.reference, NEW.kind, NEW.authority, NEW.scope, NEW.valid_from, NEW.valid_until, NEW.created_at);
        END IF;
        RETURN NEW; END $$`.execute(db.db);
      await sql`CREATE TRIGGER racing_custodian BEFORE INSERT ON legal_orders FOR EACH ROW EXECUTE FUNCTION racing_custodian()`.execute(
        db.db,
      );
    } else {
      sqliteOf(db).exec(`CREATE TRIGGER racing_custodian BEFORE INSERT ON legal_orders BEGIN
        INSERT INTO legal_orders (reference, kind, authority, scope, valid_from, valid_until, created_at)
        VALUES (NEW.reference, NEW.kind, NEW.authority, NEW.scope, NEW.valid_from, NEW.valid_until, NEW.created_at); END`);
    }
    await expect(registers.registerLegalOrder(order(), first)).rejects.toMatchObject(
      badInput(/^reference: an order with this reference is already registered$/),
    );
    expect(await db.db.selectFrom('legal_order_patrons').select('patron_id').execute()).toEqual([]);
  });

  it.each([
    ['no patrons', { patronIds: [] }, /^patronIds: must name at least one patron$/],
    [
      'more than 1000 patrons',
      { patronIds: Array.from({ length: 1001 }, (_, i) => `p${i}`) },
      /^patronIds: names at most 1000 patrons$/,
    ],
    [
      'the same patron twice',
      { patronIds: ['ann', 'bob', 'ann'] },
      /^patronIds\[2\]: the same patron as patronIds\[0\]$/,
    ],
    [
      'an unknown kind',
      { kind: 'WARRANT' },
      /^kind: must be SUBPOENA, COURT_ORDER or OTHER_LEGAL_REQUIREMENT$/,
    ],
    ['a blank authority', { authority: '' }, /^authority: is required$/],
    [
      'a reference that cannot travel in a header',
      { reference: 'CV\u20130142' },
      /^reference: must be printable ASCII/,
    ],
    [
      'a reference over 200 characters',
      { reference: 'R'.repeat(201) },
      /^reference: is at most 200 characters$/,
    ],
    ['an empty scope', { scope: [] }, /^scope: must name at least one category$/],
    [
      'a duplicate in scope',
      { scope: ['CIRCULATION', 'CIRCULATION'] },
      /^scope: names a category twice$/,
    ],
    [
      'validFrom after validUntil',
      { validFrom: '2026-10-01T00:00:00Z' },
      /^validUntil: must be after validFrom$/,
    ],
    [
      'an expired order',
      { validFrom: undefined, validUntil: '2026-06-01T00:00:00Z' },
      /^validUntil: must be in the future$/,
    ],
    [
      'validFrom years before registration',
      { validFrom: '2020-01-01T00:00:00Z' },
      /^validFrom: cannot precede the order's registration/,
    ],
    [
      'validFrom a second before registration',
      { validFrom: '2026-06-15T11:59:59Z' },
      /^validFrom: cannot precede the order's registration/,
    ],
    [
      'a seal already over',
      { sealedUntil: '2026-06-15T11:00:00Z' },
      /^sealedUntil: must be in the future$/,
    ],
    [
      'a bad date',
      { validFrom: '2026-13-01T00:00:00Z' },
      /^validFrom: must be an ISO 8601 date-time/,
    ],
  ])('refuses %s', async (_name, overrides, message) => {
    await expect(registers.registerLegalOrder(order(overrides), first)).rejects.toMatchObject(
      badInput(message),
    );
    expect(await db.db.selectFrom('legal_orders').select('id').execute()).toEqual([]);
  });

  it('accepts exactly 1000 patrons', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    await db.db
      .insertInto('patrons')
      .values(ids.slice(0, 500).map((id) => patron(id)))
      .execute();
    await db.db
      .insertInto('patrons')
      .values(ids.slice(500).map((id) => patron(id)))
      .execute();
    expect((await registers.registerLegalOrder(order({ patronIds: ids }), first)).patronCount).toBe(
      1000,
    );
    expect(
      await db.db.selectFrom('legal_order_patrons').select('patron_id').execute(),
    ).toHaveLength(1000);
  });
});

describe('approveLegalOrder: two people for a legal order', () => {
  const facts = async (reference: string, subject = 'ann') => {
    const caller = {
      principal: principalId('custodian:three'),
      roles: ['custodian'] as const,
      duties: [],
      patronId: null,
      legalOrder: reference,
      purpose: null,
      requestId: 'r',
    };
    const [found] = await new RegisterFacts(db.db).load(caller, [patronId(subject)]);
    return found!.legalOrders;
  };

  it('an order discloses nothing until a different custodian approves it, and then from the approval on', async () => {
    const registered = await registers.registerLegalOrder(order({ validFrom: undefined }), first);
    expect(await facts('JEFFCO-2026-CV-0999')).toEqual([]);
    await expect(registers.approveLegalOrder(registered.id, first)).rejects.toMatchObject({
      kind: 'not-permitted',
      message:
        'A legal order must be approved by a different custodian from the one who registered it.',
    });
    expect(await facts('JEFFCO-2026-CV-0999')).toEqual([]);
    clock = new Date('2026-06-15T15:00:00Z');
    const approved = await registers.approveLegalOrder(registered.id, second);
    expect(approved).toMatchObject({
      status: 'APPROVED',
      registeredBy: 'custodian:one',
      approvedBy: 'custodian:two',
      approvedAt: '2026-06-15T15:00:00.000Z',
    });
    expect(await facts('JEFFCO-2026-CV-0999')).toEqual([
      {
        reference: 'JEFFCO-2026-CV-0999',
        scope: ['IDENTITY', 'CIRCULATION'],
        validFrom: '2026-06-15T15:00:00.000Z',
        validUntil: '2026-09-01T00:00:00.000Z',
      },
    ]);
    await expect(
      registers.approveLegalOrder(registered.id, { ...second, principal: 'custodian:three' }),
    ).rejects.toMatchObject(badInput(/^orderId: this order is already approved$/));
  });

  it('refuses an unknown order and a caller without a principal', async () => {
    await expect(registers.approveLegalOrder('999', second)).rejects.toMatchObject(
      badInput(/^orderId: no such legal order$/),
    );
    await expect(registers.approveLegalOrder('x', second)).rejects.toMatchObject(
      badInput(/^orderId: is not a legal order id$/),
    );
    const registered = await registers.registerLegalOrder(order(), first);
    await expect(
      registers.approveLegalOrder(registered.id, { ...second, principal: null }),
    ).rejects.toMatchObject({ kind: 'not-permitted' });
  });

  it('an order stored without its registrar (before the rule) stays shut even if approved', async () => {
    await db.db
      .insertInto('legal_orders')
      .values({
        reference: 'OLD-1',
        kind: 'SUBPOENA',
        authority: 'Court',
        scope: '["IDENTITY"]',
        valid_from: '2026-06-01T00:00:00Z',
        valid_until: '2026-09-01T00:00:00Z',
        created_at: '2026-06-01T00:00:00Z',
        registered_by: null,
        approved_by: 'custodian:two',
        approved_at: '2026-06-01T00:00:00Z',
        sealed_until: null,
      })
      .execute();
    await db.db
      .insertInto('legal_order_patrons')
      .values({ order_id: 1, patron_id: 'ann' })
      .execute();
    expect(await facts('OLD-1')).toEqual([]);
  });

  it('an order registered before the two-person rule (no registrar) is approved by two distinct custodians: the first confirms, the second approves', async () => {
    const trail: DisclosureEntry[] = [];
    const audited = new Registers(
      db.db,
      () => clock,
      (entries) => trail.push(...entries),
    );
    await db.db
      .insertInto('legal_orders')
      .values({
        reference: 'OLD-2',
        kind: 'SUBPOENA',
        authority: 'Court',
        scope: '["IDENTITY"]',
        valid_from: '2026-06-01T00:00:00Z',
        valid_until: '2026-09-01T00:00:00Z',
        created_at: '2026-06-01T00:00:00Z',
        registered_by: null,
        approved_by: null,
        approved_at: null,
        sealed_until: null,
      })
      .execute();
    const { id } = await db.db
      .selectFrom('legal_orders')
      .select('id')
      .where('reference', '=', 'OLD-2')
      .executeTakeFirstOrThrow();
    await db.db
      .insertInto('legal_order_patrons')
      .values({ order_id: id, patron_id: 'ann' })
      .execute();
    const confirmed = await audited.approveLegalOrder(String(id), first);
    expect(confirmed).toMatchObject({
      status: 'AWAITING_APPROVAL',
      registeredBy: 'custodian:one',
      approvedBy: null,
    });
    expect(await facts('OLD-2')).toEqual([]);
    await expect(audited.approveLegalOrder(String(id), first)).rejects.toMatchObject({
      kind: 'not-permitted',
    });
    const approved = await audited.approveLegalOrder(String(id), second);
    expect(approved).toMatchObject({
      status: 'APPROVED',
      registeredBy: 'custodian:one',
      approvedBy: 'custodian:two',
    });
    expect(await facts('OLD-2')).toHaveLength(1);
    expect(trail.map((e) => [e.principal, e.fields])).toEqual([
      ['custodian:one', ['LegalOrder.confirmed']],
      ['custodian:two', ['LegalOrder.approved']],
    ]);
  });

  // SQLite only: the sabotage writes on the transaction's own connection through the raw handle.
  it.skipIf(TEST_ON_POSTGRES)(
    'an act whose transaction fails to commit after the trail was written gets a compensating record',
    async () => {
      const trail: DisclosureEntry[] = [];
      let sabotage = true;
      const audited = new Registers(
        db.db,
        () => clock,
        (entries) => {
          trail.push(...entries);
          if (!sabotage) return;
          sabotage = false;
          // A row that breaks a deferred constraint: the transaction's COMMIT fails, after the trail.
          sqliteOf(db).pragma('defer_foreign_keys = ON');
          sqliteOf(db)
            .prepare("insert into legal_order_patrons (order_id, patron_id) values (9999, 'ann')")
            .run();
        },
      );
      await expect(audited.registerLegalOrder(order(), first)).rejects.toThrow(/FOREIGN KEY/);
      expect(await db.db.selectFrom('legal_orders').select('reference').execute()).toEqual([]);
      expect(trail.map((e) => [e.patronId, e.fields])).toEqual([
        ['ann', ['LegalOrder.registered']],
        ['bob', ['LegalOrder.registered']],
        ['ann', ['LegalOrder.registered.undone']],
        ['bob', ['LegalOrder.registered.undone']],
      ]);
      // The connection is usable again: the same order registers.
      expect(await audited.registerLegalOrder(order(), first)).toMatchObject({
        status: 'AWAITING_APPROVAL',
      });
    },
  );

  it('records both acts in the trail, one record per patron, inside the transaction', async () => {
    const trail: DisclosureEntry[] = [];
    const audited = new Registers(
      db.db,
      () => clock,
      (entries) => trail.push(...entries),
    );
    const registered = await audited.registerLegalOrder(order(), first);
    await audited.approveLegalOrder(registered.id, second);
    expect(trail.map((e) => [e.principal, e.patronId, e.fields, e.reference, e.exception])).toEqual(
      [
        ['custodian:one', 'ann', ['LegalOrder.registered'], 'JEFFCO-2026-CV-0999', 'LEGAL_PROCESS'],
        ['custodian:one', 'bob', ['LegalOrder.registered'], 'JEFFCO-2026-CV-0999', 'LEGAL_PROCESS'],
        ['custodian:two', 'ann', ['LegalOrder.approved'], 'JEFFCO-2026-CV-0999', 'LEGAL_PROCESS'],
        ['custodian:two', 'bob', ['LegalOrder.approved'], 'JEFFCO-2026-CV-0999', 'LEGAL_PROCESS'],
      ],
    );
    // A trail that cannot be written undoes the act.
    const failing = new Registers(
      db.db,
      () => clock,
      () => {
        throw new Error('audit down');
      },
    );
    await expect(failing.registerLegalOrder(order({ reference: 'R-2' }), first)).rejects.toThrow(
      'audit down',
    );
    expect(
      await db.db
        .selectFrom('legal_orders')
        .select('reference')
        .where('reference', '=', 'R-2')
        .execute(),
    ).toEqual([]);
  });
});

describe('linkGuardian', () => {
  it('links an adult to a minor and returns neither', async () => {
    const result = await registers.linkGuardian(guardianship());
    expect(result).toEqual({
      id: expect.any(String) as unknown,
      evidenceRef: 'card-application-2026-7',
      createdAt: clock.toISOString(),
    });
    expect(
      await db.db.selectFrom('guardianships').select(['guardian_id', 'minor_id']).execute(),
    ).toEqual([{ guardian_id: 'ann', minor_id: 'kid' }]);
  });

  it('accepts a minor who turns 18 tomorrow and refuses one who turns 18 today', async () => {
    await registers.linkGuardian(guardianship({ minorId: 'teen' }));
    await expect(registers.linkGuardian(guardianship({ minorId: 'just18' }))).rejects.toMatchObject(
      badInput(/^minorId: the patron is not under 18 today$/),
    );
  });

  it.each([
    ['an adult as the minor', { minorId: 'bob' }, /^minorId: the patron is not under 18 today$/],
    [
      'a minor as the guardian',
      { guardianId: 'kid2' },
      /^guardianId: a patron under 18 cannot be a guardian$/,
    ],
    [
      'the same patron twice',
      { minorId: 'ann' },
      /^minorId: must be a different patron from guardianId$/,
    ],
    ['an unknown guardian', { guardianId: 'pat_ghost' }, /^guardianId: no such patron$/],
    ['an unknown minor', { minorId: 'pat_ghost' }, /^minorId: no such patron$/],
    ['a blank evidenceRef', { evidenceRef: ' ' }, /^evidenceRef: is required$/],
  ])('refuses %s', async (_name, overrides, message) => {
    await expect(registers.linkGuardian(guardianship(overrides))).rejects.toMatchObject(
      badInput(message),
    );
    expect(await db.db.selectFrom('guardianships').select('id').execute()).toEqual([]);
  });

  it('turns the unique constraint into "already linked"', async () => {
    await registers.linkGuardian(guardianship());
    await expect(
      registers.linkGuardian(guardianship({ evidenceRef: 'another' })),
    ).rejects.toMatchObject(badInput(/already linked/));
    // A second guardian for the same minor is fine.
    await registers.linkGuardian(guardianship({ guardianId: 'bob' }));
    expect(await db.db.selectFrom('guardianships').select('id').execute()).toHaveLength(2);
  });
});
