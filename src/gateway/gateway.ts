import { randomUUID } from 'node:crypto';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildASTSchema, parse } from 'graphql';
import type { Config, SubgraphName } from '../config/env.js';
import { maskErrors } from '../errors/mask.js';
import { serveGraphQL, type RawRequest, type RunningServer } from '../http/serve.js';
import type { Logger } from '../log/logger.js';
import { createAuthenticator } from '../privacy/authenticate/token.js';
import { deadlinePlugin, startDeadline } from '../limits/deadline.js';
import { EntityBatches } from '../limits/entityBatches.js';
import { limitGuard } from '../limits/operationLimits.js';
import { GatewayRateLimit } from '../ratelimit/gatewayRateLimit.js';
import type { GatewayContext } from './context.js';
import { landingPagePlugin } from './landingPage.js';
import { prefilterPlugin } from './prefilter/prefilterPlugin.js';
import { redactionShapePlugin } from './redactionShape.js';
import { requestLogPlugin } from './requestLog.js';
import { SignedDataSource } from './signedDataSource.js';
import { reportSubgraphFailures } from './subgraphFailures.js';

const header = (request: Pick<RawRequest, 'req'>, name: string): string | undefined => {
  const value = request.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Options of the gateway: the static supergraph, and subgraph URLs that override its routing URLs. */
export interface GatewayOptions {
  config: Config;
  logger: Logger;
  supergraphSdl: string;
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  port: number;
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
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) =>
      new EntityBatches(
        reportSubgraphFailures(
          new SignedDataSource({
            url: options.subgraphUrls[name as SubgraphName] ?? url ?? '',
            name,
            secret: config.contextSigning ? config.contextSecret : null,
          }),
          name,
          logger,
        ),
        config.limits.operation.entityRepresentations,
      ),
    logger: logger.child({ component: 'gateway' }),
  });
  // Operation limits are checked against the graph clients see, before anything is planned or fetched.
  const limitOperation = limitGuard(buildASTSchema(parse(options.supergraphSdl), { assumeValidSDL: true }), config.limits.operation, logger.child({ component: 'limits' }));
  // The offline GraphiQL page at `/` (PLAYGROUND=graphiql); runs before /graphql, which it leaves
  // alone. Loaded only when configured, so a gateway without it loads none of the playground.
  const playground = config.playground === 'graphiql' ? await import('../playground/serve.js') : null;
  const routes = playground ? [await playground.playgroundRoute({ config, logger })] : [];
  // Rate limits, taken first (before the body is read) from the bucket of the caller the context names.
  const rateLimit = new GatewayRateLimit(config.rateLimit, { secret: config.contextSecret, logger });
  return serveGraphQL(
    (httpServer) =>
      new ApolloServer<GatewayContext>({
        gateway,
        formatError: maskErrors(logger),
        includeStacktraceInErrorResponses: false,
        // startGraph stops the services in order (gateway first); Apollo's own handlers would race it.
        stopOnTerminationSignals: false,
        introspection: config.env !== 'production',
        // A hash-only request carries no query for the operation limits to measure: no automatic
        // persisted queries until they come with checks of their own.
        persistedQueries: false,
        plugins: [
          ApolloServerPluginDrainHttpServer({ httpServer }),
          redactionShapePlugin(),
          requestLogPlugin(logger),
          ...(config.gatewayPrefilter ? [prefilterPlugin(options.supergraphSdl)] : []),
          landingPagePlugin(config.playground),
          deadlinePlugin(),
        ],
      }),
    rateLimit.wrap({
      host: config.host,
      port: options.port,
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
    }),
  );
}
