import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type GraphQLCompositeType,
  type GraphQLField,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import type { RefusalSink } from './refusal.js';

/** How the cost of an operation is estimated; see {@link CostLimitRule}. */
export interface CostOptions {
  /** The most an operation may cost. */
  limit: number;
  /** The size assumed for a list that no `first`/`last` argument (or default) bounds. */
  listSize: number;
  /** Extra weight of an expensive field, by `Type.field`; every other field weighs 1. */
  weights: Readonly<Record<string, number>>;
  /** The request's variables: a `first: $n` or `representations: $r` counts with its value. */
  variables: Readonly<Record<string, unknown>>;
}

const PAGE_ARGUMENTS = ['first', 'last'];

/**
 * An upper estimate of the field values an operation resolves, refused over `limit`. A field
 * costs its weight once per value of its parent; a list multiplies what is selected under it by
 * its size: its `first`/`last` argument (given, a variable, or the schema's default), the number of
 * `_entities` representations, or `listSize` for a list nothing bounds. A page argument on a
 * connection (`works(first: 20) { nodes }`) sizes the lists directly under it. `__typename` and
 * introspection cost nothing. graphql-armor's cost limit multiplies only by literal `first`
 * arguments and grows with depth instead, so a nested list of defaults passes it unmeasured.
 */
export function CostLimitRule(options: CostOptions, report: RefusalSink): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    // A fragment's cost per value of its parent, by name and inherited page size: each is walked once.
    const fragmentCosts = new Map<string, number>();
    const walking = new Set<string>();

    const integer = (value: ValueNode | undefined): number | undefined => {
      if (value?.kind === Kind.INT) return Number(value.value);
      if (value?.kind === Kind.VARIABLE) {
        const given = options.variables[value.name.value];
        return typeof given === 'number' ? given : undefined;
      }
      return undefined;
    };

    const pageSize = (
      field: GraphQLField<unknown, unknown>,
      args: readonly { name: { value: string }; value: ValueNode }[],
    ): number | undefined => {
      for (const name of PAGE_ARGUMENTS) {
        const given = args.find((a) => a.name.value === name);
        const size = given ? integer(given.value) : undefined;
        if (size !== undefined) return Math.max(0, size);
        const fallback = field.args.find((a) => a.name === name)?.defaultValue;
        if (typeof fallback === 'number') return fallback;
      }
      return undefined;
    };

    const representations = (
      args: readonly { name: { value: string }; value: ValueNode }[],
    ): number | undefined => {
      const value = args.find((a) => a.name.value === 'representations')?.value;
      if (value?.kind === Kind.LIST) return value.values.length;
      if (value?.kind === Kind.VARIABLE) {
        const given = options.variables[value.name.value];
        return Array.isArray(given) ? given.length : undefined;
      }
      return undefined;
    };

    /** The cost of one selection set per value of its parent; `inherited` sizes its lists. */
    const selectionCost = (
      type: GraphQLCompositeType,
      set: SelectionSetNode,
      inherited: number | undefined,
    ): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition
            ? context.getSchema().getType(selection.typeCondition.name.value)
            : type;
          if (condition && isCompositeType(condition))
            total += selectionCost(condition, selection.selectionSet, inherited);
          continue;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          total += spreadCost(selection.name.value, inherited);
          continue;
        }
        const name = selection.name.value;
        if (name.startsWith('__')) continue; // __typename, and introspection, bounded by the schema itself
        const field =
          isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
        if (!field) continue; // unknown: validation refuses it later
        const weight = options.weights[`${type.name}.${name}`] ?? 1;
        const args = selection.arguments ?? [];
        const child = getNamedType(field.type);
        if (!selection.selectionSet || !isCompositeType(child)) {
          total += weight;
          continue;
        }
        const page = pageSize(field, args);
        if (isListType(getNullableType(field.type))) {
          const size = representations(args) ?? page ?? inherited ?? options.listSize;
          total += weight + size * selectionCost(child, selection.selectionSet, undefined);
        } else {
          total += weight + selectionCost(child, selection.selectionSet, page);
        }
      }
      return total;
    };

    const spreadCost = (name: string, inherited: number | undefined): number => {
      const key = `${name}:${inherited ?? ''}`;
      const known = fragmentCosts.get(key);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      if (!fragment || walking.has(name)) return 0; // cycles are refused before this rule runs
      const type = context.getSchema().getType(fragment.typeCondition.name.value);
      if (!type || !isCompositeType(type)) return 0;
      walking.add(name);
      const cost = selectionCost(type, fragment.selectionSet, inherited);
      walking.delete(name);
      fragmentCosts.set(key, cost);
      return cost;
    };

    return {
      OperationDefinition(operation) {
        const root = context.getSchema().getRootType(operation.operation);
        if (!root) return false;
        const cost = selectionCost(root, operation.selectionSet, undefined);
        if (cost > options.limit) report({ limit: 'cost', value: options.limit, figure: cost });
        return false;
      },
    };
  };
}
