import { hkdfSync } from 'node:crypto';

/**
 * The secret the statistics tally keys its person digests with. It lives in configuration, never
 * in the database, so a copy of the database alone cannot recompute a digest from a patron id.
 * Set once at start by loadConfig (TALLY_KEY); a process that never loads the configuration (the
 * development seed, tests) uses the development secret loadConfig would derive without one.
 */
let secret = 'library-graph-development-secret-do-not-use-in-production:analytics-tally';

/** Sets the tally secret (loadConfig does, from TALLY_KEY or its development default). */
export function useTallySecret(value: string): void {
  secret = value;
}

/** The key of `month`'s digests: HKDF(secret, "tally:" + month), one key per month. */
export function tallyMonthKey(month: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'library-graph', `tally:${month}`, 32));
}
