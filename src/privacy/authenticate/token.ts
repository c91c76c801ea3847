import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Config } from '../../config/env.js';
import { HttpRefusal } from '../../http/serve.js';
import { DUTIES, ROLES, anonymousContext, type DisclosureContext } from '../context/disclosureContext.js';
import { patronId, principalId } from '../context/ids.js';

/** Clock skew tolerated on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 30;

const Claims = z.object({
  sub: z.string().min(1).max(200),
  roles: z.array(z.enum(ROLES)).max(10),
  duties: z.array(z.enum(DUTIES)).max(10).optional(),
  patronId: z.string().min(1).max(100).optional(),
});

/** Claims a development token carries. */
export type TokenClaims = z.infer<typeof Claims>;

const unauthenticated = (message: string) => new HttpRefusal(401, 'UNAUTHENTICATED', message);

/** What the gateway knows of a request before it builds the disclosure context. */
export interface CallerHeaders {
  authorization?: string | undefined;
  legalProcess?: string | undefined;
  purpose?: string | undefined;
}

/**
 * Turns the request's headers into a disclosure context. No Authorization header: anonymous. A
 * header that is there but wrong (malformed, expired, not yet valid, wrongly signed, `alg: none`,
 * another algorithm): HTTP 401 UNAUTHENTICATED, never a silent downgrade to anonymous.
 */
export async function authenticate(headers: CallerHeaders, config: Config, requestId: string): Promise<DisclosureContext> {
  const base = anonymousContext(requestId);
  const purpose = headers.purpose?.slice(0, 500) ?? null;
  if (headers.authorization === undefined) return { ...base, purpose };
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(headers.authorization.trim());
  if (!match) throw unauthenticated('Authorization must be "Bearer <JWT>"');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(match[1]!, new TextEncoder().encode(config.jwt.secret), {
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    const reason =
      error instanceof joseErrors.JWTExpired ? 'Token expired'
      : error instanceof joseErrors.JWTClaimValidationFailed ? `Token claim "${error.claim}" is not valid here`
      : 'Token is invalid';
    throw unauthenticated(reason);
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw unauthenticated('Token claims are malformed');
  const legalOrder = headers.legalProcess?.trim() || null;
  if (legalOrder !== null && legalOrder.length > 200) throw unauthenticated('X-Legal-Process is too long');
  return {
    principal: principalId(claims.data.sub),
    roles: claims.data.roles,
    duties: claims.data.duties ?? [],
    patronId: claims.data.patronId ? patronId(claims.data.patronId) : null,
    legalOrder,
    purpose,
    requestId,
  };
}

/** Signs a development token (HS256) for the given claims, valid for `ttlSeconds`. */
export async function mintToken(claims: TokenClaims, config: Config, ttlSeconds = 8 * 3600): Promise<string> {
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(new TextEncoder().encode(config.jwt.secret));
}
