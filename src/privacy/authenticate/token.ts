import { createPublicKey } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  exportJWK,
  importPKCS8,
  importSPKI,
  jwtVerify,
  SignJWT,
  type CryptoKey,
} from 'jose';
import { z } from 'zod';
import type { Config, JwtConfig } from '../../config/env.js';
import { refusal } from '../../errors/httpRefusal.js';
import { ROLES, anonymousContext, type DisclosureContext } from '../context/disclosureContext.js';
import { DUTIES } from '../vocabulary.js';
import { patronId, principalId } from '../context/ids.js';

/** Clock skew tolerated on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 30;

const Claims = z.object({
  sub: z.string().min(1).max(200),
  roles: z.array(z.enum(ROLES)).max(10),
  duties: z.array(z.enum(DUTIES)).max(10).optional(),
  patronId: z.string().min(1).max(100).optional(),
});

/** Claims our tokens carry. */
export type TokenClaims = z.infer<typeof Claims>;

const unauthenticated = (message: string) => refusal('UNAUTHENTICATED', message);

/** What the gateway knows of a request before it builds the disclosure context. */
export interface CallerHeaders {
  authorization?: string | undefined;
  legalProcess?: string | undefined;
  purpose?: string | undefined;
}

/** Turns request headers into a disclosure context, or refuses with 401. */
export type Authenticator = (
  headers: CallerHeaders,
  requestId: string,
) => Promise<DisclosureContext>;

type VerifyOptions = Parameters<typeof jwtVerify>[2];
type Verify = (token: string, options: VerifyOptions) => Promise<{ payload: unknown }>;

/** How long the JWKS is cached and how soon an unknown `kid` may refetch it (jose's defaults: 10 min, 30 s). */
export interface JwksTiming {
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
}

/** The RFC 7638 thumbprint of a PEM public key: the `kid` its tokens carry unless JWT_KEY_ID says otherwise. */
async function thumbprintOf(
  publicKey: string | ReturnType<typeof createPublicKey>,
): Promise<string> {
  return calculateJwkThumbprint(
    await exportJWK(typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey),
  );
}

const isSignatureFailure = (error: unknown) =>
  error instanceof joseErrors.JWSSignatureVerificationFailed;

/**
 * Verifies against several candidate keys: the first that verifies the token wins. A failure
 * other than a wrong signature (expired, wrong audience...) is the token's own, and is reported
 * as soon as a key verified its signature; when none did, the token is wrongly signed.
 */
async function verifyWithAny(
  token: string,
  keys: readonly CryptoKey[],
  options: VerifyOptions,
): Promise<{ payload: unknown }> {
  for (const key of keys) {
    try {
      return await jwtVerify(token, key, options);
    } catch (error) {
      if (!isSignatureFailure(error)) throw error;
    }
  }
  throw new joseErrors.JWSSignatureVerificationFailed();
}

/**
 * Imports the configured verification keys once, and pins the one algorithm they may be used
 * with. With public keys, a rotation has two: a token names its key by `kid` (the thumbprint, or
 * JWT_KEY_ID for the current key); a token without a known kid (card-login tokens minted before
 * kids) is tried against both. With a JWKS, jose picks the key by kid and refetches the set when
 * the kid is new; a token without a kid among several keys is tried against each.
 */
async function verifierFor(
  jwt: JwtConfig,
  timing: JwksTiming = {},
): Promise<{ verify: Verify; algorithms: string[] }> {
  switch (jwt.mode) {
    case 'shared-secret': {
      const key = new TextEncoder().encode(jwt.secret);
      return { verify: (token, options) => jwtVerify(token, key, options), algorithms: ['HS256'] };
    }
    case 'public-key': {
      const pems = [jwt.publicKey, ...(jwt.previousPublicKey ? [jwt.previousPublicKey] : [])];
      const keys = await Promise.all(pems.map((pem) => importSPKI(pem, jwt.algorithm)));
      const kids = await Promise.all(pems.map((pem) => thumbprintOf(pem)));
      if (jwt.keyId) kids[0] = jwt.keyId;
      return {
        verify: (token, options) => {
          let kid: unknown;
          try {
            kid = decodeProtectedHeader(token).kid;
          } catch {
            kid = undefined;
          }
          const named = kids.indexOf(typeof kid === 'string' ? kid : '');
          return verifyWithAny(token, named >= 0 ? [keys[named]!] : keys, options);
        },
        algorithms: [jwt.algorithm],
      };
    }
    case 'jwks': {
      const keys = createRemoteJWKSet(new URL(jwt.jwksUrl), {
        ...(timing.cacheMaxAgeMs !== undefined ? { cacheMaxAge: timing.cacheMaxAgeMs } : {}),
        ...(timing.cooldownMs !== undefined ? { cooldownDuration: timing.cooldownMs } : {}),
      });
      return {
        verify: async (token, options) => {
          try {
            return await jwtVerify(token, keys, options);
          } catch (error) {
            if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) throw error;
            const candidates: CryptoKey[] = [];
            for await (const key of error as unknown as AsyncIterable<CryptoKey>)
              candidates.push(key);
            return verifyWithAny(token, candidates, options);
          }
        },
        algorithms: [jwt.algorithm],
      };
    }
  }
}

