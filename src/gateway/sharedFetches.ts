import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { CONTEXT_HEADER, SIGNATURE_HEADER } from '../privacy/sign/signature.js';
import { AnswerHeaders, BufferedAnswer } from './subgraphClient.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type Init = NonNullable<Parameters<Fetcher>[1]>;

/** A subgraph's answer as read once for everyone waiting on it. */
interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** One fetch in flight and the callers waiting on it. */
interface Flight {
  answer: Promise<Answer>;
  controller: AbortController;
  waiters: number;
  settled: boolean;
}

/** The fields of the wire context (disclosureContext.ts); one it does not know makes a request unshareable. */
const CONTEXT_FIELDS = new Set([
  'principal',
  'roles',
  'duties',
  'patronId',
  'legalOrder',
  'purpose',
  'requestId',
  'clientKey',
]);

/** The text of a planned query (never a mutation or subscription), as the data source serializes it. */
const QUERY_BODY = /^\{"query":"(?:query\b|\{)/;

const emptyList = (value: unknown) => Array.isArray(value) && value.length === 0;

/**
 * The part of an encoded disclosure context that decides what a subgraph answers and records:
 * every field but the request's own id. Null when the context is not one whose fetch may be
 * shared: anything but a caller no exception can apply to (no principal, roles, duties, patron or
 * legal order). Subgraphs write a disclosure record per request and per caller for what they
 * disclose, so a shared fetch would leave every caller but one without its record: sharing is
 * kept to fetches that disclose nothing, and an unreadable context is not shared.
 */
export function shareableContext(encoded: string): string | null {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const c = raw as Record<string, unknown>;
  for (const field in c) if (!CONTEXT_FIELDS.has(field)) return null;
  if (
    c.principal !== null ||
    c.patronId !== null ||
    c.legalOrder !== null ||
    !emptyList(c.roles) ||
    !emptyList(c.duties)
  )
    return null;
  return JSON.stringify([
    c.principal,
    c.roles,
    c.duties,
    c.patronId,
    c.legalOrder,
    c.purpose ?? null,
    c.clientKey ?? null,
  ]);
}

/**
 * Trace propagation headers differ on every fetch (each is its own span) and change nothing a
 * subgraph answers: a shared fetch's subgraph span joins the first caller's trace.
 */
const TRACE_HEADERS = new Set(['traceparent', 'tracestate', 'baggage']);

/**
 * The key under which a fetch may share another's answer, or null when it must go alone: the URL,
 * every header (the disclosure context without its request id; never a signature, which is
 * per request, nor trace propagation) and the exact body. Only a POST of a query under a shareable context has one.
 */
export function shareKey(url: string, init: Init | undefined): string | null {
  if (
    !init ||
    init.method !== 'POST' ||
    typeof init.body !== 'string' ||
    !QUERY_BODY.test(init.body)
  )
    return null;
  const headers = init.headers ?? {};
  const context = headers[CONTEXT_HEADER];
  if (context === undefined) return null;
  const shared = shareableContext(context);
  if (shared === null) return null;
  const rest: string[] = [];
  for (const name in headers) {
    if (
      name !== CONTEXT_HEADER &&
      name !== SIGNATURE_HEADER &&
      !TRACE_HEADERS.has(name.toLowerCase())
    )
      rest.push(`${name.toLowerCase()}:${headers[name]}`);
  }
  return JSON.stringify([url, shared, rest.sort(), init.body]);
}

/**
 * In-flight deduplication of identical subgraph fetches: a fetch whose key (see `shareKey`) matches
 * one already in flight waits for that one's answer instead of being sent, and each waiter gets
 * its own copy of it (or the same error). Nothing is kept once the fetch ends: this is not a
 * cache. Each waiter stops waiting when its own signal (its request's deadline) fires; the fetch
 * itself is aborted only when every waiter has gone. Sits above signing, so a shared fetch is
 * signed once, and beneath the deadline, which it takes from each waiter's `signal`.
 */
export class SharedFetches {
  private readonly flights = new Map<string, Flight>();

  /** Wraps a fetcher so identical shareable fetches in flight are sent once. */
  share(inner: Fetcher): Fetcher {
    return ((url, init) => {
      const key = shareKey(url, init);
      if (key === null) return inner(url, init);
      let flight = this.flights.get(key);
      if (!flight) flight = this.start(key, inner, url, init!);
      return this.wait(key, flight, url, init?.signal as AbortSignal | undefined);
    }) as Fetcher;
  }

  /** Fetches in flight now (for tests and metrics). */
  get inFlight(): number {
    return this.flights.size;
  }

  private start(key: string, inner: Fetcher, url: string, init: Init): Flight {
    const controller = new AbortController();
    const flight: Flight = {
      controller,
      waiters: 0,
      settled: false,
      answer: Promise.resolve(null as never),
    };
    flight.answer = (async (): Promise<Answer> => {
      try {
        const response = await inner(url, { ...init, signal: controller.signal });
        const body = await response.text();
        return { status: response.status, headers: [...response.headers], body };
      } finally {
        flight.settled = true;
        if (this.flights.get(key) === flight) this.flights.delete(key);
      }
    })();
    this.flights.set(key, flight);
    return flight;
  }

  private wait(
    key: string,
    flight: Flight,
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<BufferedAnswer> {
    flight.waiters += 1;
    return new Promise<BufferedAnswer>((resolve, reject) => {
      let done = false;
      const leave = (): boolean => {
        if (done) return false;
        done = true;
        flight.waiters -= 1;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (flight.waiters === 0 && !flight.settled) {
          // No one waits for it any more: stop it, and let the next caller start afresh.
          if (this.flights.get(key) === flight) this.flights.delete(key);
          flight.controller.abort(signal?.reason);
        }
        reject(signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      flight.answer.then(
        (answer) => {
          if (leave())
            resolve(
              new BufferedAnswer(
                url,
                answer.status,
                new AnswerHeaders(answer.headers),
                answer.body,
              ),
            );
        },
        (error: unknown) => {
          if (leave()) reject(error);
        },
      );
    });
  }
}
