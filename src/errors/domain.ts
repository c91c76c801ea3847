import type { ErrorCode } from './codes.js';

/**
 * What the domain (stores, registers, card login) refuses, in its own terms and without GraphQL:
 * a store can be called and tested as a library. The message is written for the caller and
 * carries nothing confidential; the GraphQL edge gives each kind its registered code
 * (`DOMAIN_CODES`, applied by `maskErrors` to whatever a resolver threw).
 */
export abstract class DomainError extends Error {
  /** What the refusal means to the caller; `DOMAIN_CODES` gives its error code. */
  abstract readonly kind: DomainErrorKind;
}

/** The kinds of refusal the domain raises. */
export type DomainErrorKind = 'invalid-input' | 'not-found' | 'not-permitted';

/** The input breaks a rule of the domain (no such patron, already on loan, a bad date ...). */
export class InvalidInput extends DomainError {
  readonly kind = 'invalid-input';
  override name = 'InvalidInput';
}

/** A public thing named by the caller does not exist (never used where existence is confidential). */
export class NotFound extends DomainError {
  readonly kind = 'not-found';
  override name = 'NotFound';
}

/** The domain does not allow this caller, or this deployment, to do it. */
export class NotPermitted extends DomainError {
  readonly kind = 'not-permitted';
  override name = 'NotPermitted';
}

/** The registered code of each kind of domain error. */
export const DOMAIN_CODES = {
  'invalid-input': 'BAD_USER_INPUT',
  'not-found': 'NOT_FOUND',
  'not-permitted': 'FORBIDDEN',
} as const satisfies Record<DomainErrorKind, ErrorCode>;
