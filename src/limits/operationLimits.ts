import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  Lexer,
  NoFragmentCyclesRule,
  parse,
  Source,
  TokenKind,
  validate,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type Token,
} from 'graphql';
import { CostLimitRule } from './CostLimitRule.js';
import { MaxCardLoginsRule } from './MaxCardLoginsRule.js';
import { MaxEntityRepresentationsRule } from './MaxEntityRepresentationsRule.js';
import { MaxRootFieldsRule } from './MaxRootFieldsRule.js';
import { refusal } from '../errors/httpRefusal.js';
import type { OperationRequest } from '../http/serve.js';
import type { Logger } from '../log/logger.js';
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

/**
 * How far past the limit tokens are counted: enough to say how far over an operation is, while a
 * megabyte of tokens costs no more to refuse than a few thousand.
 */
const TOKEN_COUNT_FACTOR = 4;

/**
 * Counts the tokens of a document, up to `stopAfter`, without building it; null when the counted
 * part does not even lex.
 */
function countTokens(query: string, stopAfter: number): number | null {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (count <= stopAfter) {
      const token = lexer.advance();
      if (token.kind === TokenKind.EOF) break;
      // The lexer links each token to the one before; unlinked, they are never all held at once.
      (token as { prev: Token | null }).prev = null;
      count++;
    }
  } catch {
    return null;
  }
  return count;
}

/** graphql-armor's rules report "... found N."; the figure is taken from there. */
const armorFigure = (error: GraphQLError): number =>
  Number(/found (\d+)/.exec(error.message)?.[1] ?? NaN);

const armor = (limit: LimitName, value: number, report: RefusalSink) => ({
  n: value,
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [
    (_context: unknown, error: GraphQLError) =>
      report({ limit, value, figure: armorFigure(error) }),
  ],
  onAccept: [],
});

/** What an operation's text alone decides, kept for the next request with the same text. */
interface Analysis {
  document: DocumentNode;
  /** The first limit the text exceeds whatever its variables (tokens, cycle, depth, aliases, ...). */
  refusal: Refusal | null;
  /** Whether a variable sizes a list (`first: $n`, `representations: $r`), so the cost needs the request's values. */
  sizedByVariables: boolean;
}

const SIZE_ARGUMENTS = new Set(['first', 'last', 'representations']);

/**
 * What no variable changes: tokens (by lexing alone, before any tree is built, and only so far past
 * the limit), a fragment cycle,
 * then depth, aliases and directives (graphql-armor's rules), root fields and card logins in one pass. Null for
 * text that does not lex or parse: the GraphQL server answers it with the parser's message.
 */
function analyze(
  schema: GraphQLSchema,
  limits: OperationLimits,
  query: string,
): Analysis | Refusal | null {
  const stopAfter = limits.tokens * TOKEN_COUNT_FACTOR;
  const tokens = countTokens(query, stopAfter);
  if (tokens === null) return null;
  if (tokens > stopAfter)
    return { limit: 'tokens', value: limits.tokens, figure: stopAfter, moreThan: true };
  if (tokens > limits.tokens) return { limit: 'tokens', value: limits.tokens, figure: tokens };
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true, maxTokens: limits.tokens });
  } catch {
    return null;
  }
  const cycle = validate(schema, document, [NoFragmentCyclesRule], { maxErrors: 1 })[0];
  if (cycle) {
    return {
      limit: 'depth',
      value: limits.depth,
      figure: Infinity,
      reason: cycle.message
        .replace(/\.$/, '')
        .replace(/^Cannot spread/, 'a fragment cycle: cannot spread'),
    };
  }
  const refusals: Refusal[] = [];
  const report: RefusalSink = (refusal) => void refusals.push(refusal);
  validate(schema, document, [
    maxDepthRule({
      ...armor('depth', limits.depth, report),
      flattenFragments: true,
      ignoreIntrospection: true,
    }),
    maxAliasesRule({ ...armor('aliases', limits.aliases, report), allowList: [] }),
    maxDirectivesRule(armor('directives', limits.directives, report)),
    MaxRootFieldsRule(limits.rootFields, report),
    MaxCardLoginsRule(report),
  ]);
  let sizedByVariables = false;
  visit(document, {
    Argument(node) {
      if (SIZE_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE)
        sizedByVariables = true;
    },
  });
  return { document, refusal: refusals[0] ?? null, sizedByVariables };
}

/** The cost and `_entities` size of a parsed operation with the request's variables. */
function measure(
  schema: GraphQLSchema,
  limits: OperationLimits,
  document: DocumentNode,
  variables: Record<string, unknown>,
): Refusal | null {
  const refusals: Refusal[] = [];
  const report: RefusalSink = (refusal) => void refusals.push(refusal);
  validate(schema, document, [
    MaxEntityRepresentationsRule(limits.entityRepresentations, variables, report),
    CostLimitRule(
      { limit: limits.cost, listSize: limits.listSize, weights: limits.fieldWeights, variables },
      report,
    ),
  ]);
  return refusals[0] ?? null;
}

