import type { ASTVisitor, ValidationContext, ValidationRule } from 'graphql';
import type { RefusalSink } from './refusal.js';
import { rootFieldCounter } from './rootFieldCounter.js';

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
    const count = rootFieldCounter(context, (name) => name === CARD_LOGIN_FIELD);
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
