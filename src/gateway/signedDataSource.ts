import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Kind, OperationTypeNode } from 'graphql';
import { encodeContext } from '../privacy/context/disclosureContext.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../privacy/sign/signature.js';
import { abortAtDeadline, underDeadline } from '../limits/deadline.js';
import type { GatewayContext } from './context.js';
import { retryOnReset } from './retryOnReset.js';
import { acrossReplicas, type FailoverEvent } from './replicaFailover.js';
import type { Logger } from '../log/logger.js';
import { ReplicaSet, replicaUrls } from '../config/replicas.js';
import { injectTraceContext } from '../observability/tracing.js';
import type { SharedFetches } from './sharedFetches.js';
import { RemoteGraphQLDataSource } from './apolloGateway.js';
import type { SubgraphClient } from './subgraphClient.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** Whether a subgraph fetch is a mutation: by its planned document, else by the text the planner wrote. */
function isMutation(options: GraphQLDataSourceProcessOptions<GatewayContext>): boolean {
  const document = 'document' in options ? options.document : undefined;
  if (document)
    return document.definitions.some(
      (d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.MUTATION,
    );
  return /^\s*mutation\b/.test(options.request.query ?? '');
}

/** What a signed data source is built with. */
export interface SignedDataSourceOptions {
  /** The subgraph's URL, or its replicas' URLs separated by commas. */
  url: string;
  name: string;
  /** `null` sends the context unsigned: benchmarks only, refused in production. */
  secret: string | null;
  /** The HTTP client of the gateway's subgraph fetches (default: @apollo/gateway's own). */
  client?: SubgraphClient;
  /** Identical shareable query fetches in flight are sent once (SUBGRAPH_DEDUP). */
  shared?: SharedFetches;
  /** Where a replica's dropping out of the rotation is reported. */
  logger?: Logger;
}

/** Logs a fetch moved to the next replica: a refusal once per outage, each broken query. */
function failoverLog(logger: Logger | undefined, subgraph: string) {
  return (event: FailoverEvent): void => {
    if (!logger) return;
    if (event.kind === 'refused' && event.newlyDown)
      logger.warn(
        { subgraph, replica: event.url },
        'subgraph replica refused a connection; fetches go to the other replicas first for a while',
      );
    else if (event.kind === 'reset')
      logger.warn(
        { subgraph, replica: event.url },
        "subgraph replica broke a query's connection; the query went to the next replica",
      );
  };
}

/** Signs each fetch that carries a disclosure context for `audience`, under its key. */
function signing(inner: Fetcher, key: Buffer, audience: string): Fetcher {
  // A data source fetches one URL per replica: each one's path is parsed once.
  const targets = new Map<string, string>();
  return ((url, init) => {
    const headers = { ...(init?.headers as Record<string, string>) };
    const context = headers[CONTEXT_HEADER];
    if (context) {
      let target = targets.get(url);
      if (target === undefined) {
        const parsed = new URL(url);
        target = parsed.pathname + parsed.search;
        targets.set(url, target);
      }
      headers[SIGNATURE_HEADER] = signRequest({
        key,
        audience,
        method: init?.method ?? 'GET',
        target,
        contentType: headers['content-type'] ?? '',
        context,
        body: typeof init?.body === 'string' ? init.body : '',
      });
    }
    return inner(url, { ...init, headers });
  }) as Fetcher;
}

/**
 * A subgraph data source that attaches the caller's disclosure context to every fetch and signs
 * the whole request (method, path and query, content type, context, exact body bytes), with a
 * timestamp and a nonce, under the subgraph's own key (see privacy/sign/canonicalRequest.ts). A
 * fetch whose pooled connection was reset is sent once more, under the same signature; with
 * several replicas (a comma-separated URL), fetches go round-robin and move to the next replica
 * when one is gone (replicaFailover.ts). The layers of a fetch, outermost first: the request's
 * deadline, sharing of identical fetches in flight, the choice of replica, signing, the retry on
 * a reset, the HTTP client.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(options: SignedDataSourceOptions) {
    const urls = replicaUrls(options.url);
    const replicas = new ReplicaSet(urls.length ? urls : [options.url]);
    super({ url: replicas.urls[0] });
    const sent = retryOnReset(options.client?.fetcher ?? this.fetcher);
    const signed =
      options.secret === null
        ? sent
        : signing(sent, audienceKey(options.secret, options.name), options.name);
    const spread = acrossReplicas(replicas, signed, failoverLog(options.logger, options.name));
    this.fetcher = abortAtDeadline(options.shared ? options.shared.share(spread) : spread);
  }

  /**
   * Runs a query's fetch under the request's deadline, which aborts it when it passes. A mutation's
   * fetch runs to its end: aborted, it could still commit in the subgraph while the caller is told
   * TIMEOUT, and a retry would do it twice.
   */
  override process(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
  ): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const deadline =
      'deadline' in options.context && !isMutation(options) ? options.context.deadline : undefined;
    return underDeadline(deadline, () => super.process(options));
  }

  override willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Health checks and schema loads run without a request: they go as anonymous.
    const caller = 'caller' in context && context.caller ? context.caller : null;
    if (caller) request.http?.headers.set(CONTEXT_HEADER, encodeContext(caller));
    // W3C traceparent of this fetch's span (tracing on): not signed, it only parents the subgraph's span.
    if (request.http) injectTraceContext(request.http.headers);
  }
}
