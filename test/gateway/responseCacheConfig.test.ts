import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';

/** RESPONSE_CACHE and RESPONSE_CACHE_MAX_MB: read once at start, with a clear error for a bad value. */
describe('response cache configuration', () => {
  it('is on by default, with a 32 MiB budget', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).responseCache).toEqual({
      enabled: true,
      maxBytes: 32 * 1024 * 1024,
    });
  });

  it('can be turned off, and its budget set in MiB', () => {
    expect(
      loadConfig({ NODE_ENV: 'test', RESPONSE_CACHE: 'off', RESPONSE_CACHE_MAX_MB: '8' })
        .responseCache,
    ).toEqual({ enabled: false, maxBytes: 8 * 1024 * 1024 });
  });

  it.each([
    ['RESPONSE_CACHE', 'yes'],
    ['RESPONSE_CACHE_MAX_MB', '0'],
    ['RESPONSE_CACHE_MAX_MB', 'lots'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
