import { createHmac, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { Kysely } from 'kysely';
import { hashPin, verifyPin } from '../../src/auth/pin.js';
import { graphError } from '../../src/errors/codes.js';
import type { TokenIssuer } from '../../src/privacy/authenticate/token.js';
import type { CirculationTables } from './migrations.js';

/** Failures within one window that lock a card. */
export const MAX_FAILURES = 5;
/** The window failures are counted in, from the first failure. */
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** How long a card stays locked after its last counted failure. */
export const LOCKOUT_MS = 15 * 60_000;
/** Lifetime of a card login's token. */
export const CARD_TOKEN_TTL_SECONDS = 3600;
/** The one answer to every failed card login: unknown card, wrong PIN, no PIN set, locked card. */
export const CARD_LOGIN_REFUSED = 'Card number or PIN is not valid.';

/** Longest card number or PIN looked at; anything longer is refused without a lookup. */
const MAX_INPUT_LENGTH = 64;

/** What a successful card login returns. */
export interface CardLoginResult {
  token: string;
  /** ISO 8601 instant the token expires (its `exp`). */
  expiresAt: string;
}

export interface CardLoginOptions {
  /** Signs the patron token; null where this deployment cannot issue tokens. */
  issuer: TokenIssuer | null;
  /** Secret the attempts table's card keys are derived from (the config's contextSecret). */
  secret: string;
  /** The clock of the lockout rules; tests move it. */
  now?: () => Date;
  ttlSeconds?: number;
}

let dummyHash: Promise<string> | null = null;
/**
 * A scrypt hash no PIN matches (its PIN is random and forgotten), computed once on first use, so an
 * unknown card, a card with no PIN and a locked card cost the same time as a wrong PIN.
 */
function dummyPinHash(): Promise<string> {
  dummyHash ??= hashPin(randomBytes(32).toString('hex')).catch((error: unknown) => {
    dummyHash = null;
    throw error;
  });
  return dummyHash;
}

const refused = () => graphError('BAD_USER_INPUT', CARD_LOGIN_REFUSED);

/**
 * Card and PIN login (C.R.S. § 24-90-119 (d): whoever has a minor's card and its authorization
 * number). Every failure gives the same error after the same work. Failures are counted per card:
 * MAX_FAILURES within FAILURE_WINDOW_MS lock the card for LOCKOUT_MS, during which even the right
 * PIN is refused; a success clears the count. An attempt is counted before its PIN is checked, so
 * parallel guesses cannot outrun the limit.
 */
export class CardLogin {
  private readonly issuer: TokenIssuer | null;
  private readonly key: Buffer;
  private readonly now: () => Date;
  private readonly ttlSeconds: number;

  constructor(
    private readonly db: Kysely<CirculationTables>,
    options: CardLoginOptions,
  ) {
    this.issuer = options.issuer;
    // A key of its own, derived from the secret, so these digests are useless for anything else.
    this.key = createHmac('sha256', options.secret).update('library-graph/card-login-attempts/v1').digest();
    this.now = options.now ?? (() => new Date());
    this.ttlSeconds = options.ttlSeconds ?? CARD_TOKEN_TTL_SECONDS;
  }

  /** The attempts table's key for a card: an HMAC-SHA-256 of its number, never the number. */
  cardKey(cardNumber: string): string {
    return createHmac('sha256', this.key).update(cardNumber, 'utf8').digest('hex');
  }

  /** Logs in with a card and its PIN; returns a patron token or throws the one refusal. */
  async authenticate(cardNumber: string, pin: string): Promise<CardLoginResult> {
    if (!this.issuer) throw graphError('FORBIDDEN', 'card login is not configured on this deployment');
    // Spaces a reader types do not make another card (nor another counter).
    const card = cardNumber.replace(/\s+/g, '');
    if (card.length === 0 || card.length > MAX_INPUT_LENGTH || pin.length > MAX_INPUT_LENGTH) {
      await verifyPin(pin.slice(0, MAX_INPUT_LENGTH), await dummyPinHash());
      throw refused();
    }
    const key = this.cardKey(card);
    const admitted = await this.reserveAttempt(key);
    // Looked up even when locked, so a locked card answers in the same time as any other.
    const patron = await this.db.selectFrom('patrons').select(['id', 'pin_hash']).where('card_number', '=', card).executeTakeFirst();
    const realHash = admitted && patron?.pin_hash ? patron.pin_hash : null;
    const matches = await verifyPin(pin, realHash ?? (await dummyPinHash()));
    if (realHash === null || !matches || !patron) {
      if (admitted) await this.recordFailure(key);
      throw refused();
    }
    await this.db.deleteFrom('card_login_attempts').where('card_key', '=', key).execute();
    const token = await this.issuer(
      // The subject names this login, not the patron: tokens of one card are not linkable by `sub`.
      { sub: `card:${randomBytes(16).toString('hex')}`, roles: ['patron'], patronId: patron.id },
      this.ttlSeconds,
    );
    const exp = decodeJwt(token).exp;
    return { token, expiresAt: new Date((exp ?? 0) * 1000).toISOString() };
  }

  /**
   * Counts an attempt before its PIN is checked; false when the card is locked or its window's
   * attempts are used up (then the PIN is not checked against the card at all).
   */
  private async reserveAttempt(key: string): Promise<boolean> {
    const now = this.now();
    const nowIso = now.toISOString();
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('card_login_attempts').selectAll().where('card_key', '=', key).executeTakeFirst();
      if (row?.locked_until && row.locked_until > nowIso) return false;
      const windowOver = !row || row.locked_until !== null || Date.parse(row.window_start) + FAILURE_WINDOW_MS <= now.getTime();
      if (windowOver) {
        await trx
          .insertInto('card_login_attempts')
          .values({ card_key: key, failures: 1, window_start: nowIso, locked_until: null })
          .onConflict((oc) => oc.column('card_key').doUpdateSet({ failures: 1, window_start: nowIso, locked_until: null }))
          .execute();
        return true;
      }
      if (row.failures >= MAX_FAILURES) return false;
      await trx.updateTable('card_login_attempts').set({ failures: row.failures + 1 }).where('card_key', '=', key).execute();
      return true;
    });
  }

  /** The attempt failed: it stays counted; the MAX_FAILURES-th locks the card. Stale rows go. */
  private async recordFailure(key: string): Promise<void> {
    const now = this.now();
    const nowIso = now.toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('card_login_attempts')
        .set({ locked_until: new Date(now.getTime() + LOCKOUT_MS).toISOString() })
        .where('card_key', '=', key)
        .where('failures', '>=', MAX_FAILURES)
        .where('locked_until', 'is', null)
        .execute();
      await trx
        .deleteFrom('card_login_attempts')
        .where((eb) =>
          eb.or([
            eb.and([eb('locked_until', 'is', null), eb('window_start', '<=', new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString())]),
            eb.and([eb('locked_until', 'is not', null), eb('locked_until', '<=', nowIso)]),
          ]),
        )
        .execute();
    });
  }
}
