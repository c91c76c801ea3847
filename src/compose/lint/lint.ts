import { ComposedDirectivesRule } from './ComposedDirectivesRule.js';
import { ConfidentialListRule } from './ConfidentialListRule.js';
import { DisclosableAloneRule } from './DisclosableAloneRule.js';
import { MatchingDefinitionsRule } from './MatchingDefinitionsRule.js';
import { NullableConfidentialRule } from './NullableConfidentialRule.js';
import { RuleArgumentsRule } from './RuleArgumentsRule.js';
import type { LintError, LintInput, LintRule, LintSubgraph } from './types.js';

/** The privacy lint's rules, in the order their findings are reported. */
export const PRIVACY_LINT_RULES: readonly LintRule[] = [
  ComposedDirectivesRule,
  MatchingDefinitionsRule,
  DisclosableAloneRule,
  NullableConfidentialRule,
  ConfidentialListRule,
  RuleArgumentsRule,
];

/** Runs every rule over every subgraph. */
export function lintPrivacy(subgraphs: readonly LintSubgraph[], input: LintInput): LintError[] {
  return subgraphs.flatMap((subgraph) =>
    PRIVACY_LINT_RULES.flatMap((rule) => rule(subgraph, input)),
  );
}

/** One finding as a line: `subgraph Type.field: message [Rule]`. */
export const formatLintError = (e: LintError): string =>
  `${e.subgraph}${e.coordinate ? ` ${e.coordinate}` : ''}: ${e.message} [${e.rule}]`;

export type { LintError, LintInput, LintSubgraph };
