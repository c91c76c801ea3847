/**
 * The signature over the canonical request (src/privacy/sign/): what it binds, each refusal
 * reason, the ±30 s window, and the nonce stores that make a signed call single-use across
 * every replica.
 */
import fs from 'node:fs';
import type http from 'node:http';
import Database from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpRefusal } from '../../../src/errors/httpRefusal.js';
import { createLogger } from '../../../src/log/logger.js';
import { encodeContext } from '../../../src/privacy/context/disclosureContext.js';
import { canonicalQuery, canonicalRequest } from '../../../src/privacy/sign/canonicalRequest.js';
import { MemoryNonceStore, type NonceStore } from '../../../src/privacy/verify/nonceStore.js';
import {
  openSharedNonceStore,
  type SharedNonceStore,
} from '../../../src/privacy/verify/sharedNonceStore.js';
import {
  audienceKey,
  signRequest,
  verifySignature,
  type SignatureCheck,
} from '../../../src/privacy/sign/signature.js';
import { SignatureGuard } from '../../../src/privacy/verify/signatureGuard.js';
import { P, ctx } from '../fixtures.js';

const SECRET = 'context-secret-for-tests-0123456789';
const AUDIENCE = 'circulation';
const KEY = audienceKey(SECRET, AUDIENCE);
const T0 = Date.parse('2026-03-15T12:00:00.000Z');
const CONTEXT = encodeContext(P.patron);
const BODY = JSON.stringify({ query: '{ me { name loans { id } } }' });
const NONCE = 'nonce-aaaaaaaaaaaaaaaa';
const REQUEST = {
  audience: AUDIENCE,
  method: 'POST',
  target: '/graphql',
  contentType: 'application/json',
  context: CONTEXT,
  body: BODY,
};

const sign = (over: Partial<Parameters<typeof signRequest>[0]> = {}): string =>
  signRequest({ key: KEY, ...REQUEST, now: T0, ...over });
const check = (
  header: string | undefined,
  over: Partial<typeof REQUEST> & { context?: string | undefined } = {},
  now = T0,
): SignatureCheck => verifySignature(KEY, { ...REQUEST, ...over, header }, now);
const refused = (reason: string) => ({ ok: false, reason });

