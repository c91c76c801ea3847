import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { replicaFailure, type ReplicaSet } from '../config/replicas.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

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
export function acrossReplicas(replicas: ReplicaSet, fetcher: Fetcher): Fetcher {
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
        if (failure === 'not-sent') replicas.markDown(index);
        else if (failure === 'other' || isMutationBody(init?.body)) throw error;
      }
    }
    throw first;
  }) as Fetcher;
}
