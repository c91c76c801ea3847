import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraph, type RunningGraph } from '../../src/app/graph.js';
import { PERSONA_PATRONS } from '../../src/dev/personas.js';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/log/logger.js';
import { mintToken } from '../../src/privacy/authenticate/token.js';
import { CARD_LOGIN_REFUSED, MAX_CLIENT_FAILURES } from '../../subgraphs/circulation/cardLogin.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

/** Small limits, so a test reaches them: 30 anonymous requests, 5 signed-in, then one a minute. */
const LIMITS = {
  RATE_LIMIT_ANONYMOUS_BURST: '30',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1',
  RATE_LIMIT_PRINCIPAL_BURST: '5',
  RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1',
};

let t: TestGraph;
/** Gateways over the same subgraphs that trust no proxy: one for the rate limit, one for card logins. */
let untrusting: { graph: RunningGraph; url: string };
let untrustingLogins: { graph: RunningGraph; url: string };

/** Starts a gateway alone, over the test graph's subgraphs, trusting no proxy. */
const startUntrustingGateway = async (anonymousBurst: number) => {
  const config = loadConfig({
    NODE_ENV: 'test',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
    CATALOG_URL: t.graph.urls.catalog!,
    CIRCULATION_URL: t.graph.urls.circulation!,
    EVENTS_URL: t.graph.urls.events!,
    ...LIMITS,
    RATE_LIMIT_ANONYMOUS_BURST: String(anonymousBurst),
  });
  const graph = await startGraph(config, createLogger('test', 'silent'), 'gateway');
  return { graph, url: graph.urls.gateway! };
};

beforeAll(async () => {
  // The test client connects from loopback; as a trusted proxy it may say whom it forwards for.
  t = await startTestGraph({ ...LIMITS, TRUSTED_PROXIES: '127.0.0.1,::1' });
  untrusting = await startUntrustingGateway(30);
  untrustingLogins = await startUntrustingGateway(100);
}, 120_000);
afterAll(async () => {
  await untrusting?.graph.stop();
  await untrustingLogins?.graph.stop();
  await t?.stop();
});

interface Answer {
  status: number;
  retryAfter: string | null;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

const post = async (options: {
  url?: string;
  from?: string;
  token?: string;
  query?: string;
  variables?: object;
  raw?: string;
}): Promise<Answer> => {
  const response = await fetch(options.url ?? t.gatewayUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.from ? { 'x-forwarded-for': options.from } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body:
      options.raw ??
      JSON.stringify({ query: options.query ?? '{ __typename }', variables: options.variables }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Answer['body'],
  };
};

/** Sends `count` requests and returns their statuses. */
const statuses = async (count: number, options: Parameters<typeof post>[0]) => {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await post(options)).status);
  return seen;
};

const staffToken = (sub: string) =>
  mintToken({ sub, roles: ['staff'], duties: ['circulation'] }, t.config);

