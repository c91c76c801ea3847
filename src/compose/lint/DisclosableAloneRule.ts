import { directiveNamed, fieldSites } from './ast.js';
import type { LintRule } from './types.js';

/**
 * @disclosableUnder only widens a @confidential field; standing alone it suggests a field its
 * author believed protected when nothing guards it.
 */
export const DisclosableAloneRule: LintRule = ({ name, typeDefs }) =>
  fieldSites(typeDefs)
    .filter((site) => directiveNamed(site.field.directives, 'disclosableUnder') && !directiveNamed(site.field.directives, 'confidential'))
    .map((site) => ({
      rule: 'DisclosableAloneRule',
      subgraph: name,
      coordinate: `${site.typeName}.${site.field.name.value}`,
      message: 'has @disclosableUnder without @confidential',
    }));
