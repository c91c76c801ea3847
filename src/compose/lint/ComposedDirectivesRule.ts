import { Kind, print } from 'graphql';
import { directiveUses } from './ast.js';
import type { LintRule } from './types.js';

const PRIVACY_DIRECTIVES = ['confidential', 'disclosableUnder'];

/**
 * A subgraph that uses a privacy directive must import it with @link and keep it with
 * @composeDirective: composition otherwise drops it silently, and the supergraph would carry a
 * confidential field with no rule at all.
 */
export const ComposedDirectivesRule: LintRule = ({ name, typeDefs }) => {
  const schemaDirectives = typeDefs.definitions
    .filter((d) => d.kind === Kind.SCHEMA_EXTENSION || d.kind === Kind.SCHEMA_DEFINITION)
    .flatMap((d) => d.directives ?? []);
  const composed = new Set(
    schemaDirectives
      .filter((d) => d.name.value === 'composeDirective')
      .map((d) => d.arguments?.find((a) => a.name.value === 'name'))
      .map((a) => (a?.value.kind === Kind.STRING ? a.value.value : null)),
  );
  const imported = schemaDirectives
    .filter((d) => d.name.value === 'link')
    .map((d) => print(d))
    .join(' ');
  return PRIVACY_DIRECTIVES.flatMap((directive) => {
    const first = directiveUses(typeDefs).find((u) => u.directive.name.value === directive);
    if (!first) return [];
    const problems: string[] = [];
    if (!composed.has(`@${directive}`))
      problems.push(
        `without @composeDirective(name: "@${directive}"), so composition would drop it`,
      );
    if (!imported.includes(`"@${directive}"`)) problems.push(`without importing it through @link`);
    return problems.map((problem) => ({
      rule: 'ComposedDirectivesRule',
      subgraph: name,
      coordinate: first.coordinate,
      message: `uses @${directive} ${problem}`,
    }));
  });
};
