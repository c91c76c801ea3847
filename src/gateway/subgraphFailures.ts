import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { graphError, isKnownCode } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';

/** Why a subgraph's answer could not be used; logged, never its body (it may hold anything). */
type Failure = 'unreachable' | 'http-error' | 'not-json' | 'wrong-shape';

/** The error a client gets for the fields a failed subgraph serves: names the service, nothing else. */
export function subgraphUnavailable(service: string): GraphQLError {
  return graphError(
    'SERVICE_UNAVAILABLE',
    `The ${service} service is unavailable; the fields it serves are null. Try again shortly.`,
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when `body` is a GraphQL response whose shape fits the request (one entity per representation). */
function wellFormed(body: unknown, representations: unknown): boolean {
  if (!isObject(body)) return false;
  if (body.errors !== undefined && !Array.isArray(body.errors)) return false;
  if (body.data === undefined || body.data === null) return Array.isArray(body.errors);
  if (!isObject(body.data)) return false;
  if (!Array.isArray(representations)) return true;
  const entities = body.data._entities;
  return Array.isArray(entities) && entities.length === representations.length;
}

/**
 * A subgraph's refusal of the caller's operation (HTTP 4xx with a GraphQL error of a registered
 * code: a limit, bad input) is passed on as that error; anything else from a failed answer is not.
 * A subgraph refusing the gateway's own signed call (UNAUTHENTICATED: a signature, a replay, a
 * nonce store that cannot answer) is a fault between the services, not the caller's: the caller's
 * token was verified at the gateway, so it is not told otherwise.
 */
function refusal(error: unknown): GraphQLError | null {
  if (!(error instanceof GraphQLError) || !isObject(error.extensions.response)) return null;
  const { status, body } = error.extensions.response as { status?: unknown; body?: unknown };
  if (
    typeof status !== 'number' ||
    status < 400 ||
    status >= 500 ||
    !isObject(body) ||
    !Array.isArray(body.errors)
  )
    return null;
  const first: unknown = body.errors[0];
  if (!isObject(first) || typeof first.message !== 'string' || !isObject(first.extensions))
    return null;
  const code = first.extensions.code;
  return isKnownCode(code) && code !== 'INTERNAL_SERVER_ERROR' && code !== 'UNAUTHENTICATED'
    ? graphError(code, first.message)
    : null;
}

function classify(error: unknown): Failure {
  if (
    error instanceof SyntaxError ||
    (error instanceof Error && error.message.startsWith('Expected JSON response body'))
  )
    return 'not-json';
  if (error instanceof GraphQLError && isObject(error.extensions.response)) return 'http-error';
  return 'unreachable';
}

/**
 * Makes a subgraph that is down, or answers something that is not a GraphQL response (an HTML
 * error page, truncated JSON, the wrong shape), fail as one clear error naming the service,
 * `SERVICE_UNAVAILABLE`, instead of a masked internal error or a crash: the gateway then serves
 * what the other subgraphs answered. Errors that already carry a registered code (a deadline's
 * TIMEOUT, say) are left as they are, and so is a subgraph's refusal (see `refusal`). Nothing else
 * of a failed answer reaches the client or the log.
 */
export function reportSubgraphFailures<Source extends RemoteGraphQLDataSource<never>>(
  source: Source,
  service: string,
  logger: Logger,
): Source {
  const fail = (failure: Failure): never => {
    logger.warn({ service, failure }, 'subgraph failed; its fields are null');
    throw subgraphUnavailable(service);
  };
  const previous = source.didReceiveResponse?.bind(source);
  source.didEncounterError = (error: unknown) => {
    if (
      error instanceof GraphQLError &&
      isKnownCode(error.extensions.code) &&
      !isObject(error.extensions.response)
    )
      throw error;
    const refused = refusal(error);
    if (refused) throw refused;
    fail(classify(error));
  };
  source.didReceiveResponse = async (options) => {
    if (!wellFormed(options.response, options.request.variables?.representations))
      fail('wrong-shape');
    return previous ? previous(options) : options.response;
  };
  return source;
}
