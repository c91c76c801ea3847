import { directiveNamed, fieldSites } from './ast.js';
import type { LintRule } from './types.js';

/**
 * @disclosableUnder only widens a @confidential field; standing alone it suggests a field its
 * author believed protected when nothing guards it.
 */
export const DisclosableAloneRule: LintRule = ({ name, typeDefs }) => {
  const sites = fieldSites(typeDefs);
  const onFields = sites
    .filter(
      (site) =>
        directiveNamed(site.field.directives, 'disclosableUnder') &&
        !directiveNamed(site.field.directives, 'confidential'),
    )
    .map((site) => `${site.typeName}.${site.field.name.value}`);
  const onTypes = [
    ...new Set(
      sites
        .filter(
          (s) =>
            directiveNamed(s.typeDirectives, 'disclosableUnder') &&
            !directiveNamed(s.typeDirectives, 'confidential'),
        )
        .map((s) => s.typeName),
    ),
  ];
  return [...onFields, ...onTypes].map((coordinate) => ({
    rule: 'DisclosableAloneRule',
    subgraph: name,
    coordinate,
    message: 'has @disclosableUnder without @confidential',
  }));
};
