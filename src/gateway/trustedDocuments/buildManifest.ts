import {
  getLocation,
  GraphQLError,
  Kind,
  parse,
  print,
  Source,
  validate,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import {
  MANIFEST_FORMAT,
  type ManifestOperation,
  type PersistedQueryManifest,
} from './manifest.js';
import { sha256Hex } from './trustedDocuments.js';

/** One file of operations an app sends: its path (for messages) and text. */
export interface OperationFile {
  path: string;
  text: string;
}

/** A manifest, or every reason there is none, each as `file:line:column: message`. */
export type BuildResult =
  { ok: true; manifest: PersistedQueryManifest } | { ok: false; errors: string[] };

/** Where a GraphQL error points, as `file:line:column`, from its first location. */
function at(error: GraphQLError, fallback: string): string {
  const [location] = error.locations ?? [];
  const source = error.source ?? error.nodes?.[0]?.loc?.source;
  return location ? `${source?.name ?? fallback}:${location.line}:${location.column}` : fallback;
}

/** Where a definition starts, as `file:line:column`. */
function where(
  node: { loc?: { source: Source; start: number } | undefined },
  fallback: string,
): string {
  if (!node.loc) return fallback;
  const { line, column } = getLocation(node.loc.source, node.loc.start);
  return `${node.loc.source.name}:${line}:${column}`;
}

/** The fragments an operation uses, directly or through other fragments, by name. */
function usedFragments(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: (OperationDefinitionNode | FragmentDefinitionNode)[] = [operation];
  while (pending.length) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !used.has(node.name.value)) {
          used.set(node.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
}

/**
 * Builds a persisted-query manifest from the operations of `files`: each named operation with the
 * fragments it uses (fragments may live in any of the files), printed, validated against the API
 * schema, held to the operation limits, and registered under the SHA-256 of its body (the id
 * Apollo's tools give, which Apollo Client sends as `persistedQuery.sha256Hash`).
 */
export function buildManifest(
  files: readonly OperationFile[],
  options: { apiSchema: GraphQLSchema; limits?: (body: string) => string | null },
): BuildResult {
  const errors: string[] = [];
  const operations = new Map<string, OperationDefinitionNode>();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const file of files) {
    let document: DocumentNode;
    try {
      document = parse(new Source(file.text, file.path));
    } catch (error) {
      errors.push(
        `${error instanceof GraphQLError ? at(error, file.path) : file.path}: ${(error as Error).message.split('\n')[0]}`,
      );
      continue;
    }
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        if (!definition.name) {
          errors.push(
            `${where(definition, file.path)}: an anonymous ${definition.operation}: name it, the manifest registers operations by name`,
          );
        } else if (operations.has(definition.name.value)) {
          errors.push(
            `${where(definition, file.path)}: a second operation named ${definition.name.value} (the first is at ${where(operations.get(definition.name.value)!, '?')})`,
          );
        } else {
          operations.set(definition.name.value, definition);
        }
      } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const other = fragments.get(definition.name.value);
        if (other && print(other) !== print(definition))
          errors.push(
            `${where(definition, file.path)}: a second, different fragment named ${definition.name.value} (the first is at ${where(other, '?')})`,
          );
        else fragments.set(definition.name.value, definition);
      } else {
        errors.push(
          `${where(definition, file.path)}: only operations and fragments belong in operation files, not a ${definition.kind}`,
        );
      }
    }
  }
  const registered: ManifestOperation[] = [];
  for (const [name, operation] of [...operations].sort(([a], [b]) => a.localeCompare(b))) {
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [operation, ...usedFragments(operation, fragments)],
    };
    const invalid = validate(options.apiSchema, document);
    if (invalid.length) {
      for (const error of invalid)
        errors.push(`${at(error, where(operation, '?'))}: ${name}: ${error.message}`);
      continue;
    }
    const body = print(document);
    const over = options.limits?.(body);
    if (over) {
      errors.push(`${where(operation, '?')}: ${name}: ${over}`);
      continue;
    }
    registered.push({ id: sha256Hex(body), name, type: operation.operation, body });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, manifest: { format: MANIFEST_FORMAT, version: 1, operations: registered } };
}
