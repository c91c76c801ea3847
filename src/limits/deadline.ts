import { AsyncLocalStorage } from 'node:async_hooks';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { ERRORS } from '../errors/codes.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** A request's deadline: the signal that fires when it passes, and its length for the message. */
export interface Deadline {
  signal: AbortSignal;
  ms: number;
}

/** Starts a request's deadline now. */
export function startDeadline(ms: number): Deadline {
  return { signal: AbortSignal.timeout(ms), ms };
}

// The data source's fetcher sees only (url, init); the deadline of the fetch in progress reaches
// it through the async context of the request's `process` call.
const current = new AsyncLocalStorage<Deadline>();

/** Runs one subgraph fetch (`process`) under the request's deadline. */
export function underDeadline<T>(
  deadline: Deadline | undefined,
  run: () => Promise<T>,
): Promise<T> {
  return deadline ? current.run(deadline, run) : run();
}

/** The one error a request whose deadline passed gets; the fields not yet fetched are null. */
export const timeoutError = (deadline: Deadline) =>
  ERRORS.TIMEOUT.err(
    `The request's deadline of ${deadline.ms.toLocaleString('en-US')} ms passed (REQUEST_DEADLINE_MS): fields still being fetched are null; what was ready is served.`,
  );

/**
 * Wraps a data source's fetcher so a fetch running when the deadline passes is aborted (the socket
 * is closed and the subgraph stops being waited for), and one that would start after it is not
 * sent; either way the fetch fails with TIMEOUT, which the gateway reports beside the data it has.
 * Only fetches run `underDeadline` are bounded: the data source runs mutations without one.
 */
export function abortAtDeadline(inner: Fetcher): Fetcher {
  return (async (url: string, init?: Parameters<Fetcher>[1]) => {
    const deadline = current.getStore();
    if (!deadline) return inner(url, init);
    if (deadline.signal.aborted) throw timeoutError(deadline);
    try {
      return await inner(url, { ...init, signal: deadline.signal } as Parameters<Fetcher>[1]);
    } catch (error) {
      if (deadline.signal.aborted) throw timeoutError(deadline);
      throw error;
    }
  }) as Fetcher;
}

/** Keeps one TIMEOUT error per response: every aborted fetch reports one, the caller needs one. */
export function deadlinePlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors || errors.filter((e) => e.extensions?.code === 'TIMEOUT').length < 2) return;
          let seen = false;
          response.body.singleResult.errors = errors.filter((e) => {
            if (e.extensions?.code !== 'TIMEOUT') return true;
            if (seen) return false;
            seen = true;
            return true;
          });
        },
      };
    },
  };
}
