import fs from 'node:fs';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { buildSubgraphSchema } from '@apollo/subgraph';
import type { SubgraphName } from '../config/env.js';
import { findRepoRoot } from '../config/paths.js';
import type { Route } from '../http/serve.js';
import type { EnforcedContext } from '../privacy/enforce/enforce.js';
import type { FactsSource, PrivacyContext } from '../privacy/enforce/privacyContext.js';

/**
 * The resolver map `buildSubgraphSchema` accepts, read from its signature: the package exports
 * the function but not the type, and its dist/ files are not its API.
 */
type SchemaModule = Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>;
export type GraphQLResolverMap = NonNullable<SchemaModule['resolvers']>;

/** The repository root, found from this file so services start from any working directory. */
export const REPO_ROOT = findRepoRoot(import.meta.url);

/** A subgraph's SDL file, as rover.yaml names it. */
export const schemaFile = (name: SubgraphName): string =>
  `${REPO_ROOT}subgraphs/${name}/schema.graphql`;

/** Parses a subgraph's SDL file. */
export function loadTypeDefs(name: SubgraphName): DocumentNode {
  return parse(fs.readFileSync(schemaFile(name), 'utf8'));
}

/** Merges resolver maps type by type (later maps add fields to earlier ones), for resolvers kept in several files. */
export function mergeResolvers(...maps: object[]): GraphQLResolverMap {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map as Record<string, Record<string, unknown>>))
      merged[type] = { ...merged[type], ...fields };
  }
  return merged as GraphQLResolverMap;
}

/**
 * One subgraph, ready to serve: its enforced schema, the facts it decides with, how it builds a
 * request's context (loaders included) and how it closes its storage.
 */
export interface SubgraphService<Ctx extends EnforcedContext = EnforcedContext> {
  name: SubgraphName;
  schema: GraphQLSchema;
  facts: FactsSource;
  /** Per-request context: new DataLoaders every time, never shared between callers. */
  createContext(privacy: PrivacyContext): Ctx;
  routes?: Route[];
  close(): Promise<void>;
}
