import { ERRORS } from '../errors/codes.js';
import type { GraphQLError } from 'graphql';

/** A limit an operation can exceed, named as its environment variable names it. */
export type LimitName =
  | 'depth'
  | 'aliases'
  | 'directives'
  | 'tokens'
  | 'root fields'
  | 'cost'
  | 'entity representations'
  | 'card logins';

/**
 * Which environment variable sets each limit: a refusal names it, so the reader knows what to
 * change. A fixed limit names the rule instead.
 */
export const LIMIT_VARIABLES: Record<LimitName, string> = {
  depth: 'LIMIT_DEPTH',
  aliases: 'LIMIT_ALIASES',
  directives: 'LIMIT_DIRECTIVES',
  tokens: 'LIMIT_TOKENS',
  'root fields': 'LIMIT_ROOT_FIELDS',
  cost: 'LIMIT_COST',
  'entity representations': 'LIMIT_ENTITY_REPRESENTATIONS',
  'card logins': 'one authenticateWithCard per operation',
};

/** One exceeded limit: which, its configured value, and the operation's figure (Infinity: unbounded). */
export interface Refusal {
  limit: LimitName;
  value: number;
  figure: number;
  /** Why the figure is what it is, where the number alone does not say (a fragment cycle). */
  reason?: string;
  /** The figure is a lower bound: counting stopped there (tokens far over their limit). */
  moreThan?: boolean;
}

/** Where a rule hands an exceeded limit; the first one reported is the one answered. */
export type RefusalSink = (refusal: Refusal) => void;

const show = (n: number): string =>
  !Number.isFinite(n)
    ? 'unbounded'
    : n >= 1e15
      ? n.toExponential(1)
      : Math.round(n).toLocaleString('en-US');

/**
 * The one error a refused operation gets (CONTRACT.md: OPERATION_TOO_COMPLEX, HTTP 400): it names
 * the limit, its value and the operation's figure, and never echoes the operation itself.
 */
export function refusalError(refusal: Refusal): GraphQLError {
  const why = refusal.reason ? ` (${refusal.reason})` : '';
  return ERRORS.OPERATION_TOO_COMPLEX.err(
    `Operation too complex: ${refusal.limit} ${refusal.moreThan ? 'more than ' : ''}${show(refusal.figure)}${why} is over the limit of ${show(refusal.value)} (${LIMIT_VARIABLES[refusal.limit]}).`,
  );
}