describe('verifySignature', () => {
  it('accepts the request as signed, and names its nonce and when it leaves the window', () => {
    expect(check(sign({ nonce: NONCE }))).toEqual({
      ok: true,
      context: CONTEXT,
      nonce: NONCE,
      expiresAt: T0 + 30_001,
    });
  });

  it('accepts the same body bytes as a Uint8Array', () => {
    expect(check(sign(), { body: new TextEncoder().encode(BODY) as unknown as string }).ok).toBe(
      true,
    );
  });

  it.each([
    { name: 'signed 30 s ago (edge of the window)', signedAt: T0 - 30_000, ok: true },
    { name: 'signed 30 s ahead (edge of the window)', signedAt: T0 + 30_000, ok: true },
    { name: 'signed 30.001 s ago', signedAt: T0 - 30_001, ok: false },
    { name: 'signed 30.001 s ahead', signedAt: T0 + 30_001, ok: false },
    { name: 'signed at the epoch', signedAt: 0, ok: false },
  ])('$name -> ok=$ok (else stale)', ({ signedAt, ok }) => {
    const result = check(sign({ now: signedAt }));
    expect(ok ? result.ok : result).toEqual(ok ? true : refused('stale'));
  });

  // Each row: the request as received differs from the one signed in exactly one part.
  it.each([
    { name: 'method POST re-sent as GET', over: { method: 'GET' } },
    {
      name: 'a query string added',
      over: { target: '/graphql?query=%7B%20patron(id%3A%22pat_x%22)%20%7B%20name%20%7D%20%7D' },
    },
    { name: 'an empty query string added', over: { target: '/graphql?x' } },
    { name: 'another path', over: { target: '/internal/facts' } },
    { name: 'the same path spelled with a dot segment', over: { target: '/x/../graphql' } },
    { name: 'the path with a trailing slash', over: { target: '/graphql/' } },
    { name: 'another content type', over: { contentType: 'text/plain' } },
    { name: 'the content type dropped', over: { contentType: '' } },
    {
      name: 'context edited to another caller',
      over: { context: encodeContext(P.circulationStaff) },
    },
    {
      name: 'context edited to add a role',
      over: {
        context: encodeContext(
          ctx({ ...P.patron, roles: ['patron', 'staff'], duties: ['circulation'] }),
        ),
      },
    },
    {
      name: 'body swapped',
      over: { body: JSON.stringify({ query: '{ patron(id: "pat_x") { name } }' }) },
    },
    { name: 'body with one extra space', over: { body: `${BODY} ` } },
    { name: 'another audience', over: { audience: 'events' } },
  ])('$name -> bad-signature', ({ over }) => {
    expect(check(sign(), over)).toEqual(refused('bad-signature'));
  });

  it.each([
    {
      name: 'signed with a key from another secret',
      header: () => sign({ key: audienceKey('another-secret', AUDIENCE) }),
    },
    {
      name: 'signed with the events audience key',
      header: () => sign({ key: audienceKey(SECRET, 'events') }),
    },
    {
      name: 'timestamp edited after signing',
      header: () => sign().replace(`t=${T0}`, `t=${T0 + 1}`),
    },
    {
      name: 'nonce edited after signing',
      header: () => sign({ nonce: NONCE }).replace(NONCE, 'nonce-bbbbbbbbbbbbbbbb'),
    },
    {
      name: 'signature of a valid length but all zeros',
      header: () => sign().replace(/s=[A-Za-z0-9_-]{43}$/, `s=${'A'.repeat(43)}`),
    },
  ])('$name -> bad-signature', ({ header }) => {
    expect(check(header())).toEqual(refused('bad-signature'));
  });

  it.each([
    { name: 'no signature header', context: CONTEXT, header: undefined },
    { name: 'empty signature header', context: CONTEXT, header: '' },
    { name: 'no context header', context: undefined, header: sign() },
    { name: 'empty context header', context: '', header: sign() },
  ])('$name -> missing', ({ context, header }) => {
    expect(check(header, { context })).toEqual(refused('missing'));
  });

  it.each([
    { name: 'garbage', header: 'not a signature' },
    { name: 'the old version (context and body only)', header: sign().replace(/^v2;/, 'v1;') },
    { name: 'non-numeric time', header: sign().replace(/t=\d+/, 't=soon') },
    { name: 'nonce too short', header: sign({ nonce: 'short' }) },
    { name: 'nonce with illegal characters', header: sign({ nonce: 'nonce/with+slashes==' }) },
    { name: 'signature truncated', header: sign().slice(0, -1) },
    { name: 'signature too long', header: `${sign()}A` },
    { name: 'fields reordered', header: sign().replace(/^v2;(t=\d+);(n=[^;]+);/, 'v2;$2;$1;') },
    { name: 'trailing newline', header: `${sign()}\n` },
  ])('$name -> malformed', ({ header }) => {
    expect(check(header)).toEqual(refused('malformed'));
  });
});

describe('the canonical request', () => {
  it('has one line per bound part, in a fixed order', () => {
    const text = canonicalRequest({
      ...REQUEST,
      target: '/graphql?b=2&a=1',
      contentType: ' Application/JSON ',
      time: '1',
      nonce: NONCE,
    });
    expect(text.split('\n')).toEqual([
      'LIBRARY-CONTEXT-V2',
      AUDIENCE,
      '1',
      NONCE,
      'POST',
      '/graphql',
      'a=1&b=2',
      'application/json',
      CONTEXT,
      expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    ]);
  });

  it.each([
    { a: 'b=2&a=1', b: 'a=1&b=2' },
    { a: 'query=%7B%20me%20%7D', b: 'query={%20me%20}' },
    { a: 'q=a+b', b: 'q=a%20b' },
    { a: 'a=2&a=1', b: 'a=1&a=2' },
  ])('query $a signs like $b', ({ a, b }) => {
    expect(canonicalQuery(a)).toBe(canonicalQuery(b));
  });

  it.each([
    { a: 'a=1', b: 'a=2' },
    { a: 'a=1', b: 'b=1' },
    { a: 'a=1&b=2', b: 'a=1' },
  ])('query $a does not sign like $b', ({ a, b }) => {
    expect(canonicalQuery(a)).not.toBe(canonicalQuery(b));
  });
});

