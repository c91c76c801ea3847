/**
 * Replicas of one subgraph named in one variable (`CIRCULATION_URL=http://a:4002/graphql,http://b:4002/graphql`),
 * and the order a caller tries them in. Pure: no I/O, so the gateway's data sources and the
 * subgraphs' facts client (which may not import the gateway) share it.
 */

/** The URLs of a comma-separated list, trimmed, empty entries dropped. */
export function replicaUrls(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

/** How long a replica that refused a connection is tried last, in ms. */
const DEFAULT_COOLDOWN_MS = 2_000;

/**
 * Round-robin over a subgraph's replicas. Each call starts at the next replica; replicas that
 * refused a connection within the cooldown go to the end of the order (still tried, last, so a
 * call never fails for want of a replica the cooldown hid).
 */
export class ReplicaSet {
  #next = 0;
  readonly #downUntil: number[];

  constructor(
    readonly urls: readonly string[],
    private readonly cooldownMs = DEFAULT_COOLDOWN_MS,
    private readonly now: () => number = Date.now,
  ) {
    if (urls.length === 0) throw new Error('a replica set needs at least one URL');
    this.#downUntil = urls.map(() => 0);
  }

  /** The indexes of the replicas to try for one call, in order. */
  order(): number[] {
    const n = this.urls.length;
    const start = this.#next;
    this.#next = (this.#next + 1) % n;
    const now = this.now();
    const rotated = Array.from({ length: n }, (_, k) => (start + k) % n);
    return [
      ...rotated.filter((i) => this.#downUntil[i]! <= now),
      ...rotated.filter((i) => this.#downUntil[i]! > now),
    ];
  }

  /**
   * Notes that replica `index` refused a connection: it goes last until the cooldown passes.
   * Returns whether it was in the rotation until now (false while an earlier refusal still holds).
   */
  markDown(index: number): boolean {
    const now = this.now();
    const wasUp = this.#downUntil[index]! <= now;
    this.#downUntil[index] = now + this.cooldownMs;
    return wasUp;
  }
}

/** Error codes of a connection that was never made: the request cannot have reached the replica. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Error codes of a connection closed under a request, which the replica may have read. */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** The system or undici error code of a failed request, looking through fetch's `TypeError('fetch failed')`. */
function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * How a request to one replica failed, for deciding whether another replica may be asked:
 * `not-sent` (no connection was made: any request may go elsewhere), `maybe-processed` (the
 * connection broke after the request went out: only a request that changes nothing may go
 * elsewhere), or `other` (an answer, a timeout, an abort: not a replica's absence).
 */
export function replicaFailure(error: unknown): 'not-sent' | 'maybe-processed' | 'other' {
  const code = codeOf(error);
  if (code === undefined) return 'other';
  if (NOT_CONNECTED.has(code)) return 'not-sent';
  if (RESET.has(code)) return 'maybe-processed';
  return 'other';
}
