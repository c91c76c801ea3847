import {
  execute,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';

// The executor interface as @apollo/server declares it (its own package is not a dependency here).
type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type GatewayGraphQLRequestContext = Parameters<GatewayExecutor>[0];

/**
 * Compiled operations kept per subgraph. The gateway's query planner sends a bounded set of
 * distinct fetches; the least recently used compilation is dropped beyond this.
 */
export const COMPILED_OPERATIONS = 500;

/** A compiled operation, or null where graphql-jit refused it (then graphql-js runs it). */
type Compiled = CompiledQuery | null;

/** A least-recently-used map: a hit moves the entry to the end, the first entry is the oldest. */
class Lru<V> {
  readonly #entries = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity)
      this.#entries.delete(this.#entries.keys().next().value as string);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * graphql-jit reports errors as its own GraphQLError (a subclass in name only): no `extensions`
 * where the original error had none, which Apollo Server's error formatting reads. Each is
 * rebuilt the way graphql-js's locatedError builds it: an error that already carries a path is
 * reported as it is, anything else with its message, path, locations and original error (whose
 * extensions, the code included, it takes). The masking in src/errors/mask.ts sees the same thing.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const original = error.originalError ?? undefined;
  if (original instanceof GraphQLError && Array.isArray(original.path)) return original;
  const rebuilt = new GraphQLError(error.message, {
    ...(error.path ? { path: error.path } : {}),
    ...(original ? { originalError: original } : {}),
  });
  // graphql-js computes locations from the field's nodes; graphql-jit computed the same from them.
  (rebuilt as { locations: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

function normalized(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map(asGraphQLJsError) };
}

/**
 * Runs operations with graphql-jit: each distinct document and operation name is compiled once
 * (after Apollo Server parsed and validated it) into a function that calls the schema's own
 * resolvers, the privacy guards included, with the same arguments, context and `info` (path
 * included) as graphql-js. Only queries are compiled; a mutation, or an operation graphql-jit
 * cannot compile, runs on graphql-js `execute` as before.
 */
export function jitExecutor(
  schema: GraphQLSchema,
  capacity = COMPILED_OPERATIONS,
): {
  executor: GatewayExecutor;
  compiled: () => number;
} {
  const cache = new Lru<Compiled>(capacity);
  const compile = (document: DocumentNode, operationName: string | undefined): Compiled => {
    // Errors are stack-free here: they are rebuilt as graphql-js errors just after.
    const compiled = compileQuery(schema, document, operationName, {
      disablingCapturingStackErrors: true,
    });
    return isCompiledQuery(compiled) ? compiled : null;
  };
  const executor: GatewayExecutor = async (requestContext: GatewayGraphQLRequestContext) => {
    const { document, request, operation, queryHash } = requestContext;
    const contextValue = requestContext.context;
    const operationName = request.operationName ?? undefined;
    const interpreted = () =>
      execute({ schema, document, contextValue, variableValues: request.variables, operationName });
    // No operation resolved (several in the document and no name): graphql-js says why, as before.
    if (operation?.operation !== 'query') return interpreted();
    const key = `${queryHash}\n${operationName ?? ''}`;
    let compiled = cache.get(key);
    if (compiled === undefined) cache.set(key, (compiled = compile(document, operationName)));
    if (!compiled) return interpreted();
    const result = await compiled.query(undefined, contextValue, request.variables);
    // Variables that do not coerce: nothing ran; graphql-js words the refusal as it always has.
    if (!('data' in result)) return interpreted();
    return normalized(result);
  };
  return { executor, compiled: () => cache.size };
}

/**
 * The executor handed to Apollo Server through its `gateway` option, the way it accepts an
 * executor of one's own: the schema is this subgraph's, loaded once and never updated.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const { executor } = jitExecutor(schema);
  const listeners = new Set<Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0]>();
  return {
    // Apollo Server learns the schema it parses and validates against from this one call.
    async load() {
      for (const listener of listeners) listener({ apiSchema: schema, coreSupergraphSdl: '' });
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      listeners.add(callback);
      return () => void listeners.delete(callback);
    },
    async stop() {},
  };
}
