import fs from 'node:fs';
import {
  astFromValue,
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { PERSONA_PATRONS } from '../../../src/dev/personas.js';
import type { Canary } from './canary.js';
import type { GraphRequest } from './client.js';
import type { Random } from './random.js';

/**
 * Random operations over the graph's API schema, read from the committed supergraph: selections
 * of any field at any level (bounded depth), aliases, named and inline fragments, `@include` and
 * `@skip`, arguments as literals or variables, several root fields. Arguments are drawn from the
 * canary's ids (and the personas', and unknown ones), so operations keep reaching the canary.
 */

/** The committed supergraph, whose API part the operations are generated from. */
export const SUPERGRAPH_PATH = new URL('../../../schema/supergraph.graphql', import.meta.url);

/**
 * The API schema: the supergraph read as plain SDL. Its federation types (`join__*`, `link__*`)
 * are unreachable from Query and Mutation, so the generator never selects them.
 */
export function loadApiSchema(sdl = fs.readFileSync(SUPERGRAPH_PATH, 'utf8')): GraphQLSchema {
  return buildSchema(sdl, { assumeValidSDL: true });
}

/** The ids operations draw their arguments from, the canary's first. */
export interface Targets {
  patronIds: string[];
  loanIds: string[];
  holdIds: string[];
  registrationIds: string[];
  itemIds: string[];
  workIds: string[];
  eventIds: string[];
  branchIds: string[];
  cardNumbers: string[];
}

/** The canary's ids, weighted up, plus a persona's and ids that exist nowhere. */
export function targetsFor(canary: Canary): Targets {
  const c = canary;
  return {
    patronIds: [
      c.patronId,
      c.patronId,
      c.patronId,
      PERSONA_PATRONS.patron.id,
      PERSONA_PATRONS.minor.id,
      'pat_000000000000',
    ],
    loanIds: [c.loanId, c.loanId, '1', '999999999'],
    holdIds: [c.holdId, '1'],
    registrationIds: [c.registrationId, '1'],
    itemIds: [c.itemId, c.itemId, 'it_1', 'it_nope'],
    workIds: [c.loanWorkId, c.holdWorkId, 'wk_1', 'wk_nope'],
    eventIds: [c.eventId, c.eventId, 'ev_1', 'ev_nope'],
    branchIds: [c.eventBranchId, c.homeBranchId, 'br_01', 'br_nope'],
    cardNumbers: [
      c.values.cardNumber,
      c.values.cardNumber,
      PERSONA_PATRONS.minor.cardNumber,
      '29010000000000',
    ],
  };
}

/** Bounds of the generated operations. */
export interface GeneratorOptions {
  /** Levels of object fields below the root field (a root field's own selection is level 1). */
  maxDepth: number;
  /** Share of operations that are one of the allowed mutations. */
  mutationShare: number;
}

/** Modest bounds: deep enough to cross every subgraph twice, far below any operation limit. */
export const DEFAULT_GENERATOR_OPTIONS: GeneratorOptions = { maxDepth: 4, mutationShare: 0.06 };

/** Weights of the root fields: the ones that reach a patron are drawn more often. */
const QUERY_WEIGHTS: Record<string, number> = {
  patron: 8,
  me: 3,
  loans: 4,
  event: 6,
  events: 2,
  disclosures: 3,
  work: 1,
  works: 1,
  item: 1,
  branches: 0.5,
  circulationStats: 0.5,
  eventStats: 0.5,
};
/**
 * The mutations the fuzz sends: ones that answer about the canary's loan and card without taking
 * the canary's activity away (the canary's item is on loan, so a checkout of it fails; renewals
 * stop at the limit; a wrong PIN only counts towards the card's lock).
 */
const MUTATION_WEIGHTS: Record<string, number> = {
  renewLoan: 2,
  checkout: 2,
  authenticateWithCard: 1,
};

type ArgumentChoice = (rng: Random, t: Targets) => unknown;
const optional =
  (p: number, choose: ArgumentChoice): ArgumentChoice =>
  (rng, t) =>
    rng.chance(p) ? choose(rng, t) : undefined;
const months = ['2026-01', '2026-06', '2026-09', '2026-10', '2026-11'];

/** Argument values by coordinate; any other argument is drawn from its type (see `fromType`). */
const ARGUMENTS: Record<string, ArgumentChoice> = {
  'Query.works.search': optional(0.3, (rng) => rng.pick(['the', 'history', 'Quoxtl', 'a'])),
  'Query.works.first': (rng) => rng.int(1, 4),
  'Query.works.after': () => undefined,
  'Query.work.id': (rng, t) => rng.pick(t.workIds),
  'Query.item.id': (rng, t) => rng.pick(t.itemIds),
  'Query.item.barcode': () => undefined,
  'Query.patron.id': (rng, t) => rng.pick(t.patronIds),
  'Query.loans.first': (rng) => rng.int(1, 5),
  'Query.loans.after': () => undefined,
  'Query.circulationStats.from': (rng) => rng.pick(months),
  'Query.circulationStats.to': () => '2026-11',
  'Query.eventStats.from': (rng) => rng.pick(months),
  'Query.eventStats.to': () => '2026-11',
  'Query.disclosures.patronId': optional(0.7, (rng, t) => rng.pick(t.patronIds)),
  'Query.disclosures.principal': optional(0.2, () => 'staff:desk-lakewood'),
  'Query.disclosures.from': () => undefined,
  'Query.disclosures.to': () => undefined,
  'Query.disclosures.after': () => undefined,
  'Query.disclosures.first': (rng) => rng.int(1, 5),
  'Query.events.from': () => undefined,
  'Query.events.branchId': optional(0.6, (rng, t) => rng.pick(t.branchIds)),
  'Query.events.first': (rng) => rng.int(1, 5),
  'Query.event.id': (rng, t) => rng.pick(t.eventIds),
  'Patron.disclosures.first': (rng) => rng.int(1, 5),
  'Mutation.renewLoan.loanId': (rng, t) => rng.pick(t.loanIds),
  'Mutation.checkout.itemId': (_, t) => t.itemIds[0],
  'Mutation.checkout.cardNumber': optional(0.7, (rng, t) => rng.pick(t.cardNumbers)),
  'Mutation.authenticateWithCard.cardNumber': (rng, t) => rng.pick(t.cardNumbers),
  'Mutation.authenticateWithCard.pin': (rng) => rng.pick(['0000', '1234', '99999999']),
};

/**
 * Weights of fields in a selection: the ones that lead to a patron or carry a patron's value are
 * drawn more often (every other field weighs 1), so random selections keep meeting the canary.
 */
const FIELD_WEIGHTS: Record<string, number> = {
  patron: 5,
  attendee: 5,
  nodes: 5,
  registrations: 5,
  loans: 2,
  holds: 2,
  disclosures: 2,
  readingHistory: 1.5,
  id: 3,
  name: 3,
  cardNumber: 2,
  email: 2,
  phone: 2,
  address: 2,
  birthDate: 2,
};

const NO_VALUE = Symbol('no value');

/** A value for an argument nobody listed: omitted when it may be, else the simplest of its type. */
function fromType(type: GraphQLInputType, rng: Random, t: Targets, required: boolean): unknown {
  if (!required && rng.chance(0.7)) return undefined;
  const named = getNamedType(type);
  let one: unknown;
  if (isEnumType(named)) one = rng.pick(named.getValues()).value;
  else if (isInputObjectType(named)) return NO_VALUE;
  else if (named.name === 'ID') one = rng.pick([...t.patronIds, ...t.workIds, ...t.eventIds]);
  else if (named.name === 'Int') one = rng.int(1, 5);
  else if (named.name === 'Boolean') one = rng.chance(0.5);
  else if (named.name === 'DateTime') one = new Date(Date.now() - 30 * 86_400_000).toISOString();
  else if (named.name === 'Date') one = '2026-01-01';
  else one = 'fuzz';
  const list = isNonNullType(type) ? type.ofType : type;
  return isListType(list) ? [one] : one;
}

/** Builds one operation's text; a fresh one per operation (aliases, variables and fragments are numbered in it). */
class OperationBuilder {
  private aliases = 0;
  private readonly variables: { name: string; type: string; value: unknown }[] = [];
  private readonly fragments: { name: string; type: string; depth: number; body: string }[] = [];
  private inlineBudget = 3;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rng: Random,
    private readonly targets: Targets,
    private readonly options: GeneratorOptions,
  ) {}

  build(index: number): GraphRequest {
    const mutationType = this.schema.getMutationType();
    const mutation =
      mutationType !== null &&
      mutationType !== undefined &&
      this.rng.chance(this.options.mutationShare);
    const root: GraphQLObjectType = mutation ? mutationType : this.schema.getQueryType()!;
    const weights = mutation ? MUTATION_WEIGHTS : QUERY_WEIGHTS;
    const candidates = Object.values(root.getFields()).filter(
      (f) => !f.name.startsWith('_') && (!mutation || f.name in weights),
    );
    const rootCount = mutation
      ? 1
      : this.rng.weighted([
          [1, 5],
          [2, 3],
          [3, 2],
        ] as const);
    const parts: string[] = [];
    for (let i = 0; i < rootCount * 3 && parts.length < rootCount; i++) {
      const field = this.rng.weighted(candidates.map((f) => [f, weights[f.name] ?? 0.5] as const));
      const text = this.field(root, field, this.options.maxDepth, false);
      if (text) parts.push(text);
    }
    if (parts.length === 0) parts.push('__typename');
    const declared = this.variables.map((v) => `$${v.name}: ${v.type}`).join(', ');
    const kind = mutation ? 'mutation' : 'query';
    const fragments = this.fragments
      .map((f) => `\nfragment ${f.name} on ${f.type} { ${f.body} }`)
      .join('');
    return {
      query: `${kind} Fuzz${index}${declared ? `(${declared})` : ''} { ${parts.join(' ')} }${fragments}`,
      variables: Object.fromEntries(this.variables.map((v) => [v.name, v.value])),
    };
  }

  /** One field with its alias, arguments, directives and selection; null when it cannot be asked here. */
  private field(
    parent: GraphQLObjectType,
    field: GraphQLField<unknown, unknown>,
    depth: number,
    inFragment: boolean,
  ): string | null {
    const named = getNamedType(field.type);
    if (!isLeafType(named) && (depth <= 0 || !isObjectType(named))) return null;
    const args: string[] = [];
    for (const arg of field.args) {
      const value = this.argumentValue(parent, field, arg);
      if (value === NO_VALUE) return null;
      if (value !== undefined) args.push(`${arg.name}: ${this.valueText(arg.type, value)}`);
    }
    // An argument-bearing field always gets an alias of its own: two selections of one field with
    // different arguments never share a response key (which validation would refuse).
    const alias = args.length > 0 || this.rng.chance(0.25) ? `a${this.aliases++}: ` : '';
    const argText = args.length ? `(${args.join(', ')})` : '';
    const directive = this.rng.chance(0.08) ? ` ${this.directive()}` : '';
    const selection = isObjectType(named)
      ? ` { ${this.selection(named, depth - 1, inFragment)} }`
      : '';
    return `${alias}${field.name}${argText}${directive}${selection}`;
  }

  /** A selection set on `type`: a few fields, now and then `__typename`, an inline fragment or a named one. */
  private selection(type: GraphQLObjectType, depth: number, inFragment: boolean): string {
    const fields = Object.values(type.getFields()).filter((f) => !f.name.startsWith('_'));
    const parts: string[] = [];
    for (const field of this.pickFields(fields, this.rng.int(1, 4))) {
      const text = this.field(type, field, depth, inFragment);
      if (text) parts.push(text);
    }
    if (this.rng.chance(0.1)) parts.push('__typename');
    if (this.inlineBudget > 0 && this.rng.chance(0.15)) {
      this.inlineBudget--;
      const condition = this.rng.chance(0.5) ? `on ${type.name}` : this.directive();
      parts.push(`... ${condition} { ${this.selection(type, depth, inFragment)} }`);
    }
    if (!inFragment && this.rng.chance(0.15)) {
      const spread = this.fragmentOn(type, depth);
      if (spread) parts.push(`...${spread}`);
    }
    if (parts.length === 0)
      parts.push(this.rng.chance(0.5) && 'id' in type.getFields() ? 'id' : '__typename');
    return parts.join(' ');
  }

  /** `count` distinct fields, drawn by their weights. */
  private pickFields(
    fields: GraphQLField<unknown, unknown>[],
    count: number,
  ): GraphQLField<unknown, unknown>[] {
    const left = [...fields];
    const picked: GraphQLField<unknown, unknown>[] = [];
    while (picked.length < count && left.length > 0) {
      const field = this.rng.weighted(left.map((f) => [f, FIELD_WEIGHTS[f.name] ?? 1] as const));
      picked.push(field);
      left.splice(left.indexOf(field), 1);
    }
    return picked;
  }

  /** A named fragment on `type` usable at this depth: an existing one, or a new one (at most four per operation). */
  private fragmentOn(type: GraphQLObjectType, depth: number): string | null {
    const existing = this.fragments.filter((f) => f.type === type.name && f.depth <= depth);
    if (existing.length > 0 && this.rng.chance(0.5)) return this.rng.pick(existing).name;
    if (this.fragments.length >= 4) return null;
    const name = `F${this.fragments.length}_${type.name}`;
    const fragment = { name, type: type.name, depth, body: '' };
    this.fragments.push(fragment);
    fragment.body = this.selection(type, depth, true);
    return name;
  }

  /** `@include` or `@skip`, with a literal or a Boolean variable. */
  private directive(): string {
    const which = this.rng.pick(['include', 'skip']);
    const condition = this.rng.chance(0.5)
      ? this.variable('Boolean!', this.rng.chance(0.7) === (which === 'include'))
      : String(which === 'include');
    return `@${which}(if: ${condition})`;
  }

  private argumentValue(
    parent: GraphQLObjectType,
    field: GraphQLField<unknown, unknown>,
    arg: GraphQLArgument,
  ): unknown {
    const choose = ARGUMENTS[`${parent.name}.${field.name}.${arg.name}`];
    const value = choose
      ? choose(this.rng, this.targets)
      : fromType(
          arg.type,
          this.rng,
          this.targets,
          isNonNullType(arg.type) && arg.defaultValue === undefined,
        );
    if (value === undefined && isNonNullType(arg.type) && arg.defaultValue === undefined)
      return NO_VALUE;
    return value;
  }

  /** An argument's value as a literal, or (a third of the time) as a variable. */
  private valueText(type: GraphQLInputType, value: unknown): string {
    if (this.rng.chance(0.35)) return this.variable(String(type), value);
    const ast = astFromValue(value, type);
    if (!ast) throw new Error(`no literal of ${String(type)} for ${JSON.stringify(value)}`);
    return print(ast);
  }

  private variable(type: string, value: unknown): string {
    const name = `v${this.variables.length}`;
    this.variables.push({ name, type, value });
    return `$${name}`;
  }
}

/** Operation `index` of a run: generated from its own random generator (see `Random.forOperation`). */
export function generateOperation(
  schema: GraphQLSchema,
  rng: Random,
  targets: Targets,
  index: number,
  options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS,
): GraphRequest {
  return new OperationBuilder(schema, rng, targets, options).build(index);
}
