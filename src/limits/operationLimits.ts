import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, Lexer, NoFragmentCyclesRule, parse, Source, TokenKind, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { costLimitRule } from './CostLimitRule.js';
import { maxEntityRepresentationsRule } from './MaxEntityRepresentationsRule.js';
import { maxRootFieldsRule } from './MaxRootFieldsRule.js';
import { HttpRefusal, type OperationRequest } from '../http/serve.js';
import { refusalError, type LimitName, type Refusal, type RefusalSink } from './refusal.js';

/** The limits every operation is held to, at the gateway and (with headroom) in each subgraph. */
export interface OperationLimits {
  depth: number;
  aliases: number;
  /** Directives in the whole operation, so on any one field too. */
  directives: number;
  tokens: number;
  rootFields: number;
  cost: number;
  /** The size the cost assumes for a list that no `first`/`last` bounds. */
  listSize: number;
  /** Extra cost of expensive fields, by `Type.field`. */
  fieldWeights: Readonly<Record<string, number>>;
  /** The most representations one `_entities` call may carry. */
  entityRepresentations: number;
}

/**
 * A subgraph's limits: the gateway's, with room for what its query plan adds to an operation
 * (the `_entities` wrapper adds a level; key fields, `__typename` and inline fragments add tokens,
 * fields and cost). A subgraph refuses only what no admitted gateway operation produces.
 */
export function subgraphLimits(limits: OperationLimits): OperationLimits {
  return {
    ...limits,
    depth: limits.depth + 1,
    aliases: limits.aliases * 2,
    directives: limits.directives * 2,
    tokens: limits.tokens * 2,
    rootFields: limits.rootFields * 2,
    cost: limits.cost * 2,
  };
}

/** Counts the tokens of a document without building it; null when it does not even lex. */
function countTokens(query: string): number | null {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    return null;
  }
  return count;
}

/** graphql-armor's rules report "... found N."; the figure is taken from there. */
const armorFigure = (error: GraphQLError): number => Number(/found (\d+)/.exec(error.message)?.[1] ?? NaN);

const armor = (limit: LimitName, value: number, report: RefusalSink) => ({
  n: value,
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [(_context: unknown, error: GraphQLError) => report({ limit, value, figure: armorFigure(error) })],
  onAccept: [],
});

/**
 * Checks an operation against `limits` before anything runs it, cheapest first: its tokens (by
 * lexing alone), then a fragment cycle, then depth, aliases, directives, root fields, entity
 * representations and cost in one pass. Returns the first limit exceeded, or null to admit the
 * operation. Text that does not parse, or a request without a query, is admitted here: the GraphQL
 * server refuses it with the parser's message, and parsing is bounded by the token limit.
 */
export function checkOperation(schema: GraphQLSchema, limits: OperationLimits, request: OperationRequest): Refusal | null {
  if (typeof request.query !== 'string') return null;
  const tokens = countTokens(request.query);
  if (tokens === null) return null;
  if (tokens > limits.tokens) return { limit: 'tokens', value: limits.tokens, figure: tokens };
  let document: DocumentNode;
  try {
    document = parse(request.query, { noLocation: true, maxTokens: limits.tokens });
  } catch {
    return null;
  }
  const cycle = validate(schema, document, [NoFragmentCyclesRule], { maxErrors: 1 })[0];
  if (cycle) {
    return { limit: 'depth', value: limits.depth, figure: Infinity, reason: cycle.message.replace(/\.$/, '').replace(/^Cannot spread/, 'a fragment cycle: cannot spread') };
  }
  const variables = request.variables && typeof request.variables === 'object' ? (request.variables as Record<string, unknown>) : {};
  const refusals: Refusal[] = [];
  const report: RefusalSink = (refusal) => void refusals.push(refusal);
  const rules: ValidationRule[] = [
    maxDepthRule({ ...armor('depth', limits.depth, report), flattenFragments: true, ignoreIntrospection: true }),
    maxAliasesRule({ ...armor('aliases', limits.aliases, report), allowList: [] }),
    maxDirectivesRule(armor('directives', limits.directives, report)),
    maxRootFieldsRule(limits.rootFields, report),
    maxEntityRepresentationsRule(limits.entityRepresentations, variables, report),
    costLimitRule({ limit: limits.cost, listSize: limits.listSize, weights: limits.fieldWeights, variables }, report),
  ];
  validate(schema, document, rules);
  return refusals[0] ?? null;
}

/**
 * The `admit` hook of `serveGraphQL` for one schema: refuses an operation over `limits` with HTTP
 * 400 and one OPERATION_TOO_COMPLEX error, before the request is authenticated, planned or run.
 */
export function limitGuard(schema: GraphQLSchema, limits: OperationLimits): (operation: OperationRequest) => void {
  return (operation) => {
    const refusal = checkOperation(schema, limits, operation);
    if (refusal) throw new HttpRefusal(400, 'OPERATION_TOO_COMPLEX', refusalError(refusal).message);
  };
}
