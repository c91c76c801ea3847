import { Kind, type ASTVisitor, type ValidationContext, type ValidationRule } from 'graphql';
import type { RefusalSink } from './refusal.js';

/**
 * Refuses an `_entities` call carrying more than `limit` representations (a subgraph's rule: the
 * gateway splits its own fetches below it). Each representation is a lookup and a privacy decision,
 * and a signed call with a million of them must be as bounded as any other operation.
 */
export function MaxEntityRepresentationsRule(
  limit: number,
  variables: Readonly<Record<string, unknown>>,
  report: RefusalSink,
): ValidationRule {
  return (_context: ValidationContext): ASTVisitor => ({
    Field(field) {
      if (field.name.value !== '_entities') return;
      const value = field.arguments?.find((a) => a.name.value === 'representations')?.value;
      let count = 0;
      if (value?.kind === Kind.LIST) count = value.values.length;
      else if (value?.kind === Kind.VARIABLE) {
        const given = variables[value.name.value];
        count = Array.isArray(given) ? given.length : 0;
      }
      if (count > limit) report({ limit: 'entity representations', value: limit, figure: count });
    },
  });
}
