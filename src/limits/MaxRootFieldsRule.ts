import type { ASTVisitor, ValidationContext, ValidationRule } from 'graphql';
import type { RefusalSink } from './refusal.js';
import { rootFieldCounter } from './rootFieldCounter.js';

/**
 * Refuses an operation selecting more than `limit` root fields, counting those reached through
 * fragments and every alias of one field: each root field is its own resolver call (and at the
 * gateway, often its own subgraph fetch), so aliases of one cheap field can still flood a service.
 */
export function MaxRootFieldsRule(limit: number, report: RefusalSink): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const count = rootFieldCounter(context, (name) => name !== '__typename');
    return {
      OperationDefinition(operation) {
        const fields = count(operation.selectionSet);
        if (fields > limit) report({ limit: 'root fields', value: limit, figure: fields });
        return false;
      },
    };
  };
}
