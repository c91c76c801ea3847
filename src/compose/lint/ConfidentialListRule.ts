import { fieldSites, isConfidential } from './ast.js';
import type { LintRule } from './types.js';

/**
 * Every field on schema/confidential-fields.yaml must exist and carry @confidential: the list is
 * the floor that CONTRACT.md sets, and a schema change cannot lower it by accident.
 */
export const ConfidentialListRule: LintRule = ({ name, typeDefs }, { confidentialList }) => {
  const all = fieldSites(typeDefs);
  const sites = new Map(all.map((s) => [`${s.typeName}.${s.field.name.value}`, s]));
  // `Type.*` in the list (under a subgraph or under "*", every subgraph) means every field of
  // that type but its key `id`, in whichever subgraph defines the type.
  const wholeTypes = [...(confidentialList['*'] ?? []), ...(confidentialList[name] ?? [])]
    .filter((c) => c.endsWith('.*'))
    .map((c) => c.slice(0, -2));
  const typeErrors = all
    .filter(
      (s) => wholeTypes.includes(s.typeName) && s.field.name.value !== 'id' && !isConfidential(s),
    )
    .map((s) => ({
      rule: 'ConfidentialListRule',
      subgraph: name,
      coordinate: `${s.typeName}.${s.field.name.value}`,
      message: `lacks @confidential, and every field of ${s.typeName} but id must have it (schema/confidential-fields.yaml)`,
    }));
  return [
    ...typeErrors,
    ...(confidentialList[name] ?? [])
      .filter((c) => !c.endsWith('.*'))
      .flatMap((coordinate) => {
        const site = sites.get(coordinate);
        if (site && isConfidential(site)) return [];
        return [
          {
            rule: 'ConfidentialListRule',
            subgraph: name,
            coordinate,
            message: site
              ? 'is on schema/confidential-fields.yaml but lacks @confidential'
              : 'is on schema/confidential-fields.yaml but not in this subgraph; update the list only with the records custodian',
          },
        ];
      }),
  ];
};
