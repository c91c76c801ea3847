import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Kind, OperationTypeNode } from 'graphql';
import { encodeContext } from '../privacy/context/disclosureContext.js';
import { audienceKey, CONTEXT_HEADER, SIGNATURE_HEADER, signRequest } from '../privacy/sign/signature.js';
import { abortAtDeadline, underDeadline } from '../limits/deadline.js';
import type { GatewayContext } from './context.js';
import { retryOnReset } from './retryOnReset.js';
import { injectTraceContext } from '../observability/tracing.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** Whether a subgraph fetch is a mutation: by its planned document, else by the text the planner wrote. */
function isMutation(options: GraphQLDataSourceProcessOptions<GatewayContext>): boolean {
  const document = 'document' in options ? options.document : undefined;
  if (document) return document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.MUTATION);
  return /^\s*mutation\b/.test(options.request.query ?? '');
}

/**
 * A subgraph data source that attaches the caller's disclosure context to every fetch and signs
 * the whole request (method, path and query, content type, context, exact body bytes), with a
 * timestamp and a nonce, under the subgraph's own key (see privacy/sign/canonicalRequest.ts). A
 * fetch whose pooled connection was reset is sent once more, under the same signature.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** `secret: null` sends the context unsigned: benchmarks only, refused in production. */
  constructor(options: { url: string; name: string; secret: string | null }) {
    super({ url: options.url });
    this.fetcher = retryOnReset(abortAtDeadline(this.fetcher));
    if (options.secret === null) return;
    const key = audienceKey(options.secret, options.name);
    const inner: Fetcher = this.fetcher;
    this.fetcher = ((url, init) => {
      const headers = { ...(init?.headers as Record<string, string>) };
      const context = headers[CONTEXT_HEADER];
      const body = typeof init?.body === 'string' ? init.body : '';
      if (context) {
        const target = new URL(url);
        headers[SIGNATURE_HEADER] = signRequest({
          key,
          audience: options.name,
          method: init?.method ?? 'GET',
          target: target.pathname + target.search,
          contentType: headers['content-type'] ?? '',
          context,
          body,
        });
      }
      return inner(url, { ...init, headers });
    }) as Fetcher;
  }

  /**
   * Runs a query's fetch under the request's deadline, which aborts it when it passes. A mutation's
   * fetch runs to its end: aborted, it could still commit in the subgraph while the caller is told
   * TIMEOUT, and a retry would do it twice.
   */
  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const deadline = 'deadline' in options.context && !isMutation(options) ? options.context.deadline : undefined;
    return underDeadline(deadline, () => super.process(options));
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Health checks and schema loads run without a request: they go as anonymous.
    const caller = 'caller' in context && context.caller ? context.caller : null;
    if (caller) request.http?.headers.set(CONTEXT_HEADER, encodeContext(caller));
    // W3C traceparent of this fetch's span (tracing on): not signed, it only parents the subgraph's span.
    if (request.http) injectTraceContext(request.http.headers);
  }
}