const isRefusal = (value: Analysis | Refusal): value is Refusal => 'limit' in value;

/** How many admitted operation texts a checker remembers, and the longest it keeps. */
const CACHE_ENTRIES = 500;
const CACHE_TEXT_LENGTH = 20_000;

/**
 * Checks operations against `limits` before anything runs them, cheapest first: tokens (by lexing
 * alone), a fragment cycle, then depth, aliases, directives, root fields and card logins, then entity
 * representations and cost with the request's variables. `check` returns the first limit
 * exceeded, or null to admit. Text that does not parse, or a request without a query, is admitted
 * here: the GraphQL server refuses it with the parser's message, its parse bounded by the token
 * limit, or (without a query) with its own error. No request reaches this check with a hash alone:
 * the gateway first replaces a persisted query's hash by its text (or refuses it), so a persisted
 * operation is measured like a sent one, and subgraphs do not take persisted queries. The verdict
 * on an admitted text is remembered (a client repeats its operations), and its cost recomputed
 * only when a variable sizes a list.
 */
export class OperationChecker {
  private readonly admitted = new Map<
    string,
    { analysis: Analysis; costRefusal: Refusal | null | undefined }
  >();
  /** Operations known before any request (a trusted-documents manifest): analyzed once, never evicted. */
  private readonly pinned = new Map<
    string,
    { analysis: Analysis; costRefusal: Refusal | null | undefined }
  >();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: OperationLimits,
  ) {}

  /** The first limit `request` exceeds, or null. */
  check(request: OperationRequest): Refusal | null {
    if (typeof request.query !== 'string') return null;
    const variables =
      request.variables && typeof request.variables === 'object'
        ? (request.variables as Record<string, unknown>)
        : {};
    let known = this.pinned.get(request.query);
    if (known) {
      // Analyzed at start-up: the cost with these variables is all that is left to measure.
    } else if ((known = this.admitted.get(request.query))) {
      this.admitted.delete(request.query); // most recently used last
      this.admitted.set(request.query, known);
    } else {
      const analysis = analyze(this.schema, this.limits, request.query);
      if (analysis === null || isRefusal(analysis)) return analysis;
      if (analysis.refusal) return analysis.refusal;
      known = { analysis, costRefusal: undefined };
      if (request.query.length <= CACHE_TEXT_LENGTH) {
        this.admitted.set(request.query, known);
        if (this.admitted.size > CACHE_ENTRIES)
          this.admitted.delete(this.admitted.keys().next().value!);
      }
    }
    if (known.analysis.sizedByVariables)
      return measure(this.schema, this.limits, known.analysis.document, variables);
    if (known.costRefusal === undefined)
      known.costRefusal = measure(this.schema, this.limits, known.analysis.document, {});
    return known.costRefusal;
  }

  /**
   * Analyzes an operation known in advance and keeps its analysis for good, so a request carrying
   * it is measured without another parse (only its cost, when a variable sizes a list). Returns
   * the first limit it exceeds with no variables, or null; an operation that does not parse, or
   * exceeds a limit, is not kept.
   */
  pin(query: string): Refusal | 'unparsable' | null {
    const analysis = analyze(this.schema, this.limits, query);
    if (analysis === null) return 'unparsable';
    if (isRefusal(analysis)) return analysis;
    if (analysis.refusal) return analysis.refusal;
    const costRefusal = measure(this.schema, this.limits, analysis.document, {});
    if (costRefusal) return costRefusal;
    this.pinned.set(query, { analysis, costRefusal });
    return null;
  }
}

/** Checks one operation against `limits` (see {@link OperationChecker}). */
export function checkOperation(
  schema: GraphQLSchema,
  limits: OperationLimits,
  request: OperationRequest,
): Refusal | null {
  return new OperationChecker(schema, limits).check(request);
}

/**
 * The `limitOperation` hook of `serveGraphQL` for one schema: refuses an operation over `limits` with HTTP
 * 400 and one OPERATION_TOO_COMPLEX error, once the request is admitted (at the gateway: its caller
 * authenticated and its rate limit taken; at a subgraph: its signature checked) and before its
 * context is built or the operation planned or run. Each refusal is logged at warn with the limit
 * and figure, so an operator sees what is refused and can tune it; never the operation's text or
 * variables, which may carry a card number and PIN. `checker` may come with operations pinned in
 * advance (a trusted-documents manifest).
 */
export function limitGuard(
  schema: GraphQLSchema,
  limits: OperationLimits,
  logger?: Logger,
  checker: OperationChecker = new OperationChecker(schema, limits),
): (operation: OperationRequest) => void {
  return (operation) => {
    const found = checker.check(operation);
    if (!found) return;
    logger?.warn(
      {
        limit: found.limit,
        value: found.value,
        figure: found.figure,
        ...(found.moreThan ? { moreThan: true } : {}),
      },
      'operation refused',
    );
    throw refusal('OPERATION_TOO_COMPLEX', refusalError(found).message);
  };
}
