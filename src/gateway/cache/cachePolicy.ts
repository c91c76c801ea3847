import {
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { FieldRule } from '../../privacy/decide/rule.js';
import { ACTIVITY_TIME_FIELDS, CACHE_HINTS, PUBLIC_WRITES, type CacheHints } from './cacheHints.js';

/** Whether an operation's answer to an anonymous caller may be kept and served to others. */
export type Cacheability =
  | {
      kind: 'cacheable';
      /** Seconds: the shortest maxAge of the fields selected. */
      maxAge: number;
      /** The selected fields that some mutation can change (see PUBLIC_WRITES), for invalidation. */
      volatile: readonly string[];
    }
  | { kind: 'uncacheable'; reason: string };

/** Raised at start when the hints table names something that is not public. */
export class CacheHintError extends Error {
  override name = 'CacheHintError';
}

const uncacheable = (reason: string): Cacheability => ({ kind: 'uncacheable', reason });

/** Directives that only pick fields by the variables, which are part of the cache key. */
const KEYED_DIRECTIVES = new Set(['include', 'skip']);

const WRITTEN: ReadonlySet<string> = new Set(Object.values(PUBLIC_WRITES).flat());

/**
 * Refuses a hints table that could cache something confidential: every type must be an object
 * type of the supergraph without a type-wide @confidential, every field must exist and be neither
 * confidential (per the supergraph's directives) nor a patron-activity timestamp.
 */
export function checkHints(
  schema: GraphQLSchema,
  rules: ReadonlyMap<string, FieldRule>,
  hints: CacheHints,
): void {
  const problems: string[] = [];
  const badAge = (age: number) => !Number.isInteger(age) || age <= 0;
  for (const [name, age] of Object.entries(hints.types)) {
    const type = schema.getType(name);
    if (!isObjectType(type)) problems.push(`${name}: not an object type of the supergraph`);
    else if (type.astNode?.directives?.some((d) => d.name.value === 'confidential'))
      problems.push(`${name}: the type is @confidential`);
    if (badAge(age)) problems.push(`${name}: maxAge must be a positive whole number of seconds`);
  }
  for (const [coordinate, age] of Object.entries(hints.fields)) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string | undefined];
    const type = schema.getType(typeName);
    if (!isObjectType(type) || !fieldName || !type.getFields()[fieldName])
      problems.push(`${coordinate}: no such field in the supergraph`);
    if (rules.has(coordinate)) problems.push(`${coordinate}: the field is @confidential`);
    if (ACTIVITY_TIME_FIELDS.has(coordinate))
      problems.push(`${coordinate}: a patron-activity timestamp`);
    if (badAge(age))
      problems.push(`${coordinate}: maxAge must be a positive whole number of seconds`);
  }
  if (problems.length)
    throw new CacheHintError(
      `Response cache hints name what may not be cached:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
}

/**
 * Decides from the schema alone whether an operation is public: a query whose every selected
 * field is listed in the hints (directly or through its type), is not @confidential and is not a
 * patron-activity timestamp. Anything else (a mutation, introspection, an unlisted type, an
 * abstract type, a directive other than @include/@skip) is uncacheable: the check fails closed.
 */
export class CachePolicy {
  readonly #schema: GraphQLSchema;
  readonly #rules: ReadonlyMap<string, FieldRule>;
  readonly #hints: CacheHints;
  /** Analyses per operation of a parsed document (Apollo reuses one document per query text). */
  readonly #memo = new WeakMap<OperationDefinitionNode, Cacheability>();

  constructor(
    schema: GraphQLSchema,
    rules: ReadonlyMap<string, FieldRule>,
    hints: CacheHints = CACHE_HINTS,
  ) {
    checkHints(schema, rules, hints);
    this.#schema = schema;
    this.#rules = rules;
    this.#hints = hints;
  }

  /** The cacheability of `operation`, one of the definitions of `document` (whose fragments it may spread). */
  analyze(document: DocumentNode, operation: OperationDefinitionNode): Cacheability {
    let result = this.#memo.get(operation);
    if (!result) this.#memo.set(operation, (result = this.#analyze(document, operation)));
    return result;
  }

  #analyze(document: DocumentNode, operation: OperationDefinitionNode): Cacheability {
    if (operation.operation !== 'query') return uncacheable(`a ${operation.operation}`);
    if (operation.directives?.length) return uncacheable('operation directives');
    const root = this.#schema.getQueryType();
    if (!root) return uncacheable('no query type');
    const fragments = new Map(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    const state = { maxAge: Number.POSITIVE_INFINITY, volatile: new Set<string>() };
    const refusal = this.#walk(
      operation.selectionSet,
      root,
      fragments,
      new Set(),
      new Set(),
      state,
    );
    if (refusal) return uncacheable(refusal);
    if (!Number.isFinite(state.maxAge) || state.maxAge <= 0)
      return uncacheable('no field with a maxAge');
    return { kind: 'cacheable', maxAge: state.maxAge, volatile: [...state.volatile].sort() };
  }

  /** Walks one selection set; returns why it is not cacheable, or null when it is. */
  #walk(
    selectionSet: SelectionSetNode,
    parent: GraphQLObjectType,
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    spreading: ReadonlySet<string>,
    walked: Set<string>,
    state: { maxAge: number; volatile: Set<string> },
  ): string | null {
    const { types, fields } = this.#hints;
    for (const selection of selectionSet.selections) {
      if (selection.directives?.some((d) => !KEYED_DIRECTIVES.has(d.name.value)))
        return 'a directive other than @include/@skip';
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        if (name.startsWith('__')) return 'introspection';
        const coordinate = `${parent.name}.${name}`;
        const field = parent.getFields()[name];
        if (!field) return `unknown field ${coordinate}`;
        if (this.#rules.has(coordinate)) return `${coordinate} is confidential`;
        if (ACTIVITY_TIME_FIELDS.has(coordinate))
          return `${coordinate} is a patron-activity timestamp`;
        const returned = getNamedType(field.type);
        const composite = isCompositeType(returned);
        // A root field is cached only if listed itself: a new one must not become cacheable by its type.
        const age =
          parent === this.#schema.getQueryType()
            ? fields[coordinate]
            : (fields[coordinate] ?? (composite ? types[returned.name] : types[parent.name]));
        if (age === undefined) return `no cache hint for ${coordinate}`;
        state.maxAge = Math.min(state.maxAge, age);
        if (WRITTEN.has(coordinate)) state.volatile.add(coordinate);
        if (composite) {
          if (!isObjectType(returned) || types[returned.name] === undefined)
            return `${returned.name} is not a public type`;
          if (!selection.selectionSet) return `no selection on ${coordinate}`;
          const refusal = this.#walk(
            selection.selectionSet,
            returned,
            fragments,
            spreading,
            walked,
            state,
          );
          if (refusal) return refusal;
        }
      } else {
        const fragment =
          selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) return 'unknown fragment';
        if (selection.kind === Kind.FRAGMENT_SPREAD && spreading.has(selection.name.value))
          return 'fragment cycle';
        // A named fragment sits on its own type only, so walking it again changes nothing: each is
        // walked once per operation (else fragments spreading each other twice take exponential time).
        if (selection.kind === Kind.FRAGMENT_SPREAD && walked.has(selection.name.value)) continue;
        const condition = fragment.typeCondition
          ? this.#schema.getType(fragment.typeCondition.name.value)
          : parent;
        if (condition !== parent) return 'a fragment on another type';
        const next =
          selection.kind === Kind.FRAGMENT_SPREAD
            ? new Set([...spreading, selection.name.value])
            : spreading;
        if (fragment.directives?.some((d) => !KEYED_DIRECTIVES.has(d.name.value)))
          return 'a directive other than @include/@skip';
        const refusal = this.#walk(fragment.selectionSet, parent, fragments, next, walked, state);
        if (refusal) return refusal;
        if (selection.kind === Kind.FRAGMENT_SPREAD) walked.add(selection.name.value);
      }
    }
    return null;
  }
}
