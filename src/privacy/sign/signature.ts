import { createHmac, hkdfSync, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config/env.js';
import { canonicalRequest, type SignedRequestParts } from './canonicalRequest.js';

/** Header carrying the encoded disclosure context on every gateway -> subgraph fetch. */
export const CONTEXT_HEADER = 'x-disclosure-context';
/** Header carrying `v2;t=<ms>;n=<nonce>;s=<mac>` over the canonical request (see canonicalRequest.ts). */
export const SIGNATURE_HEADER = 'x-disclosure-signature';
/** How long a signature is accepted either side of its timestamp, and a nonce remembered. */
export const SIGNATURE_WINDOW_MS = 30_000;

/**
 * The signing key of one audience (a subgraph, or circulation's facts endpoint), derived from the
 * shared context secret, so a request signed for one service is worthless at another.
 */
export function audienceKey(secret: string, audience: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secret, 'library-graph', `disclosure-context:${audience}`, 32),
  );
}

/**
 * The context secrets a verifier accepts, current first: during a rotation also the previous one
 * (CONTEXT_SECRET_PREVIOUS), so services can be moved to the new secret one by one. Signers use
 * the current secret only.
 */
export function verificationSecrets(
  config: Pick<Config, 'contextSecret' | 'contextSecretPrevious'>,
): string[] {
  return config.contextSecretPrevious
    ? [config.contextSecret, config.contextSecretPrevious]
    : [config.contextSecret];
}

const mac = (key: Buffer, parts: SignedRequestParts): Buffer =>
  createHmac('sha256', key).update(canonicalRequest(parts)).digest();

/** The request as the signer sends it: everything of the canonical request but time and nonce. */
export type RequestToSign = Omit<SignedRequestParts, 'time' | 'nonce'>;

/**
 * Signs one request (method, target, content type, context, exact body bytes) for its audience,
 * with a timestamp and a fresh nonce (a random UUID: 122 random bits, drawn from Node's cached
 * entropy rather than a call into OpenSSL per request); returns the signature header's value.
 */
export function signRequest(
  options: RequestToSign & { key: Buffer; now?: number; nonce?: string },
): string {
  const time = String(options.now ?? Date.now());
  const nonce = options.nonce ?? randomUUID();
  const signature = mac(options.key, { ...options, time, nonce });
  return `v2;t=${time};n=${nonce};s=${signature.toString('base64url')}`;
}

/** Why a signed request was refused (logged; the client only sees 401). */
export type VerifyFailure =
  | 'wrong-request'
  | 'missing'
  | 'malformed'
  | 'bad-signature'
  | 'stale'
  | 'replayed'
  | 'nonce-store-failed';

/** A signature that checks out: the context it covers, and the nonce to claim until `expiresAt`. */
export interface VerifiedSignature {
  ok: true;
  context: string;
  nonce: string;
  /** When the signature leaves its window, so its nonce need not be remembered after. */
  expiresAt: number;
}

/** The outcome of checking one signature (single use is the nonce store's part). */
export type SignatureCheck = VerifiedSignature | { ok: false; reason: VerifyFailure };

/**
 * Checks one request's signature header against the request as received: the MAC over its
 * canonical request under the audience's key (any of `key` when a rotation gives two), then the
 * ±30 s window. Pure: the caller claims the nonce afterwards, so a forged request never burns a
 * genuine one's nonce.
 */
export function verifySignature(
  key: Buffer | readonly Buffer[],
  request: Omit<RequestToSign, 'context'> & {
    context: string | undefined;
    header: string | undefined;
  },
  now = Date.now(),
  windowMs = SIGNATURE_WINDOW_MS,
): SignatureCheck {
  const { context, header } = request;
  if (!context || !header) return { ok: false, reason: 'missing' };
  const match = /^v2;t=(\d{1,16});n=([A-Za-z0-9_-]{16,64});s=([A-Za-z0-9_-]{43})$/.exec(header);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, time, nonce, given] = match as unknown as [string, string, string, string];
  const actual = Buffer.from(given, 'base64url');
  const matches = (candidate: Buffer) => {
    const expected = mac(candidate, { ...request, context, time, nonce });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };
  if (!(Buffer.isBuffer(key) ? [key] : key).some(matches))
    return { ok: false, reason: 'bad-signature' };
  if (Math.abs(now - Number(time)) > windowMs) return { ok: false, reason: 'stale' };
  return { ok: true, context, nonce, expiresAt: Number(time) + windowMs + 1 };
}
