import { decodeJwt } from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPin } from '../../src/auth/pin.js';
import { loadConfig } from '../../src/config/env.js';
import { openSqlite, type Database } from '../../src/db/open.js';
import { createTokenIssuer, type TokenIssuer } from '../../src/privacy/authenticate/token.js';
import {
  CARD_LOGIN_REFUSED,
  CardLogin,
  FAILURE_WINDOW_MS,
  LOCKOUT_MS,
  MAX_FAILURES,
} from '../../subgraphs/circulation/cardLogin.js';
import { circulationMigrations, type CirculationTables } from '../../subgraphs/circulation/migrations.js';

const MINUTE = 60_000;
const CARD = '29012000000029';
const PIN = '7395';
const NO_PIN_CARD = '29013000000011';

let issuer: TokenIssuer;
let pinHash: string;
let db: Database<CirculationTables>;
let clock: Date;
let login: CardLogin;

const patron = (id: string, card_number: string, pin_hash: string | null) => ({
  id, card_number, name: `Name of ${id}`, email: null, phone: null, address: null,
  birth_date: '2014-05-05', home_branch_id: 'br_01', pin_hash, reading_history: 0, created_at: '2026-01-01T00:00:00Z',
});

beforeAll(async () => {
  issuer = (await createTokenIssuer(loadConfig({ NODE_ENV: 'test' })))!;
  pinHash = await hashPin(PIN);
});

beforeEach(async () => {
  db = await openSqlite<CirculationTables>(':memory:', circulationMigrations);
  clock = new Date('2026-06-15T12:00:00Z');
  login = new CardLogin(db.db, { issuer, secret: 'a-test-secret-of-at-least-32-characters!', now: () => clock });
  await db.db.insertInto('patrons').values([patron('pat_minor', CARD, pinHash), patron('pat_nopin', NO_PIN_CARD, null)]).execute();
});

const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

/** The error a failed login throws, as a client would see it. */
const failure = async (card: string, pin: string) => {
  const error = await login.authenticate(card, pin).then(
    () => null,
    (e: unknown) => e as { message: string; extensions: Record<string, unknown> },
  );
  expect(error, `login with ${card}/${pin} should fail`).not.toBeNull();
  return { message: error!.message, extensions: error!.extensions };
};
const REFUSAL = { message: CARD_LOGIN_REFUSED, extensions: { code: 'BAD_USER_INPUT' } };

describe('authenticateWithCard', () => {
  it('returns a patron token for the card holder, whose subject is not the patron id', async () => {
    const result = await login.authenticate(CARD, PIN);
    const claims = decodeJwt(result.token);
    expect(claims.roles).toEqual(['patron']);
    expect(claims.patronId).toBe('pat_minor');
    expect(claims.sub).toMatch(/^card:[0-9a-f]{32}$/);
    expect(claims.sub).not.toContain('pat_minor');
    expect(claims.sub).not.toContain(CARD);
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(result.expiresAt).toBe(new Date(claims.exp! * 1000).toISOString());
    // Another login with the same card gets another subject.
    expect(decodeJwt((await login.authenticate(CARD, PIN)).token).sub).not.toBe(claims.sub);
  });

  it('accepts spaces in the card number', async () => {
    expect(decodeJwt((await login.authenticate('2901 2000 0000 29', PIN)).token).patronId).toBe('pat_minor');
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
    expect(decodeJwt((await login.authenticate(CARD, PIN)).token).patronId).toBe('pat_minor');
  });

  it('the lock is per card', async () => {
    await db.db.insertInto('patrons').values(patron('pat_other', '29012000000037', pinHash)).execute();
    for (let i = 0; i < MAX_FAILURES; i++) await failure(CARD, '0000');
    expect(decodeJwt((await login.authenticate('29012000000037', PIN)).token).patronId).toBe('pat_other');
  });

  it('a success resets the failures', async () => {
    for (let i = 0; i < MAX_FAILURES - 1; i++) await failure(CARD, '0000');
    await login.authenticate(CARD, PIN);
    expect(await db.db.selectFrom('card_login_attempts').selectAll().execute()).toEqual([]);
    for (let i = 0; i < MAX_FAILURES - 1; i++) await failure(CARD, '0000');
    expect((await login.authenticate(CARD, PIN)).token).toBeTruthy();
  });

  it('failures older than the window no longer count', async () => {
    for (let i = 0; i < MAX_FAILURES - 1; i++) await failure(CARD, '0000');
    advance(FAILURE_WINDOW_MS);
    await failure(CARD, '0000');
    expect((await login.authenticate(CARD, PIN)).token).toBeTruthy();
  });

  it('counts attempts before checking them, so parallel guesses cannot outrun the lock', async () => {
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => login.authenticate(CARD, i === 11 ? PIN : `11${i}`).then(() => 'ok', () => 'refused')));
    expect(guesses.every((g) => g === 'refused')).toBe(true);
    const [row] = await db.db.selectFrom('card_login_attempts').selectAll().execute();
    expect(row).toMatchObject({ failures: MAX_FAILURES });
    expect(row!.locked_until).not.toBeNull();
  });

  it('unknown cards are counted and locked like real ones', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) await failure('29019999999999', '0000');
    const [row] = await db.db.selectFrom('card_login_attempts').selectAll().execute();
    expect(row).toMatchObject({ failures: MAX_FAILURES, locked_until: new Date(clock.getTime() + LOCKOUT_MS).toISOString() });
  });

  it('the attempts table holds an HMAC of the card, never the card number', async () => {
    await failure(CARD, '0000');
    await failure('29019999999999', '0000');
    const rows = await db.db.selectFrom('card_login_attempts').selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.card_key).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain('2901');
    }
    expect(rows.map((r) => r.card_key)).toContain(login.cardKey(CARD));
    const dump = JSON.stringify(db.sqlite.prepare('SELECT * FROM card_login_attempts').all());
    expect(dump).not.toContain(CARD);
    // Another secret, other keys: the digest is not a plain hash anyone could recompute.
    const other = new CardLogin(db.db, { issuer, secret: 'another-secret-of-at-least-32-characters', now: () => clock });
    expect(other.cardKey(CARD)).not.toBe(login.cardKey(CARD));
  });

  it('stale rows are cleared as new failures arrive', async () => {
    await failure('29019999999999', '0000');
    advance(FAILURE_WINDOW_MS + MINUTE);
    await failure(CARD, '0000');
    const rows = await db.db.selectFrom('card_login_attempts').select('card_key').execute();
    expect(rows.map((r) => r.card_key)).toEqual([login.cardKey(CARD)]);
  });

  it('is FORBIDDEN where the deployment cannot issue tokens, without counting an attempt', async () => {
    const disabled = new CardLogin(db.db, { issuer: null, secret: 'a-test-secret-of-at-least-32-characters!', now: () => clock });
    await expect(disabled.authenticate(CARD, PIN)).rejects.toMatchObject({
      message: 'card login is not configured on this deployment',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await db.db.selectFrom('card_login_attempts').selectAll().execute()).toEqual([]);
  });
});
