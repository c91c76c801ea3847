import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { Config } from '../config/env.js';
import { maskErrors } from '../errors/mask.js';
import { HttpRefusal, serveGraphQL, type RawRequest, type Route, type RunningServer } from '../http/serve.js';
import type { AuditWriter } from '../privacy/audit/auditWriter.js';
import { PrivacyMetrics } from '../privacy/audit/metrics.js';
import { auditPlugin, auditSettler } from '../privacy/audit/auditPlugin.js';
import type { Logger } from '../log/logger.js';
import { anonymousContext, decodeContext } from '../privacy/context/disclosureContext.js';
import { createPrivacyContext } from '../privacy/redact/privacyContext.js';
import { reportDecisions } from '../privacy/redact/enforce.js';
import { audienceKey, CONTEXT_HEADER, RequestVerifier, SIGNATURE_HEADER } from '../privacy/sign/signature.js';
import { limitGuard, subgraphLimits } from '../limits/operationLimits.js';
import type { SubgraphService } from './service.js';

const header = (request: RawRequest, name: string): string | undefined => {
  const value = request.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Verifies the gateway's signature over context, body, time and nonce for one audience; throws a
 * 401 refusal otherwise. Exported for the facts endpoint, which uses the same scheme.
 */
export function signatureGuard(verifier: RequestVerifier, logger: Logger, audience: string) {
  return (request: RawRequest): string => {
    const result = verifier.verify(header(request, CONTEXT_HEADER), header(request, SIGNATURE_HEADER), request.body);
    if (!result.ok) {
      logger.warn({ audience, reason: result.reason }, 'refused unsigned or tampered request');
      throw new HttpRefusal(401, 'UNAUTHENTICATED', 'Missing or invalid disclosure-context signature');
    }
    return result.context;
  };
}

/** Serves a subgraph over HTTP; every /graphql request must carry a valid signed context. */
export async function serveSubgraph(
  service: SubgraphService,
  options: { config: Config; logger: Logger; port: number; audit: AuditWriter | null },
): Promise<RunningServer> {
  const { config, logger } = options;
  const metrics = new PrivacyMetrics(service.name);
  const writer = config.audit.enabled ? options.audit : null;
  const audit = writer ? (batches: Parameters<AuditWriter['append']>[1]) => writer.append(service.name, batches) : undefined;
  const metricsRoute: Route = ({ req }, res) => {
    if (req.url !== '/metrics') return false;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(metrics.render());
    return true;
  };
  const onAuditFailure = () => metrics.auditFailed();
  const settleAudit = auditSettler(logger, onAuditFailure);
  const verify = signatureGuard(new RequestVerifier(audienceKey(config.contextSecret, service.name), service.name), logger, service.name);
  return serveGraphQL(
    (httpServer) =>
      new ApolloServer({
        schema: service.schema,
        formatError: maskErrors(logger),
        includeStacktraceInErrorResponses: false,
        // startGraph stops the services in order (gateway first); Apollo's own handlers would race it.
        stopOnTerminationSignals: false,
        plugins: [
          ApolloServerPluginDrainHttpServer({ httpServer }),
          ApolloServerPluginInlineTraceDisabled(),
          auditPlugin(logger, onAuditFailure),
          {
            // Decisions repeated down a list are counted once per request, with their number.
            async requestDidStart() {
              return { willSendResponse: async ({ contextValue }) => contextValue.privacy && reportDecisions(contextValue.privacy) };
            },
          },
        ],
      }),
    {
      host: config.host,
      port: options.port,
      guard: config.contextSigning ? (request) => void verify(request) : undefined,
      // A signed call is bounded too: the gateway's limits, with room for what its query plan adds.
      limitOperation: limitGuard(service.schema, subgraphLimits(config.limits.operation)),
      // The gateway forwards a client's variables beside the representations it adds.
      sizes: { bodyBytes: config.limits.bodyBytes * 2, responseBytes: config.limits.responseBytes },
      context: async (request) => {
        let caller;
        try {
          const encoded = header(request, CONTEXT_HEADER);
          caller = encoded === undefined && !config.contextSigning ? anonymousContext('unsigned') : decodeContext(encoded ?? '');
        } catch {
          throw new HttpRefusal(401, 'UNAUTHENTICATED', 'Malformed disclosure context');
        }
        const privacy = createPrivacyContext({
          caller,
          source: service.facts,
          now: new Date(),
          pseudonymKey: config.analytics.pseudonymKey,
          pseudonymPeriod: config.analytics.pseudonymPeriod,
          logger: logger.child({ requestId: caller.requestId }),
          observe: metrics.observe,
          ...(audit ? { audit, auditHeldByTransport: true } : {}),
        });
        return service.createContext(privacy);
      },
      routes: [metricsRoute, ...(service.routes ?? [])],
      health: () => ({ service: service.name, ...(writer ? { audit: writer.state } : {}) }),
      settle: (context, response) => settleAudit(context.privacy?.audit, response),
    },
  );
}
