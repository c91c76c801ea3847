import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type SelectionSetNode,
} from 'graphql';
import { formattedRedaction } from '../../errors/codes.js';
import { PLACEHOLDER_ALIAS } from './pruneOperation.js';
import type { FieldNode } from 'graphql';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/**
 * Puts back, as redactions, the fields the pre-filter dropped: walks the original operation over
 * the response data, sets each dropped field to null (keeping the client's field order) and adds
 * the contract's PRIVACY_REDACTED error at its path. Clients see the same answer whether a field
 * was dropped at the gateway or redacted in a subgraph.
 */
export function restoreRedactions(
  document: DocumentNode,
  operationName: string | null | undefined,
  dropped: ReadonlySet<FieldNode>,
  data: Record<string, Json>,
): { data: Record<string, Json>; errors: GraphQLFormattedError[] } {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const operation = document.definitions.find(
    (d) =>
      d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  const errors: GraphQLFormattedError[] = [];
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return { data, errors };

  const walkValue = (selectionSet: SelectionSetNode, value: Json, path: Path): Json => {
    if (Array.isArray(value))
      return value.map((item, i) => walkValue(selectionSet, item, [...path, i]));
    if (value === null || typeof value !== 'object') return value;
    return walkObject(selectionSet, value, path);
  };

  // `spread`: the named fragments already applied to this object; applying one again adds nothing
  // (as graphql-js's collectFields), and skipping it keeps fragments that spread each other twice
  // from taking exponential time.
  const walkObject = (
    selectionSet: SelectionSetNode,
    object: Record<string, Json>,
    path: Path,
    into: Record<string, Json> = {},
    spread = new Set<string>(),
  ) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (key in into) continue;
        if (dropped.has(selection)) {
          into[key] = null;
          errors.push(formattedRedaction([...path, key]));
        } else if (key in object) {
          const value = object[key]!;
          into[key] = selection.selectionSet
            ? walkValue(selection.selectionSet, value, [...path, key])
            : value;
        }
      } else {
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (spread.has(selection.name.value)) continue;
          spread.add(selection.name.value);
        }
        const fragment =
          selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (fragment) walkObject(fragment.selectionSet, object, path, into, spread);
      }
    }
    delete into[PLACEHOLDER_ALIAS];
    return into;
  };

  return { data: walkObject(operation.selectionSet, data, []), errors };
}
