/**
 * How long the supervisor waits before it starts a dead service again: `initialDelayMs` after the
 * first death, doubling with each death that follows, never more than `maxDelayMs`. A service that
 * stays up `resetAfterMs` is forgiven and starts again from the first delay.
 */
export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

/**
 * The delay before restart number `attempt` (1 for the first restart since the service was last
 * stable). Exponential, so a service that dies at once on every start (a port taken, a corrupt
 * file) costs a few attempts a minute rather than a busy loop; capped, so it is back soon after
 * the cause goes away.
 */
export function restartDelay(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  return Math.min(policy.initialDelayMs * 2 ** exponent, policy.maxDelayMs);
}
