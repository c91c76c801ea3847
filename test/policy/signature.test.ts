/**
 * The signed disclosure context between gateway and subgraphs (src/privacy/sign/signature.ts):
 * each refusal reason, replay protection and the ±30 s window.
 */
import { describe, expect, it } from 'vitest';
import { RequestVerifier, audienceKey, signRequest, type VerifyResult } from '../../src/privacy/sign/signature.js';
import { encodeContext } from '../../src/privacy/context/disclosureContext.js';
import { P, ctx } from './fixtures.js';

const SECRET = 'context-secret-for-tests-0123456789';
const AUDIENCE = 'circulation';
const KEY = audienceKey(SECRET, AUDIENCE);
const T0 = Date.parse('2026-03-15T12:00:00.000Z');
const CONTEXT = encodeContext(P.patron);
const BODY = JSON.stringify({ query: '{ me { name loans { id } } }' });
const NONCE = 'nonce-aaaaaaaaaaaaaaaa';

const sign = (over: Partial<Parameters<typeof signRequest>[0]> = {}): string =>
  signRequest({ key: KEY, audience: AUDIENCE, context: CONTEXT, body: BODY, now: T0, ...over });

const refused = (reason: string): VerifyResult => ({ ok: false, reason } as VerifyResult);

describe('RequestVerifier', () => {
  it('accepts a validly signed request once, then refuses its replay', () => {
    const verifier = new RequestVerifier(KEY, AUDIENCE);
    const header = sign();
    expect(verifier.verify(CONTEXT, header, BODY, T0)).toEqual({ ok: true, context: CONTEXT });
    expect(verifier.verify(CONTEXT, header, BODY, T0 + 10)).toEqual(refused('replayed'));
    expect(verifier.verify(CONTEXT, header, BODY, T0 + 29_000)).toEqual(refused('replayed'));
  });

  it('never accepts the same request twice, even after the nonce has been swept', () => {
    const verifier = new RequestVerifier(KEY, AUDIENCE);
    const header = sign();
    expect(verifier.verify(CONTEXT, header, BODY, T0).ok).toBe(true);
    expect(verifier.verify(CONTEXT, sign({ nonce: 'another-nonce-bbbbbbbb', now: T0 + 31_000 }), BODY, T0 + 31_000).ok).toBe(true);
    expect(verifier.verify(CONTEXT, header, BODY, T0 + 31_000)).toEqual(refused('stale'));
  });

  it('accepts the same body bytes as a Uint8Array', () => {
    const verifier = new RequestVerifier(KEY, AUDIENCE);
    expect(verifier.verify(CONTEXT, sign(), new TextEncoder().encode(BODY), T0).ok).toBe(true);
  });

  it.each([
    { name: 'signed 30 s ago (edge of the window)', signedAt: T0 - 30_000, ok: true },
    { name: 'signed 30 s ahead (edge of the window)', signedAt: T0 + 30_000, ok: true },
    { name: 'signed 30.001 s ago', signedAt: T0 - 30_001, ok: false },
    { name: 'signed 30.001 s ahead', signedAt: T0 + 30_001, ok: false },
    { name: 'signed an hour ago', signedAt: T0 - 3_600_000, ok: false },
    { name: 'signed at the epoch', signedAt: 0, ok: false },
  ])('$name -> ok=$ok (else stale)', ({ signedAt, ok }) => {
    const verifier = new RequestVerifier(KEY, AUDIENCE);
    const result = verifier.verify(CONTEXT, sign({ now: signedAt }), BODY, T0);
    expect(result).toEqual(ok ? { ok: true, context: CONTEXT } : refused('stale'));
  });

  const staffContext = encodeContext(P.circulationStaff);
  it.each([
    { name: 'context edited to another caller', context: staffContext, header: () => sign(), body: BODY },
    { name: 'context edited to add a role', context: encodeContext(ctx({ ...P.patron, roles: ['patron', 'staff'], duties: ['circulation'] })), header: () => sign(), body: BODY },
    { name: 'body swapped', context: CONTEXT, header: () => sign(), body: JSON.stringify({ query: '{ patron(id: "pat_x") { name } }' }) },
    { name: 'body with one extra space', context: CONTEXT, header: () => sign(), body: `${BODY} ` },
    { name: 'signed with a key from another secret', context: CONTEXT, header: () => sign({ key: audienceKey('another-secret', AUDIENCE) }), body: BODY },
    { name: 'signed with the events audience key', context: CONTEXT, header: () => sign({ key: audienceKey(SECRET, 'events') }), body: BODY },
    { name: 'signed for the events audience with the right key', context: CONTEXT, header: () => sign({ audience: 'events' }), body: BODY },
    { name: 'timestamp edited after signing', context: CONTEXT, header: () => sign().replace(`t=${T0}`, `t=${T0 + 1}`), body: BODY },
    { name: 'nonce edited after signing', context: CONTEXT, header: () => sign({ nonce: NONCE }).replace(NONCE, 'nonce-bbbbbbbbbbbbbbbb'), body: BODY },
    { name: 'signature of a valid length but all zeros', context: CONTEXT, header: () => sign().replace(/s=[A-Za-z0-9_-]{43}$/, `s=${'A'.repeat(43)}`), body: BODY },
  ])('$name -> bad-signature', ({ context, header, body }) => {
    const verifier = new RequestVerifier(KEY, AUDIENCE);
    expect(verifier.verify(context, header(), body, T0)).toEqual(refused('bad-signature'));
  });

  it('a forged request does not burn the nonce of the genuine one', () => {
    const verifier = new RequestVerifier(KEY, AUDIENCE);
    const genuine = sign({ nonce: NONCE });
    expect(verifier.verify(staffContext, genuine, BODY, T0)).toEqual(refused('bad-signature'));
    expect(verifier.verify(CONTEXT, genuine, BODY, T0).ok).toBe(true);
  });

  it.each([
    { name: 'no signature header', context: CONTEXT, header: undefined },
    { name: 'empty signature header', context: CONTEXT, header: '' },
    { name: 'no context header', context: undefined, header: sign() },
    { name: 'empty context header', context: '', header: sign() },
    { name: 'neither header', context: undefined, header: undefined },
  ])('$name -> missing', ({ context, header }) => {
    expect(new RequestVerifier(KEY, AUDIENCE).verify(context, header, BODY, T0)).toEqual(refused('missing'));
  });

  it.each([
    { name: 'garbage', header: 'not a signature' },
    { name: 'another version', header: sign().replace(/^v1;/, 'v2;') },
    { name: 'non-numeric time', header: sign().replace(/t=\d+/, 't=soon') },
    { name: 'nonce too short', header: sign({ nonce: 'short' }) },
    { name: 'nonce with illegal characters', header: sign({ nonce: 'nonce/with+slashes==' }) },
    { name: 'signature truncated', header: sign().slice(0, -1) },
    { name: 'signature too long', header: `${sign()}A` },
    { name: 'fields reordered', header: sign().replace(/^v1;(t=\d+);(n=[^;]+);/, 'v1;$2;$1;') },
    { name: 'trailing newline', header: `${sign()}\n` },
  ])('$name -> malformed', ({ header }) => {
    expect(new RequestVerifier(KEY, AUDIENCE).verify(CONTEXT, header, BODY, T0)).toEqual(refused('malformed'));
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
