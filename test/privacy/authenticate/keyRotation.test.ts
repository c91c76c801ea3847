/**
 * Rotating the token keys without downtime: while a rotation is under way the gateway accepts
 * tokens of both the new and the previous key (JWT_PUBLIC_KEY + JWT_PUBLIC_KEY_PREVIOUS, or a
 * JWKS holding both), and once the previous key is removed its tokens are refused with the same
 * 401 UNAUTHENTICATED as any wrongly signed token.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/env.js';
import { HttpRefusal } from '../../../src/errors/httpRefusal.js';
import { createAuthenticator, createTokenIssuer } from '../../../src/privacy/authenticate/token.js';

const pair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKey,
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
};
const oldKey = pair();
const newKey = pair();
const strangerKey = pair();

const base = { NODE_ENV: 'test', JWT_ALGORITHM: 'RS256' };
const claims = { roles: ['staff'], duties: ['circulation'] };

/** A token as an issuer of `key` makes it (with `kid`, or without, as card logins were minted before). */
const token = (config: Config, key: KeyObject, kid?: string) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
    .setSubject('staff:rotation')
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setExpirationTime('1h')
    .sign(key);

async function outcome(
  config: Config,
  jwt: string,
  options?: Parameters<typeof createAuthenticator>[1],
): Promise<string> {
  const authenticate = await createAuthenticator(config, options);
  try {
    const context = await authenticate({ authorization: `Bearer ${jwt}` }, 'r');
    return `accepted ${context.principal}`;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpRefusal);
    expect((error as HttpRefusal).status).toBe(401);
    expect((error as HttpRefusal).code).toBe('UNAUTHENTICATED');
    return `refused: ${(error as HttpRefusal).message}`;
  }
}

const thumbprint = async (key: KeyObject) => calculateJwkThumbprint(await exportJWK(key));

describe('JWT_PUBLIC_KEY with JWT_PUBLIC_KEY_PREVIOUS', () => {
  const during = loadConfig({
    ...base,
    JWT_PUBLIC_KEY: newKey.publicPem,
    JWT_PUBLIC_KEY_PREVIOUS: oldKey.publicPem,
    JWT_PRIVATE_KEY: newKey.privatePem,
  });
  const after = loadConfig({
    ...base,
    JWT_PUBLIC_KEY: newKey.publicPem,
    JWT_PRIVATE_KEY: newKey.privatePem,
  });

  it('during a rotation, tokens of the previous key are accepted, with or without a kid', async () => {
    expect(await outcome(during, await token(during, oldKey.privateKey))).toBe(
      'accepted staff:rotation',
    );
    expect(
      await outcome(
        during,
        await token(during, oldKey.privateKey, await thumbprint(oldKey.publicKey)),
      ),
    ).toBe('accepted staff:rotation');
    expect(await outcome(during, await token(during, newKey.privateKey))).toBe(
      'accepted staff:rotation',
    );
  });

  it('tokens issued here carry the kid of the signing key, and are accepted during and after', async () => {
    const issued = await (await createTokenIssuer(during))!({
      sub: 'staff:card',
      roles: ['staff'],
    });
    expect(decodeProtectedHeader(issued).kid).toBe(await thumbprint(newKey.publicKey));
    expect(await outcome(during, issued)).toBe('accepted staff:card');
    expect(await outcome(after, issued)).toBe('accepted staff:card');
    const named = loadConfig({
      ...base,
      JWT_PUBLIC_KEY: newKey.publicPem,
      JWT_PRIVATE_KEY: newKey.privatePem,
      JWT_KEY_ID: 'library-2026-12',
    });
    expect(
      decodeProtectedHeader(
        await (await createTokenIssuer(named))!({ sub: 'staff:card', roles: ['staff'] }),
      ).kid,
    ).toBe('library-2026-12');
  });

  it('once the previous key is removed, its tokens are refused as invalid', async () => {
    expect(await outcome(after, await token(after, oldKey.privateKey))).toBe(
      'refused: Token is invalid',
    );
    expect(
      await outcome(
        after,
        await token(after, oldKey.privateKey, await thumbprint(oldKey.publicKey)),
      ),
    ).toBe('refused: Token is invalid');
  });

  it('a key that is neither is refused, whatever kid the token claims', async () => {
    for (const kid of [
      undefined,
      'unknown',
      await thumbprint(newKey.publicKey),
      await thumbprint(oldKey.publicKey),
    ]) {
      expect(await outcome(during, await token(during, strangerKey.privateKey, kid))).toBe(
        'refused: Token is invalid',
      );
    }
  });

  it('an expired token of the previous key says it expired', async () => {
    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('s')
      .setIssuer(during.jwt.issuer)
      .setAudience(during.jwt.audience)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 600)
      .sign(oldKey.privateKey);
    expect(await outcome(during, expired)).toBe('refused: Token expired');
  });

  it('JWT_PUBLIC_KEY_PREVIOUS must be a PEM public key', () => {
    expect(() =>
      loadConfig({ ...base, JWT_PUBLIC_KEY: newKey.publicPem, JWT_PUBLIC_KEY_PREVIOUS: 'nope' }),
    ).toThrow(/JWT_PUBLIC_KEY_PREVIOUS/);
  });
});

