import { hkdfSync } from 'node:crypto';
import { tallySecret } from '../../config/analytics.js';

/**
 * The key of `month`'s digests: HKDF(secret, "tally:" + month), one key per month. The secret is
 * configuration's (TALLY_KEY, src/config/analytics.ts), never the database's.
 */
export function tallyMonthKey(month: string): Buffer {
  return Buffer.from(hkdfSync('sha256', tallySecret(), 'library-graph', `tally:${month}`, 32));
}
