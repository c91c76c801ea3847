import { parse, print, type DefinitionNode } from 'graphql';
import type { LintRule } from './types.js';

const nameOf = (d: DefinitionNode): string | null => ('name' in d && d.name ? d.name.value : null);

/**
 * Each subgraph's copy of the privacy definitions (directives and their enums) must be exactly
 * schema/privacy.graphql's, so all subgraphs agree on what an exception means.
 */
export const MatchingDefinitionsRule: LintRule = ({ name, typeDefs }, { privacySdl }) => {
  const own = new Map(typeDefs.definitions.map((d) => [nameOf(d), print(d)]));
  return parse(privacySdl).definitions.flatMap((canonical) => {
    const definition = nameOf(canonical);
    const copy = own.get(definition);
    if (copy === print(canonical)) return [];
    const label = canonical.kind === 'DirectiveDefinition' ? `@${definition}` : definition;
    return [
      {
        rule: 'MatchingDefinitionsRule',
        subgraph: name,
        coordinate: label,
        message:
          copy === undefined
            ? `does not define ${label}; run npm run compose to copy schema/privacy.graphql`
            : `defines ${label} differently from schema/privacy.graphql; run npm run compose to copy it`,
      },
    ];
  });
};