describe('JWT_JWKS_URL, rotated at the key server', () => {
  let server: http.Server;
  let keys: JWK[] = [];
  let fetches = 0;
  let config: Config;
  const jwk = async (key: KeyObject): Promise<JWK> => ({
    ...(await exportJWK(key)),
    kid: await thumbprint(key),
    alg: 'RS256',
    use: 'sig',
  });
  // jose's defaults (a refetch at most every 30 s, keys cached 10 min) made short for the test.
  const timing = { jwks: { cooldownMs: 0, cacheMaxAgeMs: 300 } };

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    config = loadConfig({
      ...base,
      JWT_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
      JWT_PRIVATE_KEY: newKey.privatePem,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a token whose kid is new is accepted by refetching the JWKS; the old key works until it is removed', async () => {
    keys = [await jwk(oldKey.publicKey)];
    const authenticate = await createAuthenticator(config, timing);
    const check = async (jwt: string) =>
      authenticate({ authorization: `Bearer ${jwt}` }, 'r').then(
        (c) => `accepted ${c.principal}`,
        (e: HttpRefusal) => `refused ${e.status} ${e.code}: ${e.message}`,
      );
    const oldToken = await token(config, oldKey.privateKey, await thumbprint(oldKey.publicKey));
    expect(await check(oldToken)).toBe('accepted staff:rotation');
    // The new key is published beside the old one, and this deployment starts issuing with it.
    keys = [await jwk(newKey.publicKey), await jwk(oldKey.publicKey)];
    const before = fetches;
    const issued = await (await createTokenIssuer(config))!({
      sub: 'staff:card',
      roles: ['staff'],
    });
    expect(await check(issued)).toBe('accepted staff:card');
    expect(fetches).toBe(before + 1);
    expect(await check(oldToken)).toBe('accepted staff:rotation');
    // A token minted without a kid (before this rotation) still finds its key among two.
    expect(await check(await token(config, oldKey.privateKey))).toBe('accepted staff:rotation');
    // The old key is withdrawn; once the cached set is stale its tokens are refused.
    keys = [await jwk(newKey.publicKey)];
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await check(oldToken)).toBe('refused 401 UNAUTHENTICATED: Token is invalid');
    expect(await check(await token(config, oldKey.privateKey))).toBe(
      'refused 401 UNAUTHENTICATED: Token is invalid',
    );
    expect(await check(issued)).toBe('accepted staff:card');
    expect(await check(await token(config, strangerKey.privateKey, 'unknown'))).toBe(
      'refused 401 UNAUTHENTICATED: Token is invalid',
    );
  });
});
