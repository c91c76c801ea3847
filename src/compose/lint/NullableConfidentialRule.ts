import { Kind } from 'graphql';
import { fieldSites, isConfidential } from './ast.js';
import type { LintRule } from './types.js';

/**
 * A confidential field must be nullable: redaction answers `null`, and a non-null field would
 * null out its parent instead (or fail the whole response).
 */
export const NullableConfidentialRule: LintRule = ({ name, typeDefs }) =>
  fieldSites(typeDefs)
    .filter(
      (site) =>
        isConfidential(site) &&
        site.field.type.kind === Kind.NON_NULL_TYPE &&
        site.field.name.value !== 'id',
    )
    .map((site) => ({
      rule: 'NullableConfidentialRule',
      subgraph: name,
      coordinate: `${site.typeName}.${site.field.name.value}`,
      message: 'is @confidential but non-null; a redacted field must be able to be null',
    }));
