import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { encodeContext } from '../privacy/context/disclosureContext.js';
import { audienceKey, CONTEXT_HEADER, SIGNATURE_HEADER, signRequest } from '../privacy/sign/signature.js';
import { abortAtDeadline, underDeadline } from '../limits/deadline.js';
import type { GatewayContext } from './context.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/**
 * A subgraph data source that attaches the caller's disclosure context to every fetch and signs
 * it, with the exact body bytes, a timestamp and a nonce, under the subgraph's own key.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** `secret: null` sends the context unsigned: benchmarks only, refused in production. */
  constructor(options: { url: string; name: string; secret: string | null }) {
    super({ url: options.url });
    this.fetcher = abortAtDeadline(this.fetcher);
    if (options.secret === null) return;
    const key = audienceKey(options.secret, options.name);
    const inner: Fetcher = this.fetcher;
    this.fetcher = ((url, init) => {
      const headers = { ...(init?.headers as Record<string, string>) };
      const context = headers[CONTEXT_HEADER];
      const body = typeof init?.body === 'string' ? init.body : '';
      if (context) headers[SIGNATURE_HEADER] = signRequest({ key, audience: options.name, context, body });
      return inner(url, { ...init, headers });
    }) as Fetcher;
  }

  /** Runs the fetch under the request's deadline, which aborts it when it passes. */
  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const deadline = 'deadline' in options.context ? options.context.deadline : undefined;
    return underDeadline(deadline, () => super.process(options));
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Health checks and schema loads run without a request: they go as anonymous.
    const caller = 'caller' in context && context.caller ? context.caller : null;
    if (caller) request.http?.headers.set(CONTEXT_HEADER, encodeContext(caller));
  }
}
