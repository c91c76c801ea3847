import { z } from 'zod';
import type { Logger } from 'pino';
import { refusal } from '../errors/httpRefusal.js';
import { sendJson, type Route } from '../http/serve.js';
import { decodeContext, type DisclosureContext } from '../privacy/context/disclosureContext.js';
import { patronId } from '../privacy/context/ids.js';
import { isCardDirectory } from '../privacy/context/onBehalf.js';
import { FACTS_AUDIENCE, FACTS_PATH } from '../privacy/facts/factsEndpoint.js';
import type { FactsSource } from '../privacy/enforce/privacyContext.js';
import { MemoryNonceStore, type NonceStore } from '../privacy/verify/nonceStore.js';
import { audienceKey } from '../privacy/sign/signature.js';
import { SignatureGuard } from '../privacy/verify/signatureGuard.js';

/** At most this many subjects per facts request (`{ "subjects": [...] }`); a page of a list. */
const MAX_SUBJECTS = 5000;

/** At most this many cards per card request (`{ "cards": [...] }`); an on-behalf action presents one. */
const MAX_CARDS = 100;
/** The two request kinds: facts about subjects, or the holders of presented cards. */
const RequestSchema = z.union([
  z.object({ cards: z.array(z.string().max(40)).max(MAX_CARDS) }).strict(),
  z
    .object({ subjects: z.array(z.string().min(1).max(100)).max(MAX_SUBJECTS).default([]) })
    .strict(),
]);

/**
 * Serves the facts endpoint from circulation's own source. Calls are checked by the same
 * SignatureGuard as a subgraph's /graphql (a signed POST to exactly this path), with the nonce
 * store circulation's replicas share. `secrets`: the context secret, or during a rotation the
 * current and the previous one (verificationSecrets).
 */
export function factsRoute(
  source: FactsSource,
  secrets: string | readonly string[],
  logger: Logger,
  nonces: NonceStore = new MemoryNonceStore(),
): Route {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) =>
    audienceKey(secret, FACTS_AUDIENCE),
  );
  const guard = new SignatureGuard({
    key: keys,
    audience: FACTS_AUDIENCE,
    path: FACTS_PATH,
    nonces,
    logger,
  });
  return async (request, res) => {
    if (new URL(request.req.url ?? '/', 'http://localhost').pathname !== FACTS_PATH) return false;
    const context = await guard.check(request);
    let caller: DisclosureContext;
    let parsed: z.infer<typeof RequestSchema>;
    try {
      caller = decodeContext(context);
      parsed = RequestSchema.parse(JSON.parse(request.body.toString('utf8')));
    } catch {
      throw refusal('BAD_REQUEST', 'Malformed facts request');
    }
    // `{ "cards": [...] }`: the holders of presented cards the caller may act for,
    // `{ "holders": [patronId | null, ...] }` (src/privacy/context/onBehalf.ts).
    if ('cards' in parsed) {
      const { cards } = parsed;
      sendJson(res, 200, {
        holders: isCardDirectory(source)
          ? await source.cardHolders(caller, cards)
          : cards.map(() => null),
      });
      return true;
    }
    const subjects = parsed.subjects.map(patronId);
    sendJson(res, 200, { facts: await source.load(caller, subjects) });
    return true;
  };
}
