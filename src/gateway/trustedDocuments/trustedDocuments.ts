import { createHash } from 'node:crypto';
import {
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  stripIgnoredCharacters,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { ManifestError, type ManifestOperation, type PersistedQueryManifest } from './manifest.js';

/** The lowercase hex SHA-256 of a text, as automatic persisted queries and Apollo's document store key it. */
export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A registered operation, parsed and validated once at start-up. */
export interface TrustedDocument extends ManifestOperation {
  document: DocumentNode;
  /** SHA-256 of `body`: the key under which Apollo Server looks its parsed document up. */
  hash: string;
}

/** What a manifest's operations are checked against when it is loaded. */
export interface TrustOptions {
  /** The schema clients see (the supergraph's API schema), as the gateway validates against it. */
  apiSchema: GraphQLSchema;
  /** Whether the gateway answers introspection; when it does not, no registered operation may use it. */
  introspection: boolean;
  /** The first operation limit `body` exceeds, as a sentence, or null (see `OperationChecker.pin`). */
  limits: (body: string) => string | null;
}

/** Apollo Server's rule when introspection is off: `__schema` and `__type` are refused. */
const NoIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(
        new GraphQLError(
          'GraphQL introspection is not allowed, but the operation contained __schema or __type',
          { nodes: [node] },
        ),
      );
    }
  },
});

/**
 * How much longer than the longest registered body a sent text may be and still be compared with
 * the manifest after its ignored characters (spaces, comments, commas) are stripped: room for
 * indentation and comments, while a megabyte of text is not lexed only to be refused.
 */
const NORMALIZE_FACTOR = 4;
const NORMALIZE_FLOOR = 16 * 1024;

const normalize = (text: string): string | null => {
  try {
    return stripIgnoredCharacters(text);
  } catch {
    return null;
  }
};

/**
 * The operations of a persisted-query manifest, each parsed, validated against the API schema and
 * held to the operation limits at start-up, found by id or by text. A manifest with one operation
 * that fails any check is refused as a whole, with every problem named.
 */
export class TrustedDocuments {
  private readonly ids = new Map<string, TrustedDocument>();
  private readonly bodies = new Map<string, TrustedDocument>();
  private readonly normalized = new Map<string, TrustedDocument>();
  private readonly hashes = new Map<string, TrustedDocument>();
  private readonly normalizeUpTo: number;

  private constructor(documents: TrustedDocument[]) {
    let longest = 0;
    for (const document of documents) {
      this.ids.set(document.id, document);
      this.bodies.set(document.body, document);
      this.hashes.set(document.hash, document);
      this.normalized.set(normalize(document.body)!, document);
      longest = Math.max(longest, document.body.length);
    }
    this.normalizeUpTo = Math.max(NORMALIZE_FLOOR, longest * NORMALIZE_FACTOR);
  }

  /** Checks and pre-parses every operation of `manifest` (read from `source`); throws a ManifestError naming each bad one. */
  static load(
    manifest: PersistedQueryManifest,
    source: string,
    options: TrustOptions,
  ): TrustedDocuments {
    const rules = options.introspection ? specifiedRules : [...specifiedRules, NoIntrospectionRule];
    const problems: string[] = [];
    const documents: TrustedDocument[] = [];
    for (const operation of manifest.operations) {
      const problem = (text: string) =>
        problems.push(`  operation ${operation.name} (id ${operation.id}): ${text}`);
      let document: DocumentNode;
      try {
        document = parse(operation.body);
      } catch (error) {
        problem(`does not parse: ${(error as Error).message}`);
        continue;
      }
      const definitions = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      const [only] = definitions;
      if (definitions.length !== 1 || !only) {
        problem(`the body must hold exactly one operation, it holds ${definitions.length}`);
        continue;
      }
      if (only.name?.value !== operation.name || only.operation !== operation.type) {
        problem(
          `the body is ${only.operation} ${only.name?.value ?? '(anonymous)'}, the manifest says ${operation.type} ${operation.name}`,
        );
        continue;
      }
      const errors = validate(options.apiSchema, document, rules);
      if (errors.length) {
        problem(`does not validate against the graph: ${errors.map((e) => e.message).join(' ')}`);
        continue;
      }
      const over = options.limits(operation.body);
      if (over) {
        problem(over);
        continue;
      }
      documents.push({ ...operation, document, hash: sha256Hex(operation.body) });
    }
    if (problems.length) {
      throw new ManifestError(
        `${source}: ${problems.length} of ${manifest.operations.length} registered operation(s) cannot be served:\n${problems.join('\n')}`,
      );
    }
    return new TrustedDocuments(documents);
  }

  /** How many operations are registered. */
  get size(): number {
    return this.ids.size;
  }

  /** The operation registered under `id` (what a client sends as `persistedQuery.sha256Hash`). */
  byId(id: string): TrustedDocument | undefined {
    return this.ids.get(id);
  }

  /** The registered operation a sent text is: the same text, or the same once spaces, comments and commas are stripped. */
  byText(text: string): TrustedDocument | undefined {
    const exact = this.bodies.get(text);
    if (exact || text.length > this.normalizeUpTo) return exact;
    const stripped = normalize(text);
    return stripped === null ? undefined : this.normalized.get(stripped);
  }

  /** The parsed document of the registered body whose SHA-256 is `hash`. */
  documentByHash(hash: string): DocumentNode | undefined {
    return this.hashes.get(hash)?.document;
  }
}
