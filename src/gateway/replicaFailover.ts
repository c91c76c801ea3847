import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { replicaFailure, type ReplicaSet } from '../config/replicas.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/**
 * A replica that failed a fetch which then went to the next one: `refused` (no connection was
 * made; the replica goes last in the order for a while) or `reset` (a query's connection broke
 * after it went out). `newlyDown` is true for the refusal that took a replica out of the
 * rotation, false for those that found it out already.
 */
export type FailoverEvent =
  { url: string; kind: 'refused'; newlyDown: boolean } | { url: string; kind: 'reset' };

/** Whether a subgraph fetch's body is a mutation (the planner writes `mutation ...` first). */
export function isMutationBody(body: unknown): boolean {
  if (typeof body !== 'string') return true;
  try {
    const query = (JSON.parse(body) as { query?: unknown }).query;
    return typeof query !== 'string' || /^\s*mutation\b/.test(query);
  } catch {
    return true;
  }
}

/**
 * Spreads a subgraph's fetches over its replicas, round-robin, and sends a fetch to the next
 * replica when the one it went to is gone, where that cannot do anything twice: any fetch whose
 * connection was never made, and a query whose connection broke after it went out. A mutation
 * whose connection broke is not sent elsewhere: its replica may have committed it, so the caller
 * learns that the service failed rather than having it done twice. Sits above signing, so each
 * attempt carries a signature (and nonce) of its own; a replica that claimed the first nonce
 * and died has served nothing, and the query is served by the next. Anything else (an answer of
 * any status, the deadline) is the caller's to see, from the first replica that gave it.
 */
export function acrossReplicas(
  replicas: ReplicaSet,
  fetcher: Fetcher,
  onFailover: (event: FailoverEvent) => void = () => undefined,
): Fetcher {
  if (replicas.urls.length === 1) return fetcher;
  return (async (_url, init) => {
    let first: unknown = undefined;
    for (const index of replicas.order()) {
      try {
        return await fetcher(replicas.urls[index]!, init);
      } catch (error) {
        first ??= error;
        if (init?.signal?.aborted) throw first;
        const failure = replicaFailure(error);
        const url = replicas.urls[index]!;
        if (failure === 'not-sent')
          onFailover({ url, kind: 'refused', newlyDown: replicas.markDown(index) });
        else if (failure === 'other' || isMutationBody(init?.body)) throw error;
        else onFailover({ url, kind: 'reset' });
      }
    }
    throw first;
  }) as Fetcher;
}
