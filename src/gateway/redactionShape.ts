import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { formattedRedaction } from '../errors/codes.js';
import type { GatewayContext } from './context.js';

/**
 * Gives every redaction the exact shape of CONTRACT.md, whichever subgraph raised it: the fixed
 * message, the path, and `extensions.code` alone (the gateway would add the subgraph's name).
 */
export function redactionShapePlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map(
            (error): GraphQLFormattedError =>
              error.extensions?.code === 'PRIVACY_REDACTED'
                ? formattedRedaction(error.path)
                : error,
          );
        },
      };
    },
  };
}
