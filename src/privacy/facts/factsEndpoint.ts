import { z } from 'zod';
import { encodeContext, type DisclosureContext } from '../context/disclosureContext.js';
import { patronId, principalId, type PatronId } from '../context/ids.js';
import type { SubjectFacts } from '../decide/facts.js';
import { PATRON_DATA_CATEGORIES } from '../vocabulary.js';
import type { FactsSource } from '../enforce/privacyContext.js';
import type { CardDirectory } from '../context/onBehalf.js';
import { audienceKey, CONTEXT_HEADER, SIGNATURE_HEADER, signRequest } from '../sign/signature.js';
import { ReplicaSet, replicaFailure, replicaUrls } from '../../config/replicas.js';

/**
 * The narrow read interface to circulation's registers for the other subgraphs:
 * `POST /internal/facts` with `{ "subjects": [patronId, ...] }` (at most 5,000), signed like a
 * gateway fetch (audience `circulation-facts`) and carrying the caller's context, answers
 * `{ "facts": SubjectFacts[] }` in the same order. It tells only what the policy needs about
 * those subjects relative to that caller, nothing else. This module is the protocol and its
 * client; circulation serves it with `src/subgraph/factsRoute.ts`.
 */
export const FACTS_PATH = '/internal/facts';
/** The signing audience of the facts endpoint. */
export const FACTS_AUDIENCE = 'circulation-facts';
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
    legalOrders: z.array(
      z.object({
        reference: z.string(),
        scope: z.array(Category),
        validFrom: z.string(),
        validUntil: z.string(),
      }),
    ),
  }),
);

/**
 * Reads facts from circulation over HTTP, for catalog and events. Any failure throws, and the
 * guard turns a throw into a redaction: no facts, no disclosure. With several circulation
 * replicas (`CIRCULATION_URL` a comma-separated list) calls go round-robin, and a call moves to
 * the next replica when no connection could be made, or, for a facts read (which changes
 * nothing), when the connection broke under it; a card lookup may count a refusal, so it is not
 * sent twice. Each attempt is signed anew, all within one timeout.
 */
export class RemoteFacts implements FactsSource, CardDirectory {
  readonly #key: Buffer;
  #replicas: { from: string; set: ReplicaSet } | null = null;
  constructor(
    private readonly circulationUrl: () => string,
    secret: string,
    /** How long to wait for an answer before failing (and so redacting). */
    private readonly timeoutMs = 5000,
  ) {
    this.#key = audienceKey(secret, FACTS_AUDIENCE);
  }

  /** Circulation's replicas, read again if the URL the graph gives changed. */
  #circulation(): ReplicaSet {
    const from = this.circulationUrl();
    if (this.#replicas?.from !== from)
      this.#replicas = { from, set: new ReplicaSet(replicaUrls(from)) };
    return this.#replicas.set;
  }

  /** One signed POST, to a replica that is there; a non-2xx answer throws. */
  async #post(caller: DisclosureContext, body: string, repeatable: boolean): Promise<unknown> {
    const replicas = this.#circulation();
    const signal = AbortSignal.timeout(this.timeoutMs);
    let first: unknown = undefined;
    for (const index of replicas.order()) {
      try {
        return await this.#postTo(replicas.urls[index]!, caller, body, signal);
      } catch (error) {
        first ??= error;
        const failure = replicaFailure(error);
        if (failure === 'not-sent') replicas.markDown(index);
        else if (failure === 'other' || !repeatable || signal.aborted) throw error;
      }
    }
    throw first;
  }

  async #postTo(
    base: string,
    caller: DisclosureContext,
    body: string,
    signal: AbortSignal,
  ): Promise<unknown> {
    const context = encodeContext(caller);
    const url = new URL(FACTS_PATH, base);
    const contentType = 'application/json';
    const signature = signRequest({
      key: this.#key,
      audience: FACTS_AUDIENCE,
      method: 'POST',
      target: url.pathname + url.search,
      contentType,
      context,
      body,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        [CONTEXT_HEADER]: context,
        [SIGNATURE_HEADER]: signature,
      },
      body,
      signal,
    });
    if (!response.ok) throw new Error(`facts endpoint answered ${response.status}`);
    return response.json();
  }

  async load(caller: DisclosureContext, subjects: readonly PatronId[]): Promise<SubjectFacts[]> {
    const answer = (await this.#post(caller, JSON.stringify({ subjects }), true)) as {
      facts?: unknown;
    };
    const parsed = FactsSchema.parse(answer.facts);
    if (parsed.length !== subjects.length)
      throw new Error('facts endpoint answered the wrong number of subjects');
    return parsed.map((f) => ({
      ...f,
      patronId: patronId(f.patronId),
      consents: f.consents.map((c) => ({ ...c, grantee: principalId(c.grantee) })),
    }));
  }

  /** The holders of presented cards the caller may act for, from circulation; any failure throws. */
  async cardHolders(
    caller: DisclosureContext,
    cards: readonly string[],
  ): Promise<(PatronId | null)[]> {
    const answer = (await this.#post(caller, JSON.stringify({ cards }), false)) as {
      holders?: unknown;
    };
    const holders = HoldersSchema.parse(answer.holders);
    if (holders.length !== cards.length)
      throw new Error('facts endpoint answered the wrong number of cards');
    return holders.map((h) => (h === null ? null : patronId(h)));
  }
}
