import {
  Kind,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { RefusalSink } from './refusal.js';

/**
 * Refuses an operation selecting more than `limit` root fields, counting those reached through
 * fragments and every alias of one field: each root field is its own resolver call (and at the
 * gateway, often its own subgraph fetch), so aliases of one cheap field can still flood a service.
 */
export function MaxRootFieldsRule(limit: number, report: RefusalSink): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragmentCounts = new Map<string, number>();
    const walking = new Set<string>();

    const count = (set: SelectionSetNode): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) total += selection.name.value === '__typename' ? 0 : 1;
        else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
        else total += spread(selection.name.value);
      }
      return total;
    };

    const spread = (name: string): number => {
      const known = fragmentCounts.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      if (!fragment || walking.has(name)) return 0; // cycles are refused before this rule runs
      walking.add(name);
      const total = count(fragment.selectionSet);
      walking.delete(name);
      fragmentCounts.set(name, total);
      return total;
    };

    return {
      OperationDefinition(operation) {
        const fields = count(operation.selectionSet);
        if (fields > limit) report({ limit: 'root fields', value: limit, figure: fields });
        return false;
      },
    };
  };
}
