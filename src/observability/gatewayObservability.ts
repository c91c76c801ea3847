import type { GraphQLDataSource } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Config } from '../config/env.js';
import type { ServeOptions } from '../http/serve.js';
import { metricsRoute } from './metricsAccess.js';
import type { GatewayContext } from '../gateway/context.js';
import { ProcessMetrics } from './metrics.js';
import { anyReachable, Readiness, type ReadinessCheck } from './readiness.js';
import { replicaUrls } from '../config/replicas.js';
import { requestMetricsPlugin, timedFetches } from './requestMetrics.js';
import type { Tracing } from './tracing.js';

/**
 * Everything the gateway needs for operators, in one place: its request and fetch histograms,
 * `/metrics` for the scraper, `/ready` (every subgraph reachable) and its server spans.
 */
export function gatewayObservability(options: {
  config: Config;
  metrics?: ProcessMetrics;
  tracing?: Tracing | null;
}) {
  const { config } = options;
  const metrics = options.metrics ?? new ProcessMetrics();
  const subgraphs = new Map<string, ReadinessCheck>();
  const readiness = new Readiness(() => Object.fromEntries(subgraphs));
  return {
    /** The process's Prometheus registry, for the gateway's other counters (its response cache). */
    registry: metrics.registry,
    /**
     * @apollo/gateway's own spans (gateway.request, .plan, .fetch…) without the document or the
     * exceptions: the document and its variables can hold card numbers and patron ids, and an
     * error message can echo a variable.
     */
    telemetry: { includeDocument: false, recordExceptions: false },
    /** Times each request by operation type. */
    plugin: requestMetricsPlugin(
      metrics.gatewayRequests,
      'gateway',
    ) as ApolloServerPlugin<GatewayContext>,
    /** Times each fetch to `name`, and makes `url`'s /health (any one replica's, for a comma-separated list) part of the gateway's readiness. */
    fetches(
      source: GraphQLDataSource<GatewayContext>,
      name: string,
      url: string,
    ): GraphQLDataSource<GatewayContext> {
      if (url) subgraphs.set(name, anyReachable(replicaUrls(url)));
      return timedFetches(source, name, metrics.subgraphFetches);
    },
    /** What serveGraphQL adds: /ready, /metrics for the bearer of METRICS_TOKEN, and server spans when tracing is on. */
    serve: {
      ready: () => readiness.report(),
      operatorRoutes: [metricsRoute(() => metrics.render('gateway'), config.metrics.token)],
      ...(options.tracing ? { tracing: { tracing: options.tracing, service: 'gateway' } } : {}),
    } satisfies Partial<ServeOptions<GatewayContext>>,
  };
}
