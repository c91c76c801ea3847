import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind, type DocumentNode } from 'graphql';
import type { Histogram } from 'prom-client';
import type { OperationType, Outcome } from './metrics.js';

type DurationLabels = 'service' | 'operation_type' | 'outcome';

/** The operation type a label may carry: the parsed operation's, else `unknown` (never the caller's text). */
export const operationTypeOf = (operation: string | undefined): OperationType =>
  operation === 'query' || operation === 'mutation' || operation === 'subscription'
    ? operation
    : 'unknown';

/**
 * Times each GraphQL request into `histogram`, labelled with `service`, the operation's type as
 * parsed (never its name, which the caller chooses) and whether the response carries errors.
 */
export function requestMetricsPlugin<Ctx extends BaseContext>(
  histogram: Histogram<DurationLabels>,
  service: string,
): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      const end = histogram.startTimer({ service });
      return {
        async willSendResponse({ response, operation }) {
          const errors =
            response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0;
          const outcome: Outcome = errors || (response.http.status ?? 200) >= 400 ? 'error' : 'ok';
          end({ operation_type: operationTypeOf(operation?.operation), outcome });
        },
      };
    },
  };
}

/** The planned fetch's operation type, read from its document or the text the planner wrote. */
function fetchOperationType(options: GraphQLDataSourceProcessOptions): OperationType {
  const document: DocumentNode | undefined = 'document' in options ? options.document : undefined;
  const definition = document?.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (definition) return operationTypeOf(definition.operation);
  return operationTypeOf(
    /^\s*(query|mutation|subscription)\b/.exec(options.request.query ?? '')?.[1] ?? 'query',
  );
}

/**
 * Wraps a subgraph data source so each fetch of a query plan is timed into `histogram`, labelled
 * with the subgraph (a name from the supergraph, a bounded set) and the fetch's operation type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bound @apollo/gateway itself puts on a context
export function timedFetches<Ctx extends Record<string, any>>(
  inner: GraphQLDataSource<Ctx>,
  subgraph: string,
  histogram: Histogram<DurationLabels | 'subgraph'>,
): GraphQLDataSource<Ctx> {
  return {
    async process(options: GraphQLDataSourceProcessOptions<Ctx>): Promise<GatewayGraphQLResponse> {
      const end = histogram.startTimer({
        service: 'gateway',
        subgraph,
        operation_type: fetchOperationType(options as GraphQLDataSourceProcessOptions),
      });
      try {
        const response = await inner.process(options);
        end({ outcome: response.errors?.length ? 'error' : 'ok' });
        return response;
      } catch (error) {
        end({ outcome: 'error' });
        throw error;
      }
    },
  };
}
