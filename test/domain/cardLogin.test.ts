import { decodeJwt } from 'jose';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { hashPin, verifyPin } from '../../src/privacy/authenticate/pin.js';
import { loadConfig } from '../../src/config/env.js';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import { createTokenIssuer, type TokenIssuer } from '../../src/privacy/authenticate/token.js';
import {
  CARD_LOGIN_REFUSED,
  CardLogin,
  FAILURE_WINDOW_MS,
  KNOWN_CLIENT_MS,
  LOCKOUT_MS,
  MAX_CLIENT_FAILURES,
  MAX_FAILURES,
  MAX_PIN_FAILURES,
} from '../../subgraphs/circulation/cardLogin.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';

// The real PIN check, counted: every answer's cost is one scrypt, whatever refused it.
vi.mock('../../src/privacy/authenticate/pin.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/privacy/authenticate/pin.js')>();
  return { ...real, verifyPin: vi.fn(real.verifyPin) };
});

const MINUTE = 60_000;
const CARD = '29012000000029';
const PIN = '7395';
const NO_PIN_CARD = '29013000000011';
/** The client key the gateway would sign into the context of a desk's requests. */
const CLIENT = 'client-desk';

let issuer: TokenIssuer;
let pinHash: string;
let db: Database<CirculationTables>;
let clock: Date;
let login: CardLogin;

const patron = (id: string, card_number: string, pin_hash: string | null) => ({
  id,
  card_number,
  name: `Name of ${id}`,
  email: null,
  phone: null,
  address: null,
  birth_date: '2014-05-05',
  home_branch_id: 'br_01',
  pin_hash,
  reading_history: 0,
  created_at: '2026-01-01T00:00:00Z',
});

beforeAll(async () => {
  issuer = (await createTokenIssuer(loadConfig({ NODE_ENV: 'test' })))!;
  pinHash = await hashPin(PIN);
});

beforeEach(async () => {
  db = await openTestStore<CirculationTables>('circulation', circulationMigrations);
  clock = new Date('2026-06-15T12:00:00Z');
  login = new CardLogin(db.db, {
    issuer,
    secret: 'a-test-secret-of-at-least-32-characters!',
    now: () => clock,
  });
  await db.db
    .insertInto('patrons')
    .values([patron('pat_minor', CARD, pinHash), patron('pat_nopin', NO_PIN_CARD, null)])
    .execute();
});

const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

/** The error a failed login throws, as a client would see it. */
const failure = async (card: string, pin: string, client = CLIENT) => {
  const error = await login.authenticate(card, pin, client).then(
    () => null,
    (e: unknown) => e as { message: string; kind: string },
  );
  expect(error, `login with ${card}/${pin} should fail`).not.toBeNull();
  return { message: error!.message, kind: error!.kind };
};
const REFUSAL = { message: CARD_LOGIN_REFUSED, kind: 'invalid-input' };
/** The attempts row of one card, if any. */
const cardRow = (card: string) =>
  db.db
    .selectFrom('card_login_attempts')
    .selectAll()
    .where('card_key', '=', login.cardKey(card))
    .executeTakeFirst();