/**
 * Builds the gateway's authenticator once (keys imported at start). No Authorization header:
 * anonymous. A header that is there but wrong (malformed, expired, not yet valid, wrong issuer or
 * audience, wrongly signed, `alg: none`, an algorithm other than the configured one): HTTP 401
 * UNAUTHENTICATED, never a silent downgrade to anonymous.
 */
export async function createAuthenticator(
  config: Config,
  timing: { jwks?: JwksTiming } = {},
): Promise<Authenticator> {
  const { verify, algorithms } = await verifierFor(config.jwt, timing.jwks);
  const options = {
    algorithms,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp', 'sub'],
  };
  return async (headers, requestId) => {
    const base = anonymousContext(requestId);
    const purpose = headers.purpose?.trim().slice(0, 500) || null;
    if (headers.authorization === undefined) return { ...base, purpose };
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(
      headers.authorization.trim(),
    );
    if (!match) throw unauthenticated('Authorization must be "Bearer <JWT>"');
    let payload: unknown;
    try {
      ({ payload } = await verify(match[1]!, options));
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired
          ? 'Token expired'
          : error instanceof joseErrors.JWTClaimValidationFailed
            ? `Token claim "${error.claim}" is not valid here`
            : 'Token is invalid';
      throw unauthenticated(reason);
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw unauthenticated('Token claims are malformed');
    const legalOrder = headers.legalProcess?.trim() || null;
    if (legalOrder !== null && legalOrder.length > 200)
      throw unauthenticated('X-Legal-Process is too long');
    return {
      principal: principalId(claims.data.sub),
      roles: claims.data.roles,
      duties: claims.data.duties ?? [],
      patronId: claims.data.patronId ? patronId(claims.data.patronId) : null,
      legalOrder,
      purpose,
      requestId,
    };
  };
}

/** Signs tokens for our own logins (card login, development personas). */
export type TokenIssuer = (claims: TokenClaims, ttlSeconds?: number) => Promise<string>;

/**
 * Builds the issuer: HS256 with the shared secret in development, the configured private key in
 * production. Null when production has no private key: then this deployment cannot issue tokens.
 */
export async function createTokenIssuer(config: Config): Promise<TokenIssuer | null> {
  const jwt = config.jwt;
  let sign: { key: Uint8Array | CryptoKey; alg: string; kid?: string };
  if (jwt.mode === 'shared-secret')
    sign = { key: new TextEncoder().encode(jwt.secret), alg: 'HS256' };
  else if (jwt.privateKey) {
    // The kid names the signing key, so verifiers holding two keys during a rotation pick the right one.
    const kid = jwt.keyId ?? (await thumbprintOf(createPublicKey(jwt.privateKey)));
    sign = { key: await importPKCS8(jwt.privateKey, jwt.algorithm), alg: jwt.algorithm, kid };
  } else return null;
  return async (claims, ttlSeconds = 8 * 3600) => {
    const { sub, ...rest } = claims;
    return new SignJWT(rest)
      .setProtectedHeader({ alg: sign.alg, typ: 'JWT', ...(sign.kid ? { kid: sign.kid } : {}) })
      .setSubject(sub)
      .setIssuer(jwt.issuer)
      .setAudience(jwt.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(sign.key);
  };
}

/** Signs one development token (tests, `npm run token`); throws where this deployment cannot issue. */
export async function mintToken(
  claims: TokenClaims,
  config: Config,
  ttlSeconds?: number,
): Promise<string> {
  const issue = await createTokenIssuer(config);
  if (!issue) throw new Error('no private key is configured to issue tokens (JWT_PRIVATE_KEY)');
  return issue(claims, ttlSeconds);
}
