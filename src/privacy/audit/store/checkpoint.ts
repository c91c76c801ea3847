import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where a chain was cut by the retention purge: the last purged record's place and hash. */
export interface Checkpoint {
  chain: string;
  seq: number;
  hash: string;
  at: string;
}

const message = (c: Checkpoint): string =>
  ['audit-checkpoint-v1', c.chain, c.seq, c.hash, c.at].join('\n');

/** Signs a checkpoint, so a cut cannot be moved or forged without the audit key. */
export function signCheckpoint(c: Checkpoint, key: string): string {
  return createHmac('sha256', key).update(message(c)).digest('base64url');
}

/** Checks a checkpoint's signature in constant time. */
export function checkpointValid(c: Checkpoint, signature: string, key: string): boolean {
  const expected = Buffer.from(signCheckpoint(c, key), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
