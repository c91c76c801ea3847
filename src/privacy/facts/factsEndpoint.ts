import { z } from 'zod';
import type { Logger } from 'pino';
import { HttpRefusal, sendJson, type Route } from '../../http/serve.js';
import { decodeContext, encodeContext, type DisclosureContext } from '../context/disclosureContext.js';
import { patronId, principalId, type PatronId } from '../context/ids.js';
import type { SubjectFacts } from '../decide/facts.js';
import { PATRON_DATA_CATEGORIES } from '../decide/rule.js';
import type { FactsSource } from '../redact/privacyContext.js';
import { isCardDirectory, type CardDirectory } from '../context/onBehalf.js';
import { audienceKey, CONTEXT_HEADER, RequestVerifier, SIGNATURE_HEADER, signRequest } from '../sign/signature.js';

/**
 * The narrow read interface to circulation's registers for the other subgraphs:
 * `POST /internal/facts` with `{ "subjects": [patronId, ...] }` (at most 5,000), signed like a
 * gateway fetch (audience `circulation-facts`) and carrying the caller's context, answers
 * `{ "facts": SubjectFacts[] }` in the same order. It tells only what the policy needs about
 * those subjects relative to that caller, nothing else.
 */
export const FACTS_PATH = '/internal/facts';
/** The signing audience of the facts endpoint. */
export const FACTS_AUDIENCE = 'circulation-facts';
const MAX_SUBJECTS = 5000;

/** At most this many cards per card request (`{ "cards": [...] }`); an on-behalf action presents one. */
const MAX_CARDS = 100;
const RequestSchema = z.object({ subjects: z.array(z.string().min(1).max(100)).max(MAX_SUBJECTS).default([]), cards: z.array(z.string().max(40)).max(MAX_CARDS).optional() }).strict();
const CardsRequest = z.object({ cards: z.array(z.string().max(40)).max(MAX_CARDS) }).strict();
const HoldersSchema = z.array(z.string().nullable());

const Category = z.enum(PATRON_DATA_CATEGORIES);
const FactsSchema = z.array(
  z.object({
    patronId: z.string(),
    exists: z.boolean(),
    birthDate: z.string().nullable(),
    callerIsGuardian: z.boolean(),
    consents: z.array(
      z.object({
        grantee: z.string(),
        scope: z.array(Category),
        documentRef: z.string(),
        validFrom: z.string(),
        validUntil: z.string(),
        revokedAt: z.string().nullable(),
      }),
    ),
    legalOrders: z.array(z.object({ reference: z.string(), scope: z.array(Category), validFrom: z.string(), validUntil: z.string() })),
  }),
);

const headerOf = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Serves the facts endpoint from circulation's own source. */
export function factsRoute(source: FactsSource, secret: string, logger: Logger): Route {
  const verifier = new RequestVerifier(audienceKey(secret, FACTS_AUDIENCE), FACTS_AUDIENCE);
  return async ({ req, body }, res) => {
    if (!req.url?.startsWith(FACTS_PATH)) return false;
    if (req.method !== 'POST') throw new HttpRefusal(405, 'BAD_REQUEST', 'Use POST');
    const encoded = headerOf(req.headers[CONTEXT_HEADER]);
    const verdict = verifier.verify(encoded, headerOf(req.headers[SIGNATURE_HEADER]), body);
    if (!verdict.ok) {
      logger.warn({ reason: verdict.reason }, 'refused facts request');
      throw new HttpRefusal(401, 'UNAUTHENTICATED', 'Missing or invalid disclosure-context signature');
    }
    let caller: DisclosureContext;
    let subjects: PatronId[];
    try {
      caller = decodeContext(verdict.context);
      subjects = RequestSchema.parse(JSON.parse(body.toString('utf8'))).subjects.map(patronId);
    } catch {
      throw new HttpRefusal(400, 'BAD_REQUEST', 'Malformed facts request');
    }
    // The second request kind, `{ "cards": [...] }`: the holders of presented cards the caller may
    // act for, `{ "holders": [patronId | null, ...] }` (src/privacy/context/onBehalf.ts).
    const cards = CardsRequest.safeParse(JSON.parse(body.toString('utf8')));
    if (cards.success) {
      sendJson(res, 200, { holders: isCardDirectory(source) ? await source.cardHolders(caller, cards.data.cards) : cards.data.cards.map(() => null) });
      return true;
    }
    sendJson(res, 200, { facts: await source.load(caller, subjects) });
    return true;
  };
}

/**
 * Reads facts from circulation over HTTP, for catalog and events. Any failure throws, and the
 * guard turns a throw into a redaction: no facts, no disclosure.
 */
export class RemoteFacts implements FactsSource, CardDirectory {
  readonly #key: Buffer;
  constructor(
    private readonly circulationUrl: () => string,
    secret: string,
  ) {
    this.#key = audienceKey(secret, FACTS_AUDIENCE);
  }

  async load(caller: DisclosureContext, subjects: readonly PatronId[]): Promise<SubjectFacts[]> {
    const body = JSON.stringify({ subjects });
    const context = encodeContext(caller);
    const response = await fetch(new URL(FACTS_PATH, this.circulationUrl()), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [CONTEXT_HEADER]: context,
        [SIGNATURE_HEADER]: signRequest({ key: this.#key, audience: FACTS_AUDIENCE, context, body }),
      },
      body,
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`facts endpoint answered ${response.status}`);
    const parsed = FactsSchema.parse(((await response.json()) as { facts?: unknown }).facts);
    if (parsed.length !== subjects.length) throw new Error('facts endpoint answered the wrong number of subjects');
    return parsed.map((f) => ({
      ...f,
      patronId: patronId(f.patronId),
      consents: f.consents.map((c) => ({ ...c, grantee: principalId(c.grantee) })),
    }));
  }

  /** The holders of presented cards the caller may act for, from circulation; any failure throws. */
  async cardHolders(caller: DisclosureContext, cards: readonly string[]): Promise<(PatronId | null)[]> {
    const body = JSON.stringify({ cards });
    const context = encodeContext(caller);
    const response = await fetch(new URL(FACTS_PATH, this.circulationUrl()), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [CONTEXT_HEADER]: context,
        [SIGNATURE_HEADER]: signRequest({ key: this.#key, audience: FACTS_AUDIENCE, context, body }),
      },
      body,
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`facts endpoint answered ${response.status}`);
    const holders = HoldersSchema.parse(((await response.json()) as { holders?: unknown }).holders);
    if (holders.length !== cards.length) throw new Error('facts endpoint answered the wrong number of cards');
    return holders.map((h) => (h === null ? null : patronId(h)));
  }
}
