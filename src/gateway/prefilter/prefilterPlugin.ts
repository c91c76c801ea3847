import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  buildASTSchema,
  getOperationAST,
  parse,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import type { FieldRule } from '../../privacy/decide/rule.js';
import { collectRules } from '../../privacy/schema/rules.js';
import type { GatewayContext } from '../context.js';
import { operationPruner, type PrunedOperation } from './pruneOperation.js';
import { restoreRedactions } from './restoreRedactions.js';

/**
 * Reads the privacy rules from the supergraph SDL: the gateway's API schema has the composed
 * directives stripped, so the SDL is the only place they survive.
 */
export function rulesFromSupergraph(supergraphSdl: string): {
  schema: GraphQLSchema;
  rules: Map<string, FieldRule>;
} {
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  return { schema, rules: collectRules(schema) };
}

/**
 * The gateway pre-filter (policy #1 and #2: do not even transmit): before the query is planned it
 * removes every confidential field the caller can have no exception for, so no subgraph is asked
 * for it, and restores those fields as redactions in the response.
 */
export function prefilterPlugin(supergraphSdl: string): ApolloServerPlugin<GatewayContext> {
  const { schema, rules } = rulesFromSupergraph(supergraphSdl);
  const prune = operationPruner(schema, rules);
  return {
    async requestDidStart() {
      let original: { document: DocumentNode; pruned: PrunedOperation } | null = null;
      return {
        async didResolveOperation(requestContext) {
          const pruned = prune(requestContext.document, requestContext.contextValue.caller);
          if (pruned.dropped.size === 0) return;
          original = { document: requestContext.document, pruned };
          // The gateway caches query plans by queryHash: key the pruned plan by what was dropped.
          const mutable = requestContext as {
            document: DocumentNode;
            queryHash: string;
            operation: unknown;
          };
          mutable.queryHash = createHash('sha256')
            .update(requestContext.queryHash)
            .update(`\0${pruned.signature}`)
            .digest('hex');
          mutable.document = pruned.document;
          mutable.operation = getOperationAST(
            pruned.document,
            requestContext.operationName ?? undefined,
          );
        },
        async willSendResponse({ response, operationName }) {
          if (!original || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (!result.data) return;
          const restored = restoreRedactions(
            original.document,
            operationName,
            original.pruned.dropped,
            result.data as never,
          );
          result.data = restored.data;
          result.errors = [...restored.errors, ...(result.errors ?? [])];
        },
      };
    },
  };
}
