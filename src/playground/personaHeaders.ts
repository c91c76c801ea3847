import type { PersonaName } from '../dev/personas.js';

/** Where the page asks the gateway for a persona's development token (see serve.ts). */
export const TOKEN_PATH = '/playground/token';

/** Refetch a token this long before its 8-hour lifetime ends. */
const TOKEN_REUSE_MS = 7 * 3600 * 1000;

/** The request headers that make a request come from a persona, as the playground sends them. */
export interface PersonaHeaders {
  authorization?: string;
  'x-legal-process'?: string;
}

/**
 * Browser side of the persona switcher: fetches each persona's development token from the
 * gateway once (it is minted there, in development only) and turns a persona plus an optional
 * legal-process reference into request headers. Anonymous sends no Authorization header at all.
 */
export function createPersonaHeaders(
  fetchImpl: typeof fetch = (input, init) => fetch(input, init),
) {
  const cache = new Map<PersonaName, { token: Promise<string>; at: number }>();

  async function mint(persona: PersonaName): Promise<string> {
    const response = await fetchImpl(TOKEN_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ persona }),
    });
    const body = (await response.json().catch(() => null)) as {
      token?: string;
      errors?: { message: string }[];
    } | null;
    if (!response.ok || typeof body?.token !== 'string') {
      const reason = body?.errors?.[0]?.message ?? `HTTP ${response.status}`;
      throw new Error(`No development token for "${persona}": ${reason}`);
    }
    return body.token;
  }

  /** The persona's token (null for anonymous), minted once and reused while fresh. */
  function token(persona: PersonaName): Promise<string | null> {
    if (persona === 'anonymous') return Promise.resolve(null);
    const cached = cache.get(persona);
    if (cached && Date.now() - cached.at < TOKEN_REUSE_MS) return cached.token;
    const entry = { token: mint(persona), at: Date.now() };
    // A failure is not cached: the next request asks again.
    entry.token.catch(() => cache.delete(persona));
    cache.set(persona, entry);
    return entry.token;
  }

  /** The headers a request carries for `persona`, with `X-Legal-Process` when a reference is given. */
  async function headers(persona: PersonaName, legalProcess: string): Promise<PersonaHeaders> {
    const bearer = await token(persona);
    const order = legalProcess.trim();
    return {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(order ? { 'x-legal-process': order } : {}),
    };
  }

  return { token, headers };
}
