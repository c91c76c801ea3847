import { z } from 'zod';
import { parseProxyList, type ProxyEntry } from './clientAddress.js';
import type { BucketRule } from './tokenBucket.js';

/**
 * Defaults a busy branch never reaches. A signed-in person (a desk clerk, a patron on their
 * account pages) sends a few requests per action and a few actions a minute: tens a minute, so
 * 600 a minute with bursts of 300 is over ten times that, yet stops a script at 10 a second.
 * Anonymous callers are counted per address, and a branch's public computers and Wi-Fi share one
 * address behind its router: 40 devices browsing the catalog at a request every 5 s make 480 a
 * minute, so 1,200 a minute with bursts of 600.
 */
export const RATE_LIMIT_DEFAULTS = {
  principal: { perMinute: 600, burst: 300 },
  anonymous: { perMinute: 1200, burst: 600 },
} as const satisfies Record<string, BucketRule>;

const perMinute = z.coerce.number().int().min(1).max(1_000_000_000);
const burst = z.coerce.number().int().min(1).max(1_000_000_000);

const proxies = z.string().transform((text, ctx): ProxyEntry[] => {
  const parsed = parseProxyList(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  }
  return parsed.entries;
});

/**
 * The rate-limit variables of the environment, with their defaults: spread into the one
 * environment schema of `src/config/env.ts`, so a bad value is reported with the others.
 */
export const RATE_LIMIT_ENV = {
  RATE_LIMIT_PRINCIPAL_PER_MINUTE: perMinute.default(RATE_LIMIT_DEFAULTS.principal.perMinute),
  RATE_LIMIT_PRINCIPAL_BURST: burst.default(RATE_LIMIT_DEFAULTS.principal.burst),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: perMinute.default(RATE_LIMIT_DEFAULTS.anonymous.perMinute),
  RATE_LIMIT_ANONYMOUS_BURST: burst.default(RATE_LIMIT_DEFAULTS.anonymous.burst),
  /** Proxies whose X-Forwarded-For is believed; none by default (the socket's peer is the client). */
  TRUSTED_PROXIES: proxies.default([]),
};

/** The gateway's rate limits: a bucket per signed-in principal, one per anonymous client address. */
export interface RateLimitConfig {
  principal: BucketRule;
  anonymous: BucketRule;
  trustedProxies: readonly ProxyEntry[];
}

type RateLimitEnv = { [K in keyof typeof RATE_LIMIT_ENV]: z.output<(typeof RATE_LIMIT_ENV)[K]> };

/** The rate-limit part of the validated configuration. */
export function rateLimitConfig(e: RateLimitEnv): RateLimitConfig {
  return {
    principal: {
      perMinute: e.RATE_LIMIT_PRINCIPAL_PER_MINUTE,
      burst: e.RATE_LIMIT_PRINCIPAL_BURST,
    },
    anonymous: {
      perMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      burst: e.RATE_LIMIT_ANONYMOUS_BURST,
    },
    trustedProxies: e.TRUSTED_PROXIES,
  };
}
