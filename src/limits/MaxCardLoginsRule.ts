import {
  Kind,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { RefusalSink } from './refusal.js';

/** The mutation that checks a card's PIN: each call is a deliberately slow key derivation. */
const CARD_LOGIN_FIELD = 'authenticateWithCard';

/** How many card logins one operation may carry. */
export const MAX_CARD_LOGINS = 1;

/**
 * Refuses an operation with more than one `authenticateWithCard` root field, counting aliases and
 * those reached through fragments: the rate limit counts HTTP requests, and each login is a slow
 * PIN derivation even when refused, so one request must not carry hundreds of guesses.
 */
export function MaxCardLoginsRule(report: RefusalSink): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const walking = new Set<string>();

    const count = (set: SelectionSetNode): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD)
          total += selection.name.value === CARD_LOGIN_FIELD ? 1 : 0;
        else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
        else {
          const fragment = context.getFragment(selection.name.value);
          if (!fragment || walking.has(fragment.name.value)) continue; // cycles are refused before this rule runs
          walking.add(fragment.name.value);
          total += count(fragment.selectionSet);
          walking.delete(fragment.name.value);
        }
      }
      return total;
    };

    return {
      OperationDefinition(operation) {
        if (operation.operation !== 'mutation') return false;
        const logins = count(operation.selectionSet);
        if (logins > MAX_CARD_LOGINS)
          report({ limit: 'card logins', value: MAX_CARD_LOGINS, figure: logins });
        return false;
      },
    };
  };
}