describe('audienceKey', () => {
  it('derives a distinct 32-byte key per audience and per secret', () => {
    expect(KEY).toHaveLength(32);
    expect(KEY.equals(audienceKey(SECRET, AUDIENCE))).toBe(true);
    expect(KEY.equals(audienceKey(SECRET, 'events'))).toBe(false);
    expect(KEY.equals(audienceKey('another-secret', AUDIENCE))).toBe(false);
  });
});

describe('the nonce stores', () => {
  let dir: string;
  const opened: NonceStore[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-nonces-'));
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const shared = async (): Promise<SharedNonceStore> => {
    const store = await openSharedNonceStore(path.join(dir, 'nonces.db'));
    opened.push(store);
    return store;
  };

  it.each([
    { name: 'in memory', make: async () => new MemoryNonceStore() as NonceStore },
    { name: 'shared (SQLite file)', make: (): Promise<NonceStore> => shared() },
  ])('$name: a nonce is claimed once until it expires, per audience', async ({ make }) => {
    const store = await make();
    expect(await store.claim(AUDIENCE, NONCE, T0 + 30_001, T0)).toBe(true);
    expect(await store.claim(AUDIENCE, NONCE, T0 + 30_001, T0 + 10)).toBe(false);
    expect(await store.claim(AUDIENCE, NONCE, T0 + 30_001, T0 + 30_000)).toBe(false);
    expect(await store.claim('events', NONCE, T0 + 30_001, T0 + 30_000)).toBe(true);
  });

  it("shared: replicas over the same data directory see each other's nonces; exactly one of many claims wins", async () => {
    const replicas = await Promise.all([shared(), shared(), shared()]);
    expect(await replicas[0]!.claim(AUDIENCE, NONCE, T0 + 30_001, T0)).toBe(true);
    expect(await replicas[1]!.claim(AUDIENCE, NONCE, T0 + 30_001, T0)).toBe(false);
    const wins = await Promise.all(
      replicas.flatMap((r) =>
        [r, r].map((s) => s.claim(AUDIENCE, 'nonce-cccccccccccccccc', T0 + 30_001, T0)),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('shared: expired nonces are pruned from the file', async () => {
    const store = await shared();
    for (let i = 0; i < 50; i++)
      await store.claim(AUDIENCE, `nonce-${String(i).padStart(16, '0')}`, T0 + 30_001, T0);
    const count = () => {
      const file = new Database(path.join(dir, 'nonces.db'), { readonly: true });
      try {
        return (
          file.prepare('SELECT count(*) AS n FROM signature_nonce_claims').get() as { n: number }
        ).n;
      } finally {
        file.close();
      }
    };
    expect(count()).toBe(50);
    // Kept one window past their expiry, for replicas whose clocks run behind this one's.
    await store.claim(AUDIENCE, 'nonce-dddddddddddddddd', T0 + 62_000, T0 + 31_000);
    expect(count()).toBe(51);
    await store.claim(AUDIENCE, 'nonce-eeeeeeeeeeeeeeee', T0 + 93_000, T0 + 61_000);
    expect(count()).toBe(2);
  });

  it("shared: a file of an earlier version loses its legacy table, so that version's replicas refuse rather than claim apart", async () => {
    const file = new Database(path.join(dir, 'nonces.db'));
    file.exec(
      'CREATE TABLE signature_nonces (audience text NOT NULL, nonce text NOT NULL, expires_at bigint NOT NULL, PRIMARY KEY (audience, nonce)) WITHOUT ROWID',
    );
    const store = await shared();
    expect(await store.claim(AUDIENCE, NONCE, T0 + 30_001, T0)).toBe(true);
    expect(await store.claim(AUDIENCE, NONCE, T0 + 30_001, T0 + 10)).toBe(false);
    // An earlier version's claim now fails, and its guard refuses the call (fails closed).
    expect(() =>
      file
        .prepare(
          'INSERT INTO signature_nonces (audience, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT (audience, nonce) DO NOTHING',
        )
        .run(AUDIENCE, 'nonce-gggggggggggggggg', T0 + 30_001),
    ).toThrow(/no such table/);
    file.close();
  });

  it('shared: a replica whose clock runs ahead does not forget a nonce another replica still accepts', async () => {
    const [ahead, behind] = await Promise.all([shared(), shared()]);
    const expiresAt = T0 + 30_000;
    expect(await behind.claim(AUDIENCE, NONCE, expiresAt, T0)).toBe(true);
    // 10 s ahead, the first replica prunes past this nonce's expiry...
    await ahead.claim(AUDIENCE, 'nonce-ffffffffffffffff', T0 + 70_000, T0 + 40_000);
    // ...while the replica 10 s behind, at its T0 + 30 s, still accepts the signature: a replay.
    expect(await behind.claim(AUDIENCE, NONCE, expiresAt, T0 + 30_000)).toBe(false);
  });
});

describe('SignatureGuard', () => {
  const logger = createLogger('test', 'silent');
  const raw = (
    over: { method?: string; url?: string; headers?: Record<string, string>; body?: string } = {},
  ) => ({
    req: {
      method: over.method ?? 'POST',
      url: over.url ?? '/graphql',
      headers: over.headers ?? {
        'content-type': 'application/json',
        'x-disclosure-context': CONTEXT,
        'x-disclosure-signature': sign(),
      },
    } as unknown as http.IncomingMessage,
    body: Buffer.from(over.body ?? BODY),
  });
  const guardWith = (nonces: NonceStore) =>
    new SignatureGuard({ key: KEY, audience: AUDIENCE, path: '/graphql', nonces, logger });
  const isRefusal = (error: unknown) =>
    error instanceof HttpRefusal && error.status === 401 && error.code === 'UNAUTHENTICATED';

  it('serves a signed POST to its exact path once', async () => {
    const guard = guardWith(new MemoryNonceStore());
    const request = raw();
    expect(await guard.check(request, T0)).toBe(CONTEXT);
    await expect(guard.check(request, T0 + 1)).rejects.toSatisfy(isRefusal);
  });

  it.each([
    { name: 'GET', method: 'GET', url: '/graphql' },
    { name: 'a query string', method: 'POST', url: '/graphql?query=%7B__typename%7D' },
    { name: 'an empty query string', method: 'POST', url: '/graphql?' },
    { name: 'a dot segment', method: 'POST', url: '/a/../graphql' },
    { name: 'the absolute form', method: 'POST', url: 'http://localhost/graphql' },
  ])('refuses $name even when correctly signed for it', async ({ method, url }) => {
    const headers = {
      'content-type': 'application/json',
      'x-disclosure-context': CONTEXT,
      'x-disclosure-signature': sign({ method, target: url }),
    };
    await expect(
      guardWith(new MemoryNonceStore()).check(raw({ method, url, headers }), T0),
    ).rejects.toSatisfy(isRefusal);
  });

  it('a forged request does not burn the nonce of the genuine one', async () => {
    const guard = guardWith(new MemoryNonceStore());
    const genuine = raw();
    await expect(guard.check({ ...genuine, body: Buffer.from(`${BODY} `) }, T0)).rejects.toSatisfy(
      isRefusal,
    );
    expect(await guard.check(genuine, T0)).toBe(CONTEXT);
  });

  it('refuses when the nonce store cannot answer (fail closed)', async () => {
    const broken: NonceStore = {
      claim: () => Promise.reject(new Error('database is locked')),
      close: async () => {},
    };
    await expect(guardWith(broken).check(raw(), T0)).rejects.toSatisfy(isRefusal);
  });
});
