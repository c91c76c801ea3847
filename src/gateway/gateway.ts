import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildASTSchema, parse } from 'graphql';
import type { Config, SubgraphName } from '../config/env.js';
import { maskErrors } from '../errors/mask.js';
import { header } from '../http/header.js';
import { serveGraphQL, type RunningServer } from '../http/serve.js';
import type { Logger } from '../log/logger.js';
import { createAuthenticator } from '../privacy/authenticate/token.js';
import { deadlinePlugin, startDeadline } from '../limits/deadline.js';
import { EntityBatches } from '../limits/entityBatches.js';
import { limitGuard, OperationChecker } from '../limits/operationLimits.js';
import { GatewayRateLimit } from '../ratelimit/gatewayRateLimit.js';
import { createPublicResponseCache } from './cache/publicResponseCache.js';
import type { GatewayContext } from './context.js';
import { landingPagePlugin } from './landingPage.js';
import { prefilterPlugin } from './prefilter/prefilterPlugin.js';
import { redactionShapePlugin } from './redactionShape.js';
import { requestLogPlugin } from './requestLog.js';
import { SharedFetches } from './sharedFetches.js';
import { ApolloGateway } from './apolloGateway.js';
import { SignedDataSource } from './signedDataSource.js';
import { setUpTrustedDocuments } from './trustedDocuments/setup.js';
import { SubgraphClient } from './subgraphClient.js';
import { reportSubgraphFailures } from './subgraphFailures.js';
import type { ProcessMetrics } from '../observability/metrics.js';
import { registerCacheMetrics } from './cache/cacheMetrics.js';
import type { Tracing } from '../observability/tracing.js';
import { gatewayObservability } from '../observability/gatewayObservability.js';

/** Options of the gateway: the static supergraph, and subgraph URLs that override its routing URLs. */
export interface GatewayOptions {
  config: Config;
  logger: Logger;
  supergraphSdl: string;
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  port: number;
  /** The process's metrics registry (default: one of the gateway's own) and tracer provider (null: tracing off). */
  metrics?: ProcessMetrics;
  tracing?: Tracing | null;
}

/**
 * The one graph: `@apollo/gateway` on the static supergraph file (no runtime introspection), every
 * subgraph fetch carrying the caller's signed disclosure context.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const authenticate = await createAuthenticator(config);
  // @apollo/gateway otherwise reports usage to Apollo and probes cloud metadata endpoints at
  // construction: nothing about this library's traffic leaves the building (policy #2).
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  // Metrics, /ready and traces for operators (src/observability/).
  const observe = gatewayObservability(options);
  const subgraphUrl = (name: string, url: string | undefined) =>
    options.subgraphUrls[name as SubgraphName] ?? url ?? '';
  // One HTTP client (a keep-alive pool per subgraph) for every data source, closed as the gateway
  // stops. It reads subgraph answers up to four times the client's response limit (at least
  // 64 MiB), so that what is too large for a client still gets the limit's clear error.
  const client = new SubgraphClient({
    deadlineMs: config.limits.deadlineMs,
    maxResponseBytes: Math.max(4 * config.limits.responseBytes, 64 * 1024 * 1024),
  });
  const shared = config.subgraphDedup ? new SharedFetches() : undefined;
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    telemetry: observe.telemetry,
    buildService: ({ name, url }) =>
      observe.fetches(
        new EntityBatches(
          reportSubgraphFailures(
            new SignedDataSource({
              url: options.subgraphUrls[name as SubgraphName] ?? url ?? '',
              name,
              secret: config.contextSigning ? config.contextSecret : null,
              client,
              shared,
              logger,
            }),
            name,
            logger,
          ),
          config.limits.operation.entityRepresentations,
        ),
        name,
        subgraphUrl(name, url),
      ),
    logger: logger.child({ component: 'gateway' }),
  });
  // Operation limits are checked against the graph clients see, before anything is planned or fetched.
  const limitSchema = buildASTSchema(parse(options.supergraphSdl), { assumeValidSDL: true });
  const checker = new OperationChecker(limitSchema, config.limits.operation);
  const limitOperation = limitGuard(
    limitSchema,
    config.limits.operation,
    logger.child({ component: 'limits' }),
    checker,
  );
  // Persisted queries and the trusted-documents manifest: every request's document resolved to its text before the limits.
  const documents = setUpTrustedDocuments({
    config,
    supergraphSdl: options.supergraphSdl,
    checker,
    logger: logger.child({ component: 'trusted-documents' }),
  });
  // The offline GraphiQL page at `/` (PLAYGROUND=graphiql); runs before /graphql, which it leaves alone.
  // Loaded only when configured, so a gateway without it loads none of the playground.
  const playground =
    config.playground === 'graphiql' ? await import('../playground/serve.js') : null;
  const routes = playground ? [await playground.playgroundRoute({ config, logger })] : [];
  // Anonymous answers over public data only, kept in memory (src/gateway/cache/); its counters
  // join the process's /metrics on the admin port.
  const responseCache = config.responseCache.enabled
    ? createPublicResponseCache(options.supergraphSdl, config.responseCache.maxBytes)
    : null;
  if (responseCache) registerCacheMetrics(observe.registry, responseCache.cache);
  // Rate limits, taken first (before the body is read) from the bucket of the caller the context names.
  const rateLimit = new GatewayRateLimit(config.rateLimit, {
    secret: config.contextSecret,
    logger,
  });
  const server = await serveGraphQL(
    (httpServer) =>
      new ApolloServer<GatewayContext>({
        gateway,
        formatError: maskErrors(logger),
        includeStacktraceInErrorResponses: false,
        // startGraph stops the services in order (gateway first); Apollo's own handlers would race it.
        stopOnTerminationSignals: false,
        introspection: config.env !== 'production',
        // Persisted queries are resolved to their text before the limits (resolveOperation below):
        // Apollo Server sees every operation as sent text, its manifest documents already parsed.
        persistedQueries: false,
        documentStore: documents.documentStore,
        plugins: [
          ApolloServerPluginDrainHttpServer({ httpServer }),
          redactionShapePlugin(),
          requestLogPlugin(logger),
          // Before the pre-filter: the cache judges the document the client sent.
          ...(responseCache ? [responseCache.plugin] : []),
          ...(config.gatewayPrefilter ? [prefilterPlugin(options.supergraphSdl)] : []),
          landingPagePlugin(config.playground),
          deadlinePlugin(),
          observe.plugin,
        ],
      }),
    rateLimit.wrap({
      host: config.host,
      port: options.port,
      resolveOperation: documents.resolveOperation,
      limitOperation,
      sizes: { bodyBytes: config.limits.bodyBytes, responseBytes: config.limits.responseBytes },
      context: async (request) => {
        const deadline = startDeadline(config.limits.deadlineMs);
        const requestId = header(request, 'x-request-id')?.slice(0, 100) || randomUUID();
        const caller = await authenticate(
          {
            authorization: header(request, 'authorization'),
            legalProcess: header(request, 'x-legal-process'),
            purpose: header(request, 'x-disclosure-purpose'),
          },
          requestId,
        );
        return { caller, deadline };
      },
      routes,
      health: () => ({ service: 'gateway' }),
      ...observe.serve,
    }),
  );
  return {
    ...server,
    async stop() {
      await server.stop();
      await client.close();
    },
  };
}
