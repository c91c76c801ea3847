import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { GatewayContext } from './context.js';

/**
 * One log line per request: request id, operation type, a short hash of the query, duration and
 * the error codes counted. Never the query text, its variables or its operation name, which a
 * client may fill with anything, names included.
 */
export function requestLogPlugin(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, operation, queryHash }) {
          const errors: Record<string, number> = {};
          const list =
            response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const e of list) {
            const code = String(e.extensions?.code ?? 'UNKNOWN');
            errors[code] = (errors[code] ?? 0) + 1;
          }
          logger.info(
            {
              requestId: contextValue.caller?.requestId,
              operation: operation?.operation ?? null,
              query: queryHash?.slice(0, 12) ?? null,
              status: response.http.status ?? 200,
              ms: Math.round(performance.now() - started),
              errors,
            },
            'request',
          );
        },
      };
    },
  };
}
