import type { IncomingHttpHeaders } from 'node:http';
import { refusal } from '../../errors/httpRefusal.js';
import type { Logger } from '../../log/logger.js';
import type { NonceStore } from './nonceStore.js';
import {
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_WINDOW_MS,
  verifySignature,
  type VerifyFailure,
} from '../sign/signature.js';

/** What the guard reads of a call: its request line, headers and the raw body bytes. */
export interface SignedCall {
  req: { method?: string | undefined; url?: string | undefined; headers: IncomingHttpHeaders };
  body: Buffer;
}

const header = (request: SignedCall, name: string): string | undefined => {
  const value = request.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** What a guard needs: the audience's key and name, the one path it serves, and the shared nonces. */
export interface SignatureGuardOptions {
  /** The audience's key, or its keys current first while the context secret is rotated. */
  key: Buffer | readonly Buffer[];
  audience: string;
  /** The exact request target signed calls must use (e.g. `/graphql`): no other spelling, no query. */
  path: string;
  nonces: NonceStore;
  logger: Logger;
  windowMs?: number;
}

/**
 * The one check of a signed call, for the subgraphs' `/graphql` and circulation's facts
 * endpoint alike, run before the body is parsed: the call is a POST to exactly `path` with no
 * query string; its signature covers this method, target, content type, context and body, for
 * this audience, within ±30 s; and its nonce was never claimed by any replica. Anything else is
 * refused with 401 and no data; the reason is logged, never sent.
 */
export class SignatureGuard {
  constructor(private readonly options: SignatureGuardOptions) {}

  /** Returns the verified encoded context, or throws a 401 HttpRefusal. */
  async check(request: SignedCall, now = Date.now()): Promise<string> {
    const result = await this.#verify(request, now);
    if (result.ok) return result.context;
    this.options.logger.warn(
      { audience: this.options.audience, reason: result.reason },
      'refused unsigned or tampered request',
    );
    throw refusal('UNAUTHENTICATED', 'Missing or invalid disclosure-context signature');
  }

  async #verify(
    request: SignedCall,
    now: number,
  ): Promise<{ ok: true; context: string } | { ok: false; reason: VerifyFailure }> {
    const { req, body } = request;
    const { key, audience, path, nonces } = this.options;
    const refuse = (reason: VerifyFailure) => ({ ok: false, reason }) as const;
    if (req.method !== 'POST' || req.url !== path) return refuse('wrong-request');
    const verdict = verifySignature(
      key,
      {
        audience,
        method: req.method,
        target: req.url,
        contentType: header(request, 'content-type') ?? '',
        context: header(request, CONTEXT_HEADER),
        header: header(request, SIGNATURE_HEADER),
        body,
      },
      now,
      this.options.windowMs ?? SIGNATURE_WINDOW_MS,
    );
    if (!verdict.ok) return verdict;
    try {
      if (!(await nonces.claim(audience, verdict.nonce, verdict.expiresAt, now)))
        return refuse('replayed');
    } catch (error) {
      this.options.logger.error(
        { audience, err: error instanceof Error ? error.message : 'unknown' },
        'nonce store failed',
      );
      return refuse('nonce-store-failed');
    }
    return { ok: true, context: verdict.context };
  }
}
