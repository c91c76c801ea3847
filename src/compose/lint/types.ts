import type { DocumentNode, GraphQLSchema } from 'graphql';

/** A subgraph as the lint sees it: its name, parsed SDL and built schema. */
export interface LintSubgraph {
  name: string;
  typeDefs: DocumentNode;
  schema: GraphQLSchema;
}

/** One lint finding: always names the subgraph and, where there is one, `Type.field`. */
export interface LintError {
  rule: string;
  subgraph: string;
  coordinate: string | null;
  message: string;
}

/** What every rule may consult besides the subgraph: the canonical directive SDL and the list. */
export interface LintInput {
  privacySdl: string;
  /** subgraph name -> `Type.field` coordinates that must carry @confidential. */
  confidentialList: Record<string, string[]>;
}

/** A lint rule: one concern, one file, a plain function (as graphql-js's ValidationRule). */
export type LintRule = (subgraph: LintSubgraph, input: LintInput) => LintError[];
