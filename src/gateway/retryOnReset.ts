import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { replicaFailure } from '../config/replicas.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/**
 * Error codes of a connection the subgraph closed under a request it may never have read: the
 * system's, and undici's for a socket the other side closed (`other side closed`).
 */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** True for a fetch that failed because its pooled connection was closed under it. */
export function isConnectionReset(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RESET_CODES.has(code);
}

/**
 * Sends a request again, once, when its connection was reset: a keep-alive connection the
 * subgraph closed as the request went out. The retry carries the very same signed headers, so it
 * is safe for mutations too: a subgraph that did read the first attempt has claimed its nonce and
 * refuses the second as a replay, and one that never read it serves it once. Must sit beneath
 * signing, so that both attempts share one signature. When the second attempt finds no one
 * listening (the subgraph died), the first error is the one thrown: the subgraph may have read
 * the request before it went, which is what a caller deciding on another replica must know.
 */
export function retryOnReset(fetcher: Fetcher): Fetcher {
  return (async (url, init) => {
    try {
      return await fetcher(url, init);
    } catch (error) {
      if (!isConnectionReset(error) || init?.signal?.aborted) throw error;
      try {
        return await fetcher(url, init);
      } catch (again) {
        throw replicaFailure(again) === 'not-sent' ? error : again;
      }
    }
  }) as Fetcher;
}
