/** One readiness check: resolves when the dependency answers, throws (or rejects) when it does not. */
export type ReadinessCheck = () => Promise<void> | void;

/** What `/ready` answers: each check by name, ok or failed, and nothing more. */
export interface ReadinessReport {
  status: 'ready' | 'not ready';
  checks: Record<string, 'ok' | 'failed'>;
}

/** How long one check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 1000;
/** How long a report is served again before the checks run anew. */
export const REPORT_TTL_MS = 2000;

const timeout = (ms: number): Promise<never> =>
  new Promise((_, reject) =>
    setTimeout(() => reject(new Error('readiness check timed out')), ms).unref(),
  );

/**
 * The readiness of one service: named checks run together, each under a short timeout, and the
 * report kept for a couple of seconds. However often `/ready` is asked (a probe, or a flood from
 * anyone who can reach it), the database and the subgraphs see at most one round of checks per
 * `ttlMs`, and concurrent asks share the round in flight. A report names checks and says ok or
 * failed; an error's text is never shown.
 */
export class Readiness {
  #report: { at: number; value: Promise<ReadinessReport> } | null = null;

  constructor(
    /** The checks by name, or a function giving them when a round runs (for checks known only once the service started). */
    private readonly checks:
      Record<string, ReadinessCheck> | (() => Record<string, ReadinessCheck>),
    private readonly options: { timeoutMs?: number; ttlMs?: number; now?: () => number } = {},
  ) {}

  /** The current report: a recent one, or the result of running every check. */
  report(): Promise<ReadinessReport> {
    const now = (this.options.now ?? Date.now)();
    if (this.#report && now - this.#report.at < (this.options.ttlMs ?? REPORT_TTL_MS))
      return this.#report.value;
    const value = this.#run();
    this.#report = { at: now, value };
    return value;
  }

  async #run(): Promise<ReadinessReport> {
    const limit = this.options.timeoutMs ?? CHECK_TIMEOUT_MS;
    const entries = await Promise.all(
      Object.entries(typeof this.checks === 'function' ? this.checks() : this.checks).map(
        async ([name, check]) => {
          try {
            await Promise.race([Promise.resolve().then(check), timeout(limit)]);
            return [name, 'ok'] as const;
          } catch {
            return [name, 'failed'] as const;
          }
        },
      ),
    );
    const checks = Object.fromEntries(entries);
    return {
      status: entries.every(([, result]) => result === 'ok') ? 'ready' : 'not ready',
      checks,
    };
  }
}

/**
 * A check that another service is up: its `/health` answers 200 within the check's timeout. The
 * gateway asks each subgraph so (not `/ready`: a subgraph's database outage is its own report).
 */
export function reachable(graphqlUrl: string, timeoutMs = CHECK_TIMEOUT_MS): ReadinessCheck {
  const health = new URL('/health', graphqlUrl);
  return async () => {
    const response = await fetch(health, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`health answered ${response.status}`);
  };
}

/**
 * A check that a subgraph run as several replicas is up: at least one replica's `/health` answers
 * 200 (the gateway sends each fetch to a replica that is there; see gateway/replicaFailover.ts).
 */
export function anyReachable(
  graphqlUrls: readonly string[],
  timeoutMs = CHECK_TIMEOUT_MS,
): ReadinessCheck {
  if (graphqlUrls.length === 1) return reachable(graphqlUrls[0]!, timeoutMs);
  const checks = graphqlUrls.map((url) => reachable(url, timeoutMs));
  return async () => {
    await Promise.any(checks.map((check) => check())).catch(() => {
      throw new Error('no replica answered /health');
    });
  };
}