describe('authenticateWithCard', () => {
  it('returns a patron token for the card holder, whose subject is not the patron id', async () => {
    const result = await login.authenticate(CARD, PIN, CLIENT);
    const claims = decodeJwt(result.token);
    expect(claims.roles).toEqual(['patron']);
    expect(claims.patronId).toBe('pat_minor');
    expect(claims.sub).toMatch(/^card:[0-9a-f]{32}$/);
    expect(claims.sub).not.toContain('pat_minor');
    expect(claims.sub).not.toContain(CARD);
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(result.expiresAt).toBe(new Date(claims.exp! * 1000).toISOString());
    // Another login with the same card gets another subject.
    expect(decodeJwt((await login.authenticate(CARD, PIN, CLIENT)).token).sub).not.toBe(claims.sub);
  });

  it('accepts spaces in the card number', async () => {
    expect(
      decodeJwt((await login.authenticate('2901 2000 0000 29', PIN, CLIENT)).token).patronId,
    ).toBe('pat_minor');
  });

  it('answers an unknown card, a wrong PIN, a card with no PIN and nonsense input exactly alike', async () => {
    const unknown = await failure('29019999999999', PIN);
    expect(unknown).toEqual(REFUSAL);
    expect(await failure(CARD, '0000')).toEqual(unknown);
    expect(await failure(NO_PIN_CARD, '1234')).toEqual(unknown);
    expect(await failure(CARD, '')).toEqual(unknown);
    expect(await failure('', PIN)).toEqual(unknown);
    expect(await failure('9'.repeat(500), PIN)).toEqual(unknown);
  });

  it(`locks the card after ${MAX_FAILURES} failures: then even the right PIN fails the same way`, async () => {
    for (let i = 0; i < MAX_FAILURES; i++) {
      advance(MINUTE);
      expect(await failure(CARD, `000${i}`)).toEqual(REFUSAL);
    }
    advance(MINUTE);
    expect(await failure(CARD, PIN)).toEqual(REFUSAL);
    // Still locked just before the lockout ends (counted from the last failure).
    advance(LOCKOUT_MS - 2 * MINUTE);
    expect(await failure(CARD, PIN)).toEqual(REFUSAL);
    advance(MINUTE);
    expect(decodeJwt((await login.authenticate(CARD, PIN, CLIENT)).token).patronId).toBe(
      'pat_minor',
    );
  });

  it('the lock is per card', async () => {
    await db.db
      .insertInto('patrons')
      .values(patron('pat_other', '29012000000037', pinHash))
      .execute();
    for (let i = 0; i < MAX_FAILURES; i++) await failure(CARD, '0000');
    expect(
      decodeJwt((await login.authenticate('29012000000037', PIN, CLIENT)).token).patronId,
    ).toBe('pat_other');
  });

  it('a success resets the failures', async () => {
    for (let i = 0; i < MAX_FAILURES - 1; i++) await failure(CARD, '0000');
    await login.authenticate(CARD, PIN, CLIENT);
    expect(await cardRow(CARD)).toBeUndefined();
    for (let i = 0; i < MAX_FAILURES - 1; i++) await failure(CARD, '0000');
    expect((await login.authenticate(CARD, PIN, CLIENT)).token).toBeTruthy();
  });

  it('failures older than the window no longer count', async () => {
    for (let i = 0; i < MAX_FAILURES - 1; i++) await failure(CARD, '0000');
    advance(FAILURE_WINDOW_MS);
    await failure(CARD, '0000');
    expect((await login.authenticate(CARD, PIN, CLIENT)).token).toBeTruthy();
  });

  it('counts attempts before checking them, so parallel guesses cannot outrun the lock', async () => {
    // Twelve wrong guesses at once: only MAX_FAILURES are let through to a PIN check, whatever
    // order the database serializes them in, and the card is locked; the right PIN then is refused.
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        login.authenticate(CARD, `11${i}`, CLIENT).then(
          () => 'ok',
          () => 'refused',
        ),
      ),
    );
    expect(guesses.every((g) => g === 'refused')).toBe(true);
    const row = await cardRow(CARD);
    expect(row).toMatchObject({ failures: MAX_FAILURES });
    expect(row!.locked_until).not.toBeNull();
    await expect(login.authenticate(CARD, PIN, CLIENT)).rejects.toThrow();
  });

  it('unknown cards are counted and locked like real ones', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) await failure('29019999999999', '0000');
    const row = await cardRow('29019999999999');
    expect(row).toMatchObject({
      failures: MAX_FAILURES,
      locked_until: new Date(clock.getTime() + LOCKOUT_MS).toISOString(),
    });
  });

  it('the attempts table holds keyed HMACs of cards, PINs and clients, never the values', async () => {
    await failure(CARD, '0000');
    await failure('29019999999999', '0000');
    const rows = await db.db.selectFrom('card_login_attempts').selectAll().execute();
    // Two cards, one PIN, one client.
    expect(rows.map((r) => r.card_key).sort()).toEqual(
      [
        login.cardKey(CARD),
        login.cardKey('29019999999999'),
        login.pinKey('0000'),
        login.clientKey(CLIENT),
      ].sort(),
    );
    for (const row of rows) expect(row.card_key).toMatch(/^(pin:|client:)?[0-9a-f]{64}$/);
    const dump = JSON.stringify(
      await db.db.selectFrom('card_login_attempts').selectAll().execute(),
    );
    expect(dump).not.toContain(CARD);
    expect(dump).not.toContain(CLIENT);
    // Not a plain hash anyone could recompute for all 10,000 PINs.
    expect(dump).not.toContain(createHash('sha256').update('0000').digest('hex'));
    // Another secret, other keys.
    const other = new CardLogin(db.db, {
      issuer,
      secret: 'another-secret-of-at-least-32-characters',
      now: () => clock,
    });
    expect(other.cardKey(CARD)).not.toBe(login.cardKey(CARD));
    expect(other.pinKey('0000')).not.toBe(login.pinKey('0000'));
    expect(other.clientKey(CLIENT)).not.toBe(login.clientKey(CLIENT));
  });

  it('stale rows are cleared as new failures arrive', async () => {
    await failure('29019999999999', '0000');
    advance(FAILURE_WINDOW_MS + MINUTE);
    await failure(CARD, '0000');
    const rows = await db.db.selectFrom('card_login_attempts').select('card_key').execute();
    expect(rows.map((r) => r.card_key).filter((key) => !key.includes(':'))).toEqual([
      login.cardKey(CARD),
    ]);
  });

  it('is FORBIDDEN where the deployment cannot issue tokens, without counting an attempt', async () => {
    const disabled = new CardLogin(db.db, {
      issuer: null,
      secret: 'a-test-secret-of-at-least-32-characters!',
      now: () => clock,
    });
    await expect(disabled.authenticate(CARD, PIN, CLIENT)).rejects.toMatchObject({
      message: 'card login is not configured on this deployment',
      kind: 'not-permitted',
    });
    expect(await db.db.selectFrom('card_login_attempts').selectAll().execute()).toEqual([]);
  });
});

