import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET, loadConfig } from '../../../src/config/env.js';
import { HttpRefusal } from '../../../src/errors/httpRefusal.js';
import { createAuthenticator, createTokenIssuer } from '../../../src/privacy/authenticate/token.js';

const config = loadConfig({ NODE_ENV: 'test' });
const secret = new TextEncoder().encode(DEV_JWT_SECRET);
const claims = { roles: ['staff'], duties: ['circulation'] };

const sign = (
  options: {
    exp?: string | number;
    nbf?: string | number;
    aud?: string;
    iss?: string;
    key?: Uint8Array;
  } = {},
) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('staff:test')
    .setIssuer(options.iss ?? config.jwt.issuer)
    .setAudience(options.aud ?? config.jwt.audience)
    .setIssuedAt()
    .setNotBefore(options.nbf ?? '0s')
    .setExpirationTime(options.exp ?? '1h')
    .sign(options.key ?? secret);

async function refusal(authorization: string | undefined): Promise<string | null> {
  const authenticate = await createAuthenticator(config);
  try {
    await authenticate({ authorization }, 'r1');
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpRefusal);
    expect((error as HttpRefusal).status).toBe(401);
    expect((error as HttpRefusal).code).toBe('UNAUTHENTICATED');
    return (error as HttpRefusal).message;
  }
}

describe('bearer tokens at the gateway', () => {
  it('no header: anonymous, with no roles', async () => {
    const authenticate = await createAuthenticator(config);
    expect(await authenticate({}, 'r1')).toMatchObject({
      principal: null,
      roles: [],
      patronId: null,
    });
  });

  it('a valid token: its claims become the disclosure context', async () => {
    const authenticate = await createAuthenticator(config);
    const context = await authenticate(
      { authorization: `Bearer ${await sign()}`, legalProcess: ' ORDER-1 ', purpose: 'desk' },
      'r1',
    );
    expect(context).toMatchObject({
      principal: 'staff:test',
      roles: ['staff'],
      duties: ['circulation'],
      legalOrder: 'ORDER-1',
      purpose: 'desk',
      requestId: 'r1',
    });
  });

  it.each([
    ['expired', () => sign({ exp: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    ['not yet valid', () => sign({ nbf: Math.floor(Date.now() / 1000) + 600 }), /nbf/],
    [
      'signed with the wrong key',
      () => sign({ key: new TextEncoder().encode('x'.repeat(40)) }),
      /invalid/,
    ],
    ['for another audience', () => sign({ aud: 'someone-else' }), /aud/],
    ['from another issuer', () => sign({ iss: 'someone-else' }), /iss/],
    [
      'unsigned (alg: none)',
      async () =>
        new UnsecuredJWT(claims)
          .setSubject('x')
          .setIssuer(config.jwt.issuer)
          .setAudience(config.jwt.audience)
          .setExpirationTime('1h')
          .encode(),
      /invalid|Bearer/,
    ],
    ['garbage', async () => 'not.a.token', /invalid/],
  ])('%s: 401 UNAUTHENTICATED, never anonymous', async (_, token, message) => {
    expect(await refusal(`Bearer ${await token()}`)).toMatch(message);
  });

  it('tolerates a small clock skew', async () => {
    expect(
      await refusal(`Bearer ${await sign({ exp: Math.floor(Date.now() / 1000) - 10 })}`),
    ).toBeNull();
  });

  it('a malformed Authorization header is refused, not ignored', async () => {
    expect(await refusal('Basic dXNlcjpwYXNz')).toMatch(/Bearer/);
    expect(await refusal('')).toMatch(/Bearer/);
  });
});

describe('production keys', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const production = {
    NODE_ENV: 'production',
    JWT_PUBLIC_KEY: pem,
    JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    CONTEXT_SECRET: 'c'.repeat(48),
    AUDIT_KEY: 'a'.repeat(48),
    PSEUDONYM_KEY: 'p'.repeat(48),
    TALLY_KEY: 't'.repeat(48),
  };

  it('refuses to start with the development secret or with no key', () => {
    expect(() =>
      loadConfig({ ...production, JWT_PUBLIC_KEY: undefined, JWT_PRIVATE_KEY: undefined }),
    ).toThrow(/JWT_PUBLIC_KEY or JWT_JWKS_URL/);
    expect(() => loadConfig({ ...production, JWT_SECRET: DEV_JWT_SECRET })).toThrow(
      /development secret/,
    );
    expect(() => loadConfig({ ...production, CONTEXT_SECRET: undefined })).toThrow(
      /CONTEXT_SECRET/,
    );
  });

  it.each(['production', 'development', 'test'])(
    'in %s, no variable turns enforcement, the pre-filter, signing or the audit off: the old switches are refused by name',
    (mode) => {
      const base = mode === 'production' ? production : { NODE_ENV: mode };
      for (const name of [
        'PRIVACY_ENFORCEMENT',
        'GATEWAY_PREFILTER',
        'CONTEXT_SIGNING',
        'AUDIT',
        'AUDIT_TIMER_SCALE',
      ]) {
        expect(
          () => loadConfig({ ...base, [name]: name === 'AUDIT_TIMER_SCALE' ? '50' : 'off' }),
          name,
        ).toThrow(new RegExp(`${name}: .*not a setting`));
      }
      const config = loadConfig(base);
      expect([
        config.privacyEnforcement,
        config.gatewayPrefilter,
        config.contextSigning,
        config.audit.enabled,
        config.audit.timerScale,
      ]).toEqual([true, true, true, true, 1]);
    },
  );

  it('verifies RS256 tokens and refuses an HS256 token made with the public key (algorithm confusion)', async () => {
    const prod = loadConfig(production);
    const authenticate = await createAuthenticator(prod);
    const issue = (await createTokenIssuer(prod))!;
    const good = await issue({ sub: 'staff:rs', roles: ['staff'], duties: ['circulation'] });
    expect(await authenticate({ authorization: `Bearer ${good}` }, 'r')).toMatchObject({
      principal: 'staff:rs',
    });
    const confused = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('attacker')
      .setIssuer(prod.jwt.issuer)
      .setAudience(prod.jwt.audience)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(pem));
    await expect(authenticate({ authorization: `Bearer ${confused}` }, 'r')).rejects.toMatchObject({
      status: 401,
    });
  });

  it('cannot issue tokens without a private key', async () => {
    expect(
      await createTokenIssuer(loadConfig({ ...production, JWT_PRIVATE_KEY: undefined })),
    ).toBeNull();
  });
});
