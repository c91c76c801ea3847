import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header carrying the encoded disclosure context on every gateway -> subgraph fetch. */
export const CONTEXT_HEADER = 'x-disclosure-context';
/** Header carrying `v1;t=<ms>;n=<nonce>;s=<mac>` over context, body digest, time and nonce. */
export const SIGNATURE_HEADER = 'x-disclosure-signature';

/**
 * The signing key of one audience (a subgraph, or circulation's facts endpoint), derived from the
 * shared context secret, so a request signed for one service is worthless at another.
 */
export function audienceKey(secret: string, audience: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'library-graph', `disclosure-context:${audience}`, 32));
}

const bodyDigest = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('base64url');

const mac = (key: Buffer, audience: string, time: string, nonce: string, context: string, digest: string): Buffer =>
  createHmac('sha256', key).update(['v1', audience, time, nonce, context, digest].join('\n')).digest();

/** Signs one request: the context, the exact body bytes, a timestamp and a fresh nonce. */
export function signRequest(options: {
  key: Buffer;
  audience: string;
  context: string;
  body: string | Uint8Array;
  now?: number;
  nonce?: string;
}): string {
  const time = String(options.now ?? Date.now());
  const nonce = options.nonce ?? randomBytes(16).toString('base64url');
  const signature = mac(options.key, options.audience, time, nonce, options.context, bodyDigest(options.body));
  return `v1;t=${time};n=${nonce};s=${signature.toString('base64url')}`;
}

/** Why a signed request was refused (logged; the client only sees 401). */
export type VerifyFailure = 'missing' | 'malformed' | 'bad-signature' | 'stale' | 'replayed';

/** The outcome of verifying one request. */
export type VerifyResult = { ok: true; context: string } | { ok: false; reason: VerifyFailure };

/**
 * Verifies signed requests for one audience: signature, a ±30 s window and single use of each
 * nonce. It remembers nonces for the window only, so memory stays bounded by the request rate.
 */
export class RequestVerifier {
  readonly #seen = new Map<string, number>();
  #lastSweep = 0;

  constructor(
    private readonly key: Buffer,
    private readonly audience: string,
    private readonly windowMs = 30_000,
  ) {}

  /** Checks one request's headers against its raw body. */
  verify(context: string | undefined, header: string | undefined, body: Uint8Array | string, now = Date.now()): VerifyResult {
    if (!context || !header) return { ok: false, reason: 'missing' };
    const match = /^v1;t=(\d{1,16});n=([A-Za-z0-9_-]{16,64});s=([A-Za-z0-9_-]{43})$/.exec(header);
    if (!match) return { ok: false, reason: 'malformed' };
    const [, time, nonce, given] = match as unknown as [string, string, string, string];
    const expected = mac(this.key, this.audience, time, nonce, context, bodyDigest(body));
    const actual = Buffer.from(given, 'base64url');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: 'bad-signature' };
    if (Math.abs(now - Number(time)) > this.windowMs) return { ok: false, reason: 'stale' };
    this.#sweep(now);
    if (this.#seen.has(nonce)) return { ok: false, reason: 'replayed' };
    this.#seen.set(nonce, Number(time));
    return { ok: true, context };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 1_000) return;
    this.#lastSweep = now;
    for (const [nonce, time] of this.#seen) if (Math.abs(now - time) > this.windowMs) this.#seen.delete(nonce);
  }
}