describe('rate limits at the gateway', () => {
  it('an anonymous address gets its burst, then HTTP 429 with Retry-After and one RATE_LIMITED error', async () => {
    expect(await statuses(30, { from: '203.0.113.1' })).toEqual(Array(30).fill(200));
    const refused = await post({ from: '203.0.113.1' });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({
      errors: [
        {
          message: `Too many requests: at most 1 a minute, in bursts of up to 30, per client address; retry after ${refused.retryAfter} s`,
          extensions: { code: 'RATE_LIMITED' },
        },
      ],
    });
    // Another address is not held back.
    expect((await post({ from: '203.0.113.2' })).status).toBe(200);
  });

  it('a signed-in caller has a bucket of its own, by token subject', async () => {
    const [first, second] = await Promise.all([
      staffToken('staff:rate-a'),
      staffToken('staff:rate-b'),
    ]);
    expect(await statuses(5, { from: '203.0.113.3', token: first })).toEqual(Array(5).fill(200));
    const refused = await post({ from: '203.0.113.3', token: first });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.message).toMatch(/per signed-in caller/);
    // Neither another principal nor an anonymous caller at the same address is held back.
    expect((await post({ from: '203.0.113.3', token: second })).status).toBe(200);
    expect((await post({ from: '203.0.113.3' })).status).toBe(200);
  });

  it('a patron is counted by patron id, whatever subject each card login gave the token', async () => {
    const claims = { roles: ['patron' as const], patronId: PERSONA_PATRONS.guardian.id };
    const [one, two] = await Promise.all([
      mintToken({ sub: 'card:one', ...claims }, t.config),
      mintToken({ sub: 'card:two', ...claims }, t.config),
    ]);
    expect([
      ...(await statuses(3, { token: one })),
      ...(await statuses(2, { token: two })),
    ]).toEqual(Array(5).fill(200));
    expect((await post({ token: two })).status).toBe(429);
  });

  it('a refused request is answered before its body is read or parsed', async () => {
    await statuses(30, { from: '203.0.113.4' });
    expect((await post({ from: '203.0.113.4', raw: '{ not json' })).status).toBe(429);
    // Announces a 1 MiB body and sends none: only an answer given before reading it arrives.
    const url = new URL(t.gatewayUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': 1024 * 1024,
            'x-forwarded-for': '203.0.113.4',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.setTimeout(5000, () => reject(new Error('no answer before the body was sent')));
      req.flushHeaders();
    });
    expect(status).toBe(429);
  });

  it('a request with a bad token is counted against its address', async () => {
    const bad = await statuses(30, { from: '203.0.113.5', token: 'not.a.token' });
    expect(bad).toEqual(Array(30).fill(401));
    expect((await post({ from: '203.0.113.5', token: 'not.a.token' })).status).toBe(429);
  });

  it('X-Forwarded-For from a peer that is not a trusted proxy changes nothing', async () => {
    const burst = 30;
    const seen: number[] = [];
    for (let i = 0; i <= burst; i++)
      seen.push((await post({ url: untrusting.url, from: `192.0.2.${i}` })).status);
    expect(seen).toEqual([...Array(burst).fill(200), 429]);
  });

  it('/health is never limited', async () => {
    for (let i = 0; i < 40; i++)
      expect(
        (
          await fetch(new URL('/health', t.gatewayUrl), {
            headers: { 'x-forwarded-for': '203.0.113.1' },
          })
        ).status,
      ).toBe(200);
  });
});

describe('card login throttled per client address, as the gateway saw it', () => {
  const LOGIN =
    'mutation($card: String!, $pin: String!) { authenticateWithCard(cardNumber: $card, pin: $pin) { token } }';
  const minor = PERSONA_PATRONS.minor;
  /** `count` failed logins on unknown cards, a different PIN each, so only the address adds up. */
  const failFrom = async (count: number, from: string, url?: string) => {
    for (let i = 0; i < count; i++) {
      const res = await post({
        url,
        from,
        query: LOGIN,
        variables: { card: `2901900000${String(i).padStart(4, '0')}`, pin: String(5000 + i) },
      });
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          message: CARD_LOGIN_REFUSED,
          extensions: { code: 'BAD_USER_INPUT' },
        }),
      ]);
    }
  };
  const login = (from: string, url?: string) =>
    post({ url, from, query: LOGIN, variables: { card: minor.cardNumber, pin: minor.pin } });

  it('an address that failed too often gets the wrong-PIN answer even for the right PIN; another address logs in', async () => {
    await failFrom(MAX_CLIENT_FAILURES, '198.51.100.7');
    const refused = await login('198.51.100.7');
    const wrongPin = await post({
      from: '198.51.100.9',
      query: LOGIN,
      variables: { card: minor.cardNumber, pin: '0000' },
    });
    expect(refused.body.errors).toEqual([
      {
        message: CARD_LOGIN_REFUSED,
        path: ['authenticateWithCard'],
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
    expect(refused).toEqual(wrongPin);
    const other = await login('198.51.100.8');
    expect(
      (other.body.data?.authenticateWithCard as { token?: string } | null)?.token,
    ).toBeTruthy();
  });

  it('a forged X-Forwarded-For does not make another client where no proxy is trusted', async () => {
    for (let i = 0; i < MAX_CLIENT_FAILURES; i++) {
      const res = await post({
        url: untrustingLogins.url,
        from: `192.0.2.${100 + i}`,
        query: LOGIN,
        variables: { card: `2901800000${String(i).padStart(4, '0')}`, pin: String(6000 + i) },
      });
      expect(res.body.errors?.[0]?.message).toBe(CARD_LOGIN_REFUSED);
    }
    expect((await login('192.0.2.250', untrustingLogins.url)).body.errors?.[0]?.message).toBe(
      CARD_LOGIN_REFUSED,
    );
  });
});
