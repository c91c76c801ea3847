import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import type { Config } from '../config/env.js';
import { maskErrors } from '../errors/mask.js';
import { refusal } from '../errors/httpRefusal.js';
import { header } from '../http/header.js';
import { serveGraphQL, type RunningServer } from '../http/serve.js';
import type { AuditAppender } from '../privacy/audit/store/auditWriter.js';
import { auditPlugin, auditSettler } from '../privacy/audit/auditPlugin.js';
import type { Logger } from '../log/logger.js';
import { anonymousContext, decodeContext } from '../privacy/context/disclosureContext.js';
import { createPrivacyContext } from '../privacy/enforce/privacyContext.js';
import {
  reportAdoptedDecisions,
  reportDecisions,
  type EnforcedContext,
} from '../privacy/enforce/enforce.js';
import { MemoryNonceStore, type NonceStore } from '../privacy/verify/nonceStore.js';
import { audienceKey, CONTEXT_HEADER, verificationSecrets } from '../privacy/sign/signature.js';
import { SignatureGuard } from '../privacy/verify/signatureGuard.js';
import { limitGuard, subgraphLimits } from '../limits/operationLimits.js';
import type { SubgraphService } from './service.js';
import { isReadOnlyQuery, type ShareRules } from '../http/sharedExecutions.js';
import { jitGateway } from './jitExecutor.js';
import { metricsRoute } from '../observability/metricsAccess.js';
import type { ProcessMetrics } from '../observability/metrics.js';
import { privacyCounters } from '../observability/privacyCounters.js';
import { Readiness, type ReadinessCheck } from '../observability/readiness.js';
import { requestMetricsPlugin } from '../observability/requestMetrics.js';
import type { Tracing } from '../observability/tracing.js';

/** How a subgraph is served: its configuration, the process's metrics and tracing, and what it depends on. */
export interface ServeSubgraphOptions {
  config: Config;
  logger: Logger;
  port: number;
  audit: AuditAppender | null;
  /** The store the subgraph's replicas share; without one, nonces are this process's. */
  nonces?: NonceStore;
  /** The process's one registry; this subgraph's series carry `service="<name>"`. */
  metrics: ProcessMetrics;
  tracing?: Tracing | null;
  /** `/ready`: a trivial query on the subgraph's database. */
  database: ReadinessCheck;
}

/**
 * Identical queries of one caller in flight at once are executed once (SharedExecutions): the key
 * is the caller's whole disclosure context but its request id (so only requests every rule decides
 * alike share), the media types and the exact body. Each request keeps its own signature check,
 * nonce and audit: a follower adopts the disclosures the execution noted and records them under
 * its own request id before its response leaves, or is redacted if it cannot.
 */
const sameCallerShares = (onShared: () => void): ShareRules<EnforcedContext> => ({
  key(context, request) {
    const caller = context.privacy?.caller;
    if (!caller || !isReadOnlyQuery(request)) return null;
    return JSON.stringify([
      caller.principal,
      caller.roles,
      caller.duties,
      caller.patronId,
      caller.legalOrder,
      caller.purpose,
      caller.clientKey ?? null,
      request.headers.get('content-type') ?? null,
      request.headers.get('accept') ?? null,
      request.raw.toString('latin1'),
    ]);
  },
  adopt(leader, follower) {
    const from = leader.privacy?.audit;
    const to = follower.privacy?.audit;
    if (from && to) to.adopt(from);
    else if (from || to) throw new Error('requests sharing an execution are audited alike');
    if (leader.privacy && follower.privacy)
      reportAdoptedDecisions(leader.privacy, follower.privacy);
    onShared();
  },
});

