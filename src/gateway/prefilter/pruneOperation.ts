import {
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { DisclosureContext } from '../../privacy/context/disclosureContext.js';
import { canEverReceive } from '../../privacy/decide/decide.js';
import type { FieldRule } from '../../privacy/decide/rule.js';

/** The alias that keeps a selection set valid once every field in it was dropped. */
export const PLACEHOLDER_ALIAS = '__privacyPrefilter';

/** An operation with the fields the caller can never receive taken out. */
export interface PrunedOperation {
  document: DocumentNode;
  /** The original field nodes that were dropped; their answers are restored as redactions. */
  dropped: ReadonlySet<FieldNode>;
  /** `Type.field` of every dropped field, sorted: part of the query-plan cache key. */
  signature: string;
}

const placeholder: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: PLACEHOLDER_ALIAS },
  name: { kind: Kind.NAME, value: '__typename' },
};

/**
 * Drops from `document` every field whose rule admits no exception for this caller at all, as
 * judged by the same policy core the subgraphs use. Fields that some record might disclose stay:
 * per-record decisions belong to the subgraphs. A selection set left empty gets a placeholder
 * `__typename`, which the response restorer removes again.
 */
export function pruneOperation(
  document: DocumentNode,
  schema: GraphQLSchema,
  rules: ReadonlyMap<string, FieldRule>,
  caller: DisclosureContext,
): PrunedOperation {
  const dropped = new Set<FieldNode>();
  const coordinates = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const pruned = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const rule = parent ? rules.get(`${parent.name}.${node.name.value}`) : undefined;
        if (!rule || canEverReceive(rule, caller)) return undefined;
        dropped.add(node);
        coordinates.add(rule.coordinate);
        return null;
      },
      SelectionSet: {
        leave(node): SelectionSetNode | undefined {
          return node.selections.length === 0 ? { ...node, selections: [placeholder] } : undefined;
        },
      },
    }),
  );
  return {
    document: dropped.size ? pruned : document,
    dropped,
    signature: [...coordinates].sort().join(','),
  };
}

/** Prunings kept per document: one per set of never-receivable fields, a handful of caller kinds. */
const PRUNINGS_PER_DOCUMENT = 32;

/** The rules of every field a document selects, anywhere in it (fragments included). */
function rulesIn(
  document: DocumentNode,
  schema: GraphQLSchema,
  rules: ReadonlyMap<string, FieldRule>,
): FieldRule[] {
  const found = new Set<FieldRule>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const rule = parent ? rules.get(`${parent.name}.${node.name.value}`) : undefined;
        if (rule) found.add(rule);
      },
    }),
  );
  return [...found];
}

/**
 * `pruneOperation` for a fixed schema and rules, remembering each document's pruning per set of
 * its fields the caller can never receive. A pruning depends on the caller only through
 * `canEverReceive` of the rules of the document's fields: two callers alike there get the same
 * pruning, a caller differing in any one of them gets its own. That set is judged afresh for every
 * request (the few rules of the document's fields); the visits of the document run once per
 * document (as Apollo Server's document store keeps it) and kind of caller.
 */
export function operationPruner(
  schema: GraphQLSchema,
  rules: ReadonlyMap<string, FieldRule>,
): (document: DocumentNode, caller: DisclosureContext) => PrunedOperation {
  const byDocument = new WeakMap<
    DocumentNode,
    { rules: FieldRule[]; prunings: Map<string, PrunedOperation> }
  >();
  return (document, caller) => {
    let known = byDocument.get(document);
    if (!known) {
      known = { rules: rulesIn(document, schema, rules), prunings: new Map() };
      byDocument.set(document, known);
    }
    let never = '';
    for (let i = 0; i < known.rules.length; i++)
      if (!canEverReceive(known.rules[i]!, caller)) never += `${i},`;
    let pruned = known.prunings.get(never);
    if (!pruned) {
      pruned = pruneOperation(document, schema, rules, caller);
      if (known.prunings.size >= PRUNINGS_PER_DOCUMENT) known.prunings.clear();
      known.prunings.set(never, pruned);
    }
    return pruned;
  };
}
