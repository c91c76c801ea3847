import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { getLocation, GraphQLError, parse, Source, type DocumentNode } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { formatLintError, lintPrivacy, type LintSubgraph } from './lint/lint.js';
import { syncBlock } from './privacyBlock.js';
import { readRoverConfig, type SubgraphSource } from './rover.js';

/** Where composition reads and writes, relative to the repository root by default. */
export interface ComposePaths {
  rover: string;
  privacy: string;
  confidentialList: string;
  supergraph: string;
}

/** The default paths of this repository. */
export const defaultPaths = (root: string): ComposePaths => ({
  rover: path.join(root, 'rover.yaml'),
  privacy: path.join(root, 'schema/privacy.graphql'),
  confidentialList: path.join(root, 'schema/confidential-fields.yaml'),
  supergraph: path.join(root, 'schema/supergraph.graphql'),
});

/** The outcome of a composition: the supergraph, or every error found, each naming its place. */
export interface ComposeResult {
  supergraphSdl: string | null;
  errors: string[];
  /** Subgraph files whose privacy block was (or, with --check, would be) rewritten. */
  synced: string[];
}

const locate = (error: GraphQLError): string => {
  const places = (error.nodes ?? []).flatMap((node) => {
    if (!node.loc) return [];
    const { line, column } = getLocation(node.loc.source, node.loc.start);
    return [`${path.relative(process.cwd(), node.loc.source.name)}:${line}:${column}`];
  });
  return places.length ? ` (at ${places.join(', ')})` : '';
};

/** Reads schema/confidential-fields.yaml: subgraph -> coordinates. */
export function readConfidentialList(file: string): Record<string, string[]> {
  const raw: unknown = parseYaml(fs.readFileSync(file, 'utf8'));
  if (raw === null || typeof raw !== 'object')
    throw new Error(`${file}: expected a map of subgraph -> list of Type.field`);
  return raw as Record<string, string[]>;
}

/**
 * Composes rover.yaml's subgraphs with @apollo/composition after the privacy lint. With `write`
 * the subgraph files' privacy blocks are refreshed from schema/privacy.graphql first; without it
 * nothing is written, a block whose definitions differ is a lint error, and one that differs
 * only in comments is reported in `synced` (which `compose --check` refuses).
 */
export function composeSupergraph(paths: ComposePaths, options: { write: boolean }): ComposeResult {
  const privacySdl = fs.readFileSync(paths.privacy, 'utf8');
  const sources = readRoverConfig(paths.rover);
  const synced: string[] = [];
  const current: SubgraphSource[] = sources.map((source) => {
    const sdl = syncBlock(source.sdl, privacySdl);
    if (sdl === source.sdl) return source;
    synced.push(source.file);
    if (!options.write) return source;
    fs.writeFileSync(source.file, sdl);
    return { ...source, sdl };
  });

  const errors: string[] = [];
  const parsed: { source: SubgraphSource; typeDefs: DocumentNode }[] = [];
  for (const source of current) {
    try {
      parsed.push({ source, typeDefs: parse(new Source(source.sdl, source.file)) });
    } catch (error) {
      errors.push(`${source.name}: ${(error as Error).message}`);
    }
  }
  if (errors.length) return { supergraphSdl: null, errors, synced };

  const lintable: LintSubgraph[] = [];
  for (const { source, typeDefs } of parsed) {
    try {
      lintable.push({ name: source.name, typeDefs, schema: buildSubgraphSchema({ typeDefs }) });
    } catch (error) {
      const inner = (error as { errors?: GraphQLError[] }).errors ?? [error as GraphQLError];
      for (const e of inner)
        errors.push(`${source.name}: ${e.message}${e instanceof GraphQLError ? locate(e) : ''}`);
    }
  }
  const input = { privacySdl, confidentialList: readConfidentialList(paths.confidentialList) };
  // A list entry for a subgraph that is not composed would silently protect nothing.
  for (const listed of Object.keys(input.confidentialList)) {
    if (listed !== '*' && !sources.some((s) => s.name === listed)) {
      errors.push(
        `${path.relative(process.cwd(), paths.confidentialList)}: names subgraph "${listed}", which rover.yaml does not compose; fix the list or rover.yaml`,
      );
    }
  }
  errors.push(...lintPrivacy(lintable, input).map(formatLintError));
  if (errors.length) return { supergraphSdl: null, errors, synced };

  const result = composeServices(
    parsed.map(({ source, typeDefs }) => ({ name: source.name, url: source.url, typeDefs })),
  );
  if (result.errors) {
    return {
      supergraphSdl: null,
      errors: result.errors.map((e) => `${e.message}${locate(e)}`),
      synced,
    };
  }
  return { supergraphSdl: result.supergraphSdl, errors: [], synced };
}
