import type { HeaderMap, HTTPGraphQLResponse } from '@apollo/server';

/** A request as the transport read it: its method, headers, its body's bytes and their JSON. */
export interface SharedRequest {
  method: string;
  headers: HeaderMap;
  raw: Buffer;
  parsed: unknown;
}

/** Which requests a server may answer with one execution, and what a follower takes from its leader. */
export interface ShareRules<Ctx> {
  /**
   * The key under which requests may share one execution, or null when this one runs alone. Equal
   * keys must mean equal answers: the same operation, variables and everything of the caller the
   * answer depends on.
   */
  key(context: Ctx, request: SharedRequest): string | null;
  /**
   * Gives `follower` what its answer needs of the leader's execution besides the response: what
   * the leader's resolvers noted in its context (the disclosures its audit records).
   */
  adopt(leader: Ctx, follower: Ctx): void;
}

/** One execution in flight: the context it runs under and its response to come. */
interface Execution<Ctx> {
  leader: Ctx;
  response: Promise<HTTPGraphQLResponse>;
}

/**
 * Executes identical requests in flight at once only once: a request whose key (ShareRules.key)
 * matches an execution running, or one that ended while the request waited to be read, takes that
 * one's response and adopts what it noted.
 * Every request is still admitted, verified and settled on its own (a subgraph writes each one's
 * audit records under its own request id before its response leaves). Nothing is kept once the
 * execution ends: this is not a cache. A follower whose leader failed, or produced an incremental
 * response, executes on its own.
 */
export class SharedExecutions<Ctx> {
  readonly #running = new Map<string, Execution<Ctx>>();
  #followers = 0;

  constructor(private readonly rules: ShareRules<Ctx>) {}

  /** Requests answered so far with another's execution. */
  get followers(): number {
    return this.#followers;
  }

  /** Runs `execute` for `context`, or answers it with an identical execution already running. */
  async run(
    context: Ctx,
    request: SharedRequest,
    execute: () => Promise<HTTPGraphQLResponse>,
  ): Promise<HTTPGraphQLResponse> {
    const key = this.rules.key(context, request);
    if (key === null) return execute();
    const running = this.#running.get(key);
    if (running) {
      let response: HTTPGraphQLResponse;
      try {
        response = await running.response;
      } catch {
        return execute();
      }
      if (response.body.kind !== 'complete') return execute();
      this.rules.adopt(running.leader, context);
      this.#followers += 1;
      return response;
    }
    const execution: Execution<Ctx> = { leader: context, response: execute() };
    this.#running.set(key, execution);
    try {
      return await execution.response;
    } finally {
      // An execution that never waits on I/O holds the event loop until it ends: requests that
      // arrived meanwhile are still unread in their sockets. They are read in the loop's next
      // poll; the execution stays joinable until the check phase after that poll (the second
      // setImmediate from now), so those requests, in flight while it ran, share it.
      setImmediate(() =>
        setImmediate(() => {
          if (this.#running.get(key) === execution) this.#running.delete(key);
        }),
      );
    }
  }
}

/** A read-only GraphQL operation: its text starts a query and names no mutation or subscription. */
const QUERY_TEXT = /^\s*(?:query\b|\{)/;
const WRITING = /\b(?:mutation|subscription)\b/;

/**
 * True when `request` is a POST of a single query that changes nothing. Conservative: a document
 * that mentions a mutation or subscription anywhere, even beside a query, is not read-only here.
 */
export function isReadOnlyQuery({ method, parsed }: SharedRequest): boolean {
  if (method !== 'POST') return false;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  const query = (parsed as { query?: unknown }).query;
  return typeof query === 'string' && QUERY_TEXT.test(query) && !WRITING.test(query);
}
