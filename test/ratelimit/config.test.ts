import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { RATE_LIMIT_DEFAULTS } from '../../src/ratelimit/config.js';

describe('rate-limit configuration', () => {
  it('defaults to limits a busy branch never reaches, and trusts no proxy', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).rateLimit).toEqual({
      ...RATE_LIMIT_DEFAULTS,
      trustedProxies: [],
    });
    expect(RATE_LIMIT_DEFAULTS).toEqual({
      principal: { perMinute: 600, burst: 300 },
      anonymous: { perMinute: 1200, burst: 600 },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      RATE_LIMIT_PRINCIPAL_PER_MINUTE: '120',
      RATE_LIMIT_PRINCIPAL_BURST: '20',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '30',
      RATE_LIMIT_ANONYMOUS_BURST: '10',
      TRUSTED_PROXIES: '10.0.0.0/8,::1',
    });
    expect(config.rateLimit).toEqual({
      principal: { perMinute: 120, burst: 20 },
      anonymous: { perMinute: 30, burst: 10 },
      trustedProxies: [{ address: '10.0.0.0', prefix: 8 }, { address: '::1' }],
    });
  });

  it.each([
    ['RATE_LIMIT_PRINCIPAL_PER_MINUTE', '0'],
    ['RATE_LIMIT_PRINCIPAL_BURST', '-1'],
    ['RATE_LIMIT_ANONYMOUS_PER_MINUTE', 'lots'],
    ['RATE_LIMIT_ANONYMOUS_BURST', '2.5'],
    ['TRUSTED_PROXIES', 'proxy.internal'],
  ])('stops on a bad %s, naming it', (variable, value) => {
    expect(() => loadConfig({ NODE_ENV: 'test', [variable]: value })).toThrow(
      new RegExp(`${variable}: `),
    );
  });
});
