import { Kind, parse, type ConstValueNode, type EnumTypeDefinitionNode } from 'graphql';
import { PrivacyRuleError, collectRules } from '../../privacy/schema/rules.js';
import { directiveUses } from './ast.js';
import type { LintError, LintRule } from './types.js';

const enumValues = (privacySdl: string): Map<string, Set<string>> =>
  new Map(
    parse(privacySdl)
      .definitions.filter((d): d is EnumTypeDefinitionNode => d.kind === Kind.ENUM_TYPE_DEFINITION)
      .map((d) => [d.name.value, new Set((d.values ?? []).map((v) => v.name.value))]),
  );

const ARGUMENT_ENUMS: Record<string, string> = {
  subject: 'SubjectSource',
  category: 'PatronDataCategory',
  deidentify: 'Deidentification',
  exceptions: 'StatutoryException',
  duties: 'StaffDuty',
};

const enumsIn = (value: ConstValueNode): string[] =>
  value.kind === Kind.ENUM
    ? [value.value]
    : value.kind === Kind.LIST
      ? value.values.flatMap(enumsIn)
      : [];

/**
 * Every privacy directive's arguments must name known exceptions, duties, categories and
 * subjects, and make a usable rule (OPERATIONS with its duties, ...): a malformed rule is a
 * compose error, never a runtime pass.
 */
export const RuleArgumentsRule: LintRule = ({ name, typeDefs, schema }, { privacySdl }) => {
  const enums = enumValues(privacySdl);
  const errors: LintError[] = [];
  for (const { coordinate, directive } of directiveUses(typeDefs)) {
    if (directive.name.value !== 'confidential' && directive.name.value !== 'disclosableUnder')
      continue;
    for (const argument of directive.arguments ?? []) {
      const allowed = enums.get(ARGUMENT_ENUMS[argument.name.value] ?? '');
      for (const value of allowed ? enumsIn(argument.value) : []) {
        if (!allowed!.has(value)) {
          errors.push({
            rule: 'RuleArgumentsRule',
            subgraph: name,
            coordinate,
            message: `@${directive.name.value}(${argument.name.value}:) names unknown value ${value}; known: ${[...allowed!].join(', ')}`,
          });
        }
      }
    }
  }
  if (errors.length > 0) return errors;
  try {
    collectRules(schema);
  } catch (error) {
    if (!(error instanceof PrivacyRuleError)) throw error;
    const [coordinate, ...rest] = error.message.split(': ');
    errors.push({
      rule: 'RuleArgumentsRule',
      subgraph: name,
      coordinate: coordinate ?? null,
      message: rest.join(': '),
    });
  }
  return errors;
};
