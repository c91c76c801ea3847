import { fieldSites, isConfidential } from './ast.js';
import type { LintRule } from './types.js';

/**
 * Every field on schema/confidential-fields.yaml must exist and carry @confidential: the list is
 * the floor that CONTRACT.md sets, and a schema change cannot lower it by accident.
 */
export const ConfidentialListRule: LintRule = ({ name, typeDefs }, { confidentialList }) => {
  const sites = new Map(fieldSites(typeDefs).map((s) => [`${s.typeName}.${s.field.name.value}`, s]));
  return (confidentialList[name] ?? []).flatMap((coordinate) => {
    const site = sites.get(coordinate);
    if (site && isConfidential(site)) return [];
    return [{
      rule: 'ConfidentialListRule',
      subgraph: name,
      coordinate,
      message: site
        ? 'is on schema/confidential-fields.yaml but lacks @confidential'
        : 'is on schema/confidential-fields.yaml but not in this subgraph; update the list only with the records custodian',
    }];
  });
};