/** Serves a subgraph over HTTP; every /graphql request must be a signed POST (SignatureGuard). */
export async function serveSubgraph(
  service: SubgraphService,
  options: ServeSubgraphOptions,
): Promise<RunningServer> {
  const { config, logger } = options;
  const counters = privacyCounters(options.metrics, service.name);
  const writer = config.audit.enabled ? options.audit : null;
  const audit = writer
    ? (batches: Parameters<AuditAppender['append']>[1]) =>
        counters.timeAudit(writer.append(service.name, batches))
    : undefined;
  // The counters reach a scraper with METRICS_TOKEN here, or on the process's loopback admin port.
  const metricsOnPort = metricsRoute(
    () => options.metrics.render(service.name),
    config.metrics.token,
  );
  const onAuditFailure = counters.auditFailed;
  // Ready: the database answers, and (where disclosures are audited) the audit is open and takes writes.
  const readiness = new Readiness({
    database: options.database,
    ...(writer ? { audit: () => writer.ensureReady() } : {}),
  });
  const settleAudit = auditSettler(logger, onAuditFailure);
  const signature = new SignatureGuard({
    key: verificationSecrets(config).map((secret) => audienceKey(secret, service.name)),
    audience: service.name,
    path: '/graphql',
    nonces: options.nonces ?? new MemoryNonceStore(),
    logger,
  });
  return serveGraphQL(
    (httpServer) =>
      new ApolloServer({
        // Apollo Server parses and validates either way; a compiled executor is handed to it as
        // a gateway's (the one way it takes an executor), over this subgraph's schema.
        ...(config.subgraphExecutors[service.name] === 'jit'
          ? { gateway: jitGateway(service.schema) }
          : { schema: service.schema }),
        formatError: maskErrors(logger),
        includeStacktraceInErrorResponses: false,
        // startGraph stops the services in order (gateway first); Apollo's own handlers would race it.
        stopOnTerminationSignals: false,
        // A hash-only request carries no query for the operation limits to measure: no automatic
        // persisted queries until they come with checks of their own.
        persistedQueries: false,
        plugins: [
          ApolloServerPluginDrainHttpServer({ httpServer }),
          ApolloServerPluginInlineTraceDisabled(),
          // No field carries a cache hint and no subgraph answer may be cached: without this, the
          // default cache-control plugin wraps every field's resolver to compute a policy of none.
          ApolloServerPluginCacheControlDisabled(),
          auditPlugin<EnforcedContext>(logger, onAuditFailure),
          requestMetricsPlugin(options.metrics.subgraphRequests, service.name),
          {
            // Decisions repeated down a list are counted once per request, with their number.
            async requestDidStart() {
              return {
                willSendResponse: async ({ contextValue }) =>
                  contextValue.privacy && reportDecisions(contextValue.privacy),
              };
            },
          },
        ],
      }),
    {
      host: config.host,
      port: options.port,
      guard: config.contextSigning
        ? async (request) => void (await signature.check(request))
        : undefined,
      // A signed call is bounded too: the gateway's limits, with room for what its query plan adds.
      limitOperation: limitGuard(
        service.schema,
        subgraphLimits(config.limits.operation),
        logger.child({ component: 'limits' }),
      ),
      // The gateway forwards a client's variables beside the representations it adds.
      sizes: { bodyBytes: config.limits.bodyBytes * 2, responseBytes: config.limits.responseBytes },
      context: async (request) => {
        let caller;
        try {
          const encoded = header(request, CONTEXT_HEADER);
          caller =
            encoded === undefined && !config.contextSigning
              ? anonymousContext('unsigned')
              : decodeContext(encoded ?? '');
        } catch {
          throw refusal('UNAUTHENTICATED', 'Malformed disclosure context');
        }
        const privacy = createPrivacyContext({
          caller,
          source: service.facts,
          now: new Date(),
          pseudonymKey: config.analytics.pseudonymKey,
          pseudonymPeriod: config.analytics.pseudonymPeriod,
          logger: logger.child({ requestId: caller.requestId }),
          observe: counters.observe,
          ...(audit ? { audit, auditHeldByTransport: true } : {}),
        });
        return service.createContext(privacy);
      },
      operatorRoutes: [metricsOnPort],
      routes: service.routes ?? [],
      health: () => ({ service: service.name, ...(writer ? { audit: writer.state } : {}) }),
      ready: () => readiness.report(),
      ...(options.tracing ? { tracing: { tracing: options.tracing, service: service.name } } : {}),
      settle: (context, response) => settleAudit(context.privacy?.audit, response),
      ...(config.subgraphDedup
        ? {
            share: sameCallerShares(() =>
              options.metrics.sharedResponses.inc({ service: service.name }),
            ),
          }
        : {}),
    },
  );
}
