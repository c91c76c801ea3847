import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../gateway/context.js';

/**
 * Splits an `_entities` fetch carrying more than `max` representations into fetches of at most
 * `max` each, sent together, and joins their answers in order (error paths moved to their index).
 * Subgraphs refuse larger calls, so a long list of loans still reaches their items.
 */
export class EntityBatches implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly inner: GraphQLDataSource<GatewayContext>,
    private readonly max: number,
  ) {}

  /** Sends the fetch as it is, or in slices when it carries too many representations. */
  async process(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
  ): Promise<GatewayGraphQLResponse> {
    const variables = options.request.variables;
    const all = variables?.representations;
    if (!Array.isArray(all) || all.length <= this.max) return this.inner.process(options);
    const slices: unknown[][] = [];
    for (let start = 0; start < all.length; start += this.max)
      slices.push(all.slice(start, start + this.max));
    const answers = await Promise.all(
      slices.map((representations) =>
        this.inner.process({
          ...options,
          request: {
            ...options.request,
            http: undefined,
            variables: { ...variables, representations },
          },
        }),
      ),
    );
    const entities: unknown[] = [];
    const errors: GraphQLFormattedError[] = [];
    answers.forEach((answer, i) => {
      const offset = i * this.max;
      const got = answer.data?._entities;
      entities.push(...(Array.isArray(got) ? got : new Array<null>(slices[i]!.length).fill(null)));
      for (const error of answer.errors ?? []) {
        const path = error.path;
        if (path?.[0] === '_entities' && typeof path[1] === 'number')
          errors.push({ ...error, path: ['_entities', path[1] + offset, ...path.slice(2)] });
        else errors.push(error);
      }
    });
    return {
      data: { _entities: entities },
      ...(errors.length ? { errors } : {}),
      ...(answers[0]?.http ? { http: answers[0].http } : {}),
    };
  }
}
