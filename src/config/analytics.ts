/**
 * The analytics settings the analytics code reads: which pseudonym periods an operator may choose,
 * and the tally secret `loadConfig` sets. Kept here, below the domain, so configuration imports
 * nothing of analytics or privacy.
 */

/**
 * How long one analytics pseudonym lasts (`PSEUDONYM_PERIOD`). A patron keeps the same key within
 * a period and gets an unlinkable one in the next (src/privacy/enforce/deidentify.ts), so a shorter
 * period limits how much of one person's activity a key can string together.
 */
export const PSEUDONYM_PERIODS = ['month', 'quarter', 'year'] as const;
/** One period length (`PSEUDONYM_PERIOD`). */
export type PseudonymPeriod = (typeof PSEUDONYM_PERIODS)[number];

/**
 * The secret the statistics tally keys its person digests with. It lives in configuration, never
 * in the database, so a copy of the database alone cannot recompute a digest from a patron id.
 * Set once at start by loadConfig (TALLY_KEY); a process that never loads the configuration (the
 * development seed, tests) uses the development secret loadConfig would derive without one.
 */
let tallySecretValue = 'library-graph-development-secret-do-not-use-in-production:analytics-tally';

/** Sets the tally secret (loadConfig does, from TALLY_KEY or its development default). */
export function useTallySecret(value: string): void {
  tallySecretValue = value;
}

/** The tally secret in force (src/analytics/release/tallyKey.ts derives each month's key from it). */
export function tallySecret(): string {
  return tallySecretValue;
}
