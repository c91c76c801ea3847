import { serializable } from '../../src/db/dialect.js';
import { createHmac, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { Kysely } from 'kysely';
import { hashPin, verifyPin } from '../../src/privacy/authenticate/pin.js';
import { InvalidInput, NotPermitted } from '../../src/errors/domain.js';
import type { TokenIssuer } from '../../src/privacy/authenticate/token.js';
import type { CardLoginAttemptsTable, CirculationTables } from './migrations.js';
import { normalizeCardNumber } from '../../src/privacy/context/cardNumber.js';

/** Failures within one window that lock a card. */
export const MAX_FAILURES = 5;
/**
 * Failures with one PIN, on any cards, within one window that lock that PIN: one PIN tried on many
 * cards (a common PIN sprayed over the card range) is stopped after this many, wherever it comes from.
 */
export const MAX_PIN_FAILURES = 10;
/**
 * Failures from one client address within one window that lock the address. A branch's public
 * computers share one address, so this stays well above what its patrons' typos add up to.
 */
export const MAX_CLIENT_FAILURES = 20;
/** The window failures are counted in, from the first failure (cards, PINs and addresses alike). */
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** How long a card, PIN or address stays locked after its last counted failure. */
export const LOCKOUT_MS = 15 * 60_000;
/**
 * How long a client that logged in to a card stays known to that card: its attempts on that card
 * are not held by the PIN's lock, so a sprayer cannot lock a holder out from where they logged in before.
 */
export const KNOWN_CLIENT_MS = 90 * 24 * 60 * 60_000;
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
  /** Secret the attempts table's keys (of cards, PINs and addresses) are derived from (the config's contextSecret). */
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

const refused = () => new InvalidInput(CARD_LOGIN_REFUSED);

/** One counter of the attempts table: its key and the failures that lock it. */
interface Counter {
  key: string;
  maxFailures: number;
  /** Whether a client known to the card is exempt from this counter's lock (the PIN's). */
  waivedForKnownClient?: boolean;
}

/**
 * Card and PIN login (C.R.S. § 24-90-119 (d): whoever has a minor's card and its authorization
 * number). Every failure gives the same error after the same work. Failures are counted three ways
 * within FAILURE_WINDOW_MS: per card (MAX_FAILURES), per PIN across all cards (MAX_PIN_FAILURES) and
 * per client address (MAX_CLIENT_FAILURES); reaching any of them locks that card, PIN or address for
 * LOCKOUT_MS, during which even the right PIN is refused, with the same answer as a wrong one. An
 * attempt is counted on all three before its PIN is checked, so parallel guesses cannot outrun the
 * limits. A success clears its card's count and takes back its own attempt from the PIN and the
 * address, so logging in to one's own card does not reset a spray. The PIN's lock spares a client
 * that logged in to the same card within KNOWN_CLIENT_MS (its card and address locks still hold):
 * whoever locks a common PIN does not lock its holders out where they logged in before. The table
 * holds keyed HMACs only: never a card number, a PIN or an address.
 */
export class CardLogin {
  private readonly issuer: TokenIssuer | null;
  private readonly cardKeyHmac: Buffer;
  private readonly pinKeyHmac: Buffer;
  private readonly clientKeyHmac: Buffer;
  private readonly knownKeyHmac: Buffer;
  private readonly now: () => Date;
  private readonly ttlSeconds: number;

  constructor(
    private readonly db: Kysely<CirculationTables>,
    options: CardLoginOptions,
  ) {
    this.issuer = options.issuer;
    // Keys of their own, derived from the secret, so these digests are useless for anything else;
    // a 4-digit PIN's digest without the key would be reversed by trying all 10,000.
    const derive = (purpose: string) =>
      createHmac('sha256', options.secret).update(`library-graph/${purpose}/v1`).digest();
    this.cardKeyHmac = derive('card-login-attempts');
    this.pinKeyHmac = derive('card-login-pin-throttle');
    this.clientKeyHmac = derive('card-login-client-throttle');
    this.knownKeyHmac = derive('card-login-known-client');
    this.now = options.now ?? (() => new Date());
    this.ttlSeconds = options.ttlSeconds ?? CARD_TOKEN_TTL_SECONDS;
  }

  /** The attempts table's key for a card: an HMAC-SHA-256 of its number, never the number. */
  cardKey(cardNumber: string): string {
    return createHmac('sha256', this.cardKeyHmac).update(cardNumber, 'utf8').digest('hex');
  }

  /** The attempts table's key for a PIN tried on any card: `pin:` and a keyed HMAC, never the PIN. */
  pinKey(pin: string): string {
    return `pin:${createHmac('sha256', this.pinKeyHmac).update(pin, 'utf8').digest('hex')}`;
  }

  /**
   * The attempts table's key for a client: `client:` and a keyed HMAC of the client key the gateway
   * signed into the context. Callers without one (never the case behind the gateway) share one key.
   */
  clientKey(client: string | null): string {
    return `client:${createHmac('sha256', this.clientKeyHmac)
      .update(client ?? 'unknown', 'utf8')
      .digest('hex')}`;
  }

  /**
   * The attempts table's key for a client that logged in to a card: `known:` and a keyed HMAC of
   * both, never either. Null for a caller without a client key: nobody is known by the lack of one.
   */
  knownClientKey(card: string, client: string | null): string | null {
    return client === null
      ? null
      : `known:${createHmac('sha256', this.knownKeyHmac).update(`${card}\n${client}`, 'utf8').digest('hex')}`;
  }

  /**
   * Logs in with a card and its PIN; returns a patron token or throws the one refusal. `client` is
   * the caller's client key from the signed disclosure context (null: counted with all unknowns).
   */
  async authenticate(
    cardNumber: string,
    pin: string,
    client: string | null,
  ): Promise<CardLoginResult> {
    if (!this.issuer) throw new NotPermitted('card login is not configured on this deployment');
    // Spaces a reader types do not make another card (nor another counter).
    const card = normalizeCardNumber(cardNumber);
    if (card.length === 0 || card.length > MAX_INPUT_LENGTH || pin.length > MAX_INPUT_LENGTH) {
      await verifyPin(pin.slice(0, MAX_INPUT_LENGTH), await dummyPinHash());
      throw refused();
    }
    const cardCounter = { key: this.cardKey(card), maxFailures: MAX_FAILURES };
    const shared = [
      { key: this.pinKey(pin), maxFailures: MAX_PIN_FAILURES, waivedForKnownClient: true },
      { key: this.clientKey(client), maxFailures: MAX_CLIENT_FAILURES },
    ];
    const counters = [cardCounter, ...shared];
    const known = this.knownClientKey(card, client);
    const admitted = await this.reserveAttempt(counters, known);
    // Looked up even when locked, so a locked card, PIN or address answers in the same time as any other.
    const patron = await this.db
      .selectFrom('patrons')
      .select(['id', 'pin_hash'])
      .where('card_number', '=', card)
      .executeTakeFirst();
    const realHash = admitted && patron?.pin_hash ? patron.pin_hash : null;
    const matches = await verifyPin(pin, realHash ?? (await dummyPinHash()));
    if (realHash === null || !matches || !patron) {
      // Run when locked too (it then counts nothing new), so a throttled attempt does the same work.
      await this.recordFailure(counters);
      throw refused();
    }
    await this.recordSuccess(cardCounter, shared, known);
    const token = await this.issuer(
      // The subject names this login, not the patron: tokens of one card are not linkable by `sub`.
      { sub: `card:${randomBytes(16).toString('hex')}`, roles: ['patron'], patronId: patron.id },
      this.ttlSeconds,
    );
    const exp = decodeJwt(token).exp;
    return { token, expiresAt: new Date((exp ?? 0) * 1000).toISOString() };
  }

  /**
   * Counts an attempt on every counter before its PIN is checked; false, counting nothing, when
   * any of them is locked or has its window's attempts used up (then the PIN is not checked at all).
   * A client `known` to the card passes a waivable counter's lock, and leaves that counter as it is.
   */
  private async reserveAttempt(all: readonly Counter[], known: string | null): Promise<boolean> {
    const now = this.now();
    const nowIso = now.toISOString();
    return serializable(this.db, async (trx) => {
      const keys = [...all.map((c) => c.key), ...(known ? [known] : [])];
      const rows = new Map(
        (
          await trx
            .selectFrom('card_login_attempts')
            .selectAll()
            .where('card_key', 'in', keys)
            .execute()
        ).map((r) => [r.card_key, r]),
      );
      const knownRow = known ? rows.get(known) : undefined;
      const isKnown =
        knownRow !== undefined &&
        Date.parse(knownRow.window_start) + KNOWN_CLIENT_MS > now.getTime();
      const windowOver = (row: CardLoginAttemptsTable | undefined) =>
        !row ||
        row.locked_until !== null ||
        Date.parse(row.window_start) + FAILURE_WINDOW_MS <= now.getTime();
      const blocks = ({ key, maxFailures }: Counter) => {
        const row = rows.get(key);
        return (
          Boolean(row?.locked_until && row.locked_until > nowIso) ||
          (!windowOver(row) && row!.failures >= maxFailures)
        );
      };
      // A waived lock is neither obeyed nor reset by this attempt: it still holds for everyone else.
      const counters = all.filter((c) => !(isKnown && c.waivedForKnownClient && blocks(c)));
      if (counters.some(blocks)) return false;
      for (const { key } of counters) {
        const row = rows.get(key);
        if (windowOver(row)) {
          await trx
            .insertInto('card_login_attempts')
            .values({ card_key: key, failures: 1, window_start: nowIso, locked_until: null })
            .onConflict((oc) =>
              oc
                .column('card_key')
                .doUpdateSet({ failures: 1, window_start: nowIso, locked_until: null }),
            )
            .execute();
        } else {
          await trx
            .updateTable('card_login_attempts')
            .set({ failures: row!.failures + 1 })
            .where('card_key', '=', key)
            .execute();
        }
      }
      return true;
    });
  }

  /** The attempt failed: it stays counted; a counter's maxFailures-th failure locks it. Stale rows go. */
  private async recordFailure(counters: readonly Counter[]): Promise<void> {
    const now = this.now();
    const nowIso = now.toISOString();
    const lockedUntil = new Date(now.getTime() + LOCKOUT_MS).toISOString();
    await serializable(this.db, async (trx) => {
      for (const { key, maxFailures } of counters) {
        await trx
          .updateTable('card_login_attempts')
          .set({ locked_until: lockedUntil })
          .where('card_key', '=', key)
          .where('failures', '>=', maxFailures)
          .where('locked_until', 'is', null)
          .execute();
      }
      await trx
        .deleteFrom('card_login_attempts')
        .where((eb) =>
          eb.or([
            eb.and([
              eb('card_key', 'not like', 'known:%'),
              eb('locked_until', 'is', null),
              eb('window_start', '<=', new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString()),
            ]),
            eb.and([
              eb('card_key', 'like', 'known:%'),
              eb('window_start', '<=', new Date(now.getTime() - KNOWN_CLIENT_MS).toISOString()),
            ]),
            eb.and([eb('locked_until', 'is not', null), eb('locked_until', '<=', nowIso)]),
          ]),
        )
        .execute();
    });
  }

  /**
   * The attempt succeeded: its card's failures are forgiven; the PIN and the address only get this
   * attempt back, so a success of one's own does not reset a spray across other cards. The client
   * becomes (again) known to the card.
   */
  private async recordSuccess(
    card: Counter,
    shared: readonly Counter[],
    known: string | null,
  ): Promise<void> {
    const keys = shared.map((c) => c.key);
    const nowIso = this.now().toISOString();
    await serializable(this.db, async (trx) => {
      await trx.deleteFrom('card_login_attempts').where('card_key', '=', card.key).execute();
      if (known) {
        await trx
          .insertInto('card_login_attempts')
          .values({ card_key: known, failures: 0, window_start: nowIso, locked_until: null })
          .onConflict((oc) => oc.column('card_key').doUpdateSet({ window_start: nowIso }))
          .execute();
      }
      await trx
        .updateTable('card_login_attempts')
        .set((eb) => ({ failures: eb('failures', '-', 1) }))
        .where('card_key', 'in', keys)
        .where('failures', '>', 0)
        .where('locked_until', 'is', null)
        .execute();
      await trx
        .deleteFrom('card_login_attempts')
        .where('card_key', 'in', keys)
        .where('failures', '<=', 0)
        .where('locked_until', 'is', null)
        .execute();
    });
  }
}
