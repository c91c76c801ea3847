import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  addressGroup,
  ClientAddresses,
  parseProxyList,
  type ProxyEntry,
} from '../../src/ratelimit/clientAddress.js';

/** The two fields of a request the address is read from. */
const request = (remoteAddress: string | undefined, forwardedFor?: string | string[]) =>
  ({
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as http.IncomingMessage;

const proxies = (text: string): ProxyEntry[] => {
  const parsed = parseProxyList(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.entries;
};

describe('the client address', () => {
  it('is the socket peer; X-Forwarded-For is ignored when no proxy is trusted', () => {
    const addresses = new ClientAddresses([]);
    expect(addresses.of(request('198.51.100.4', '203.0.113.9'))).toBe('198.51.100.4');
    expect(addresses.of(request('::ffff:127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
    expect(addresses.of(request(undefined))).toBe('unknown');
  });

  it('is ignored too from a peer that is not a trusted proxy', () => {
    const addresses = new ClientAddresses(proxies('10.0.0.0/8'));
    expect(addresses.of(request('198.51.100.4', '203.0.113.9'))).toBe('198.51.100.4');
  });

  it('behind trusted proxies, is the right-most forwarded address that is not one of them', () => {
    const addresses = new ClientAddresses(proxies('10.0.0.0/8, 192.0.2.1'));
    expect(addresses.of(request('10.1.2.3', '203.0.113.9'))).toBe('203.0.113.9');
    // The client wrote the left entry itself; the proxies appended the rest.
    expect(addresses.of(request('10.1.2.3', 'spoofed, 1.1.1.1, 203.0.113.9, 192.0.2.1'))).toBe(
      '203.0.113.9',
    );
    expect(addresses.of(request('10.1.2.3', ['1.1.1.1', '203.0.113.9:5123']))).toBe('203.0.113.9');
    expect(addresses.of(request('10.1.2.3', '[2001:db8::7]:443'))).toBe('2001:db8::7');
  });

  it('stops at the last address it can vouch for when a hop is malformed or missing', () => {
    const addresses = new ClientAddresses(proxies('10.0.0.0/8'));
    expect(addresses.of(request('10.1.2.3', 'not-an-address'))).toBe('10.1.2.3');
    expect(addresses.of(request('10.1.2.3', '203.0.113.9, garbage, 10.0.0.5'))).toBe('10.0.0.5');
    expect(addresses.of(request('10.1.2.3'))).toBe('10.1.2.3');
  });

  it('groups IPv6 clients by their /64, and leaves IPv4 as it is', () => {
    expect(addressGroup('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('203.0.113.9')).toBe('203.0.113.9');
  });

  it('refuses trusted-proxy entries that are not addresses or networks', () => {
    expect(parseProxyList('')).toEqual({ ok: true, entries: [] });
    expect(parseProxyList(' 10.0.0.0/8 ,::1,2001:db8::/32')).toEqual({
      ok: true,
      entries: [
        { address: '10.0.0.0', prefix: 8 },
        { address: '::1' },
        { address: '2001:db8::', prefix: 32 },
      ],
    });
    for (const bad of [
      'localhost',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/8/1',
      '2001:db8::/129',
      '10.0.0.0/x',
    ]) {
      expect(parseProxyList(bad)).toMatchObject({ ok: false });
    }
  });
});