describe('one PIN sprayed across many cards (issue 16, point 6)', () => {
  const SPRAYED = 50;
  /** Position of the card whose PIN is the sprayed one, well past every throttle's threshold. */
  const HIT = 40;
  let otherHash: string;
  let cards: string[];

  beforeAll(async () => {
    otherHash = await hashPin('2468');
  });

  beforeEach(async () => {
    // 49 other cards with another PIN; the minor's card (PIN 7395) sits at HIT in the attacker's list.
    const others = Array.from(
      { length: SPRAYED - 1 },
      (_, i) => `290140000${String(i).padStart(5, '0')}`,
    );
    await db.db
      .insertInto('patrons')
      .values(others.map((card, i) => patron(`pat_sprayed_${i}`, card, otherHash)))
      .execute();
    cards = [...others.slice(0, HIT), CARD, ...others.slice(HIT)];
  });

  /** Tries each card once with `pinFor(i)` from `clientFor(i)`; the patron ids of the logins that worked. */
  const spray = async (pinFor: (i: number) => string, clientFor: (i: number) => string) => {
    const found: string[] = [];
    for (const [i, card] of cards.entries()) {
      advance(1000);
      const outcome = await login.authenticate(card, pinFor(i), clientFor(i)).then(
        (r) => ({ ok: true as const, patronId: decodeJwt(r.token).patronId as string }),
        (e: { message: string; kind: string }) => ({
          ok: false as const,
          error: { message: e.message, kind: e.kind },
        }),
      );
      if (outcome.ok) found.push(outcome.patronId);
      else expect(outcome.error).toEqual(REFUSAL);
    }
    return found;
  };

  it('from one address: the card whose PIN it is is not found, and every answer is the wrong-PIN answer', async () => {
    expect(
      await spray(
        () => PIN,
        () => 'client-attacker',
      ),
    ).toEqual([]);
  });

  it('from a different address each time (a botnet): throttled per PIN across cards', async () => {
    expect(
      await spray(
        () => PIN,
        (i) => `client-bot-${i}`,
      ),
    ).toEqual([]);
  });

  it('from one address with a different PIN per card: throttled per address', async () => {
    expect(
      await spray(
        (i) => (i === HIT ? PIN : String(1000 + i)),
        () => 'client-attacker',
      ),
    ).toEqual([]);
  });

  /** `count` failures: the PIN `pin` (or a fresh one each time) on other cards, from `client` (or a fresh one each time). */
  const failOthers = async (count: number, pin: string | null, client: string | null) => {
    for (let i = 0; i < count; i++)
      await failure(cards[i]!, pin ?? String(1000 + i), client ?? `client-bot-${i}`);
  };

  it(`a PIN locks at its ${MAX_PIN_FAILURES}th failure across cards, not before`, async () => {
    await failOthers(MAX_PIN_FAILURES - 1, PIN, null);
    expect(decodeJwt((await login.authenticate(CARD, PIN, 'client-home')).token).patronId).toBe(
      'pat_minor',
    );
    await failOthers(MAX_PIN_FAILURES, PIN, null);
    // A client the card has not logged in from before (one it has is spared: see below).
    expect(await failure(CARD, PIN, 'client-new')).toEqual(REFUSAL);
  });

  it(`an address locks at its ${MAX_CLIENT_FAILURES}th failure, not before`, async () => {
    await failOthers(MAX_CLIENT_FAILURES - 1, null, 'client-branch');
    expect(decodeJwt((await login.authenticate(CARD, PIN, 'client-branch')).token).patronId).toBe(
      'pat_minor',
    );
    await failOthers(MAX_CLIENT_FAILURES, null, 'client-branch');
    expect(await failure(CARD, PIN, 'client-branch')).toEqual(REFUSAL);
  });

  it('logging in to his own card between guesses does not reset the spray', async () => {
    // The attacker's own card has the PIN he sprays.
    await db.db
      .insertInto('patrons')
      .values(patron('pat_attacker', '29015000000001', pinHash))
      .execute();
    for (let round = 0; round < 3; round++) {
      await failOthers(MAX_PIN_FAILURES - 1, PIN, null);
      await login.authenticate('29015000000001', PIN, 'client-attacker').catch(() => null);
    }
    expect(await failure(CARD, PIN, 'client-elsewhere')).toEqual(REFUSAL);
  });

  it('a throttled attempt costs one scrypt, like a wrong PIN, an unknown card or a success', async () => {
    const scrypts = async (attempt: () => Promise<unknown>) => {
      vi.mocked(verifyPin).mockClear();
      await attempt().catch(() => null);
      return vi.mocked(verifyPin).mock.calls.length;
    };
    expect(await scrypts(() => login.authenticate(CARD, '0000', 'client-a'))).toBe(1);
    expect(await scrypts(() => login.authenticate('29019999999999', PIN, 'client-a'))).toBe(1);
    expect(await scrypts(() => login.authenticate(CARD, PIN, 'client-a'))).toBe(1);
    await failOthers(MAX_PIN_FAILURES, PIN, null);
    expect(await scrypts(() => login.authenticate(CARD, PIN, 'client-b'))).toBe(1);
    await failOthers(MAX_CLIENT_FAILURES, null, 'client-c');
    expect(await scrypts(() => login.authenticate(CARD, '0000', 'client-c'))).toBe(1);
  });

  it('attack: a sprayer cannot lock a holder out from where they logged in before', async () => {
    expect((await login.authenticate(CARD, PIN, 'client-home')).token).toBeTruthy();
    advance(7 * 24 * 60 * MINUTE);
    await failOthers(MAX_PIN_FAILURES * 3, PIN, null);
    // The PIN is locked for everyone else: the spray stays closed.
    expect(await failure(cards[45]!, PIN, 'client-bot-new')).toEqual(REFUSAL);
    expect(decodeJwt((await login.authenticate(CARD, PIN, 'client-home')).token).patronId).toBe(
      'pat_minor',
    );
    // ... and the attempt from home did not lift the lock for anyone else.
    expect(await failure(CARD, PIN, 'client-bot-other')).toEqual(REFUSAL);
  });

  it('a client known to one card gains nothing on another, and a known client expires', async () => {
    await db.db
      .insertInto('patrons')
      .values(patron('pat_attacker', '29015000000001', pinHash))
      .execute();
    await login.authenticate('29015000000001', PIN, 'client-attacker');
    await failOthers(MAX_PIN_FAILURES, PIN, null);
    expect(await failure(CARD, PIN, 'client-attacker')).toEqual(REFUSAL);
    await login.authenticate(CARD, PIN, 'client-home').catch(() => null); // locked: no success, nothing learned
    advance(LOCKOUT_MS);
    expect((await login.authenticate(CARD, PIN, 'client-home')).token).toBeTruthy();
    advance(KNOWN_CLIENT_MS + MINUTE);
    await failOthers(MAX_PIN_FAILURES, PIN, null);
    expect(await failure(CARD, PIN, 'client-home')).toEqual(REFUSAL);
  });

  it('other PINs and addresses keep working while a sprayed PIN is locked, and the lock ends', async () => {
    await db.db
      .insertInto('patrons')
      .values(patron('pat_other', '29012000000037', otherHash))
      .execute();
    await failOthers(MAX_PIN_FAILURES, PIN, null);
    expect(
      decodeJwt((await login.authenticate('29012000000037', '2468', 'client-home')).token).patronId,
    ).toBe('pat_other');
    expect(await failure(CARD, PIN, 'client-home')).toEqual(REFUSAL);
    advance(LOCKOUT_MS);
    expect(decodeJwt((await login.authenticate(CARD, PIN, 'client-home')).token).patronId).toBe(
      'pat_minor',
    );
  });
});
