import { getDirective } from '@graphql-tools/utils';
import {
  isInterfaceType,
  isObjectType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLInterfaceType,
  type GraphQLSchema,
} from 'graphql';
import type { FieldRule, SubjectLocator } from '../decide/rule.js';
import {
  DEIDENTIFICATIONS,
  PATRON_DATA_CATEGORIES,
  STAFF_DUTIES,
  STATUTORY_EXCEPTIONS,
  SUBJECT_SOURCES,
  ruleDuty,
} from '../vocabulary.js';

/** Raised when a privacy directive is malformed: a schema error, never a runtime pass. */
export class PrivacyRuleError extends Error {
  override name = 'PrivacyRuleError';
}

type Args = Record<string, unknown>;

const oneOf = <T extends string>(
  value: unknown,
  allowed: readonly T[],
  what: string,
  at: string,
): T => {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new PrivacyRuleError(`${at}: unknown ${what} ${JSON.stringify(value)}`);
};

function locator(args: Args, at: string): SubjectLocator {
  const source = oneOf(args.subject ?? 'OBJECT', SUBJECT_SOURCES, 'subject source', at);
  if (source === 'CALLER') return { source };
  const field = args.subjectField ?? 'id';
  if (typeof field !== 'string' || field.length === 0)
    throw new PrivacyRuleError(`${at}: subjectField must name a field`);
  return { source, field };
}

/** Builds the rule of one field from its own directives, or else its type's. */
function ruleFrom(confidential: Args, disclosable: Args | undefined, at: string): FieldRule {
  const exceptionsArg = disclosable?.exceptions ?? ['SELF'];
  if (!Array.isArray(exceptionsArg)) throw new PrivacyRuleError(`${at}: exceptions must be a list`);
  const exceptions = exceptionsArg.map((e) => oneOf(e, STATUTORY_EXCEPTIONS, 'exception', at));
  const dutiesArg = disclosable?.duties ?? [];
  if (!Array.isArray(dutiesArg)) throw new PrivacyRuleError(`${at}: duties must be a list`);
  const duties = dutiesArg.map((d) => ruleDuty(oneOf(d, STAFF_DUTIES, 'duty', at)));
  if (exceptions.includes('OPERATIONS') && duties.length === 0) {
    throw new PrivacyRuleError(`${at}: OPERATIONS needs the duties that unlock it`);
  }
  const deidentify = confidential.deidentify ?? null;
  return {
    coordinate: at,
    subject: locator(confidential, at),
    category: oneOf(confidential.category, PATRON_DATA_CATEGORIES, 'category', at),
    deidentify:
      deidentify === null ? null : oneOf(deidentify, DEIDENTIFICATIONS, 'de-identification', at),
    exceptions,
    duties,
  };
}

const first = (
  schema: GraphQLSchema,
  node: Parameters<typeof getDirective>[1],
  name: string,
): Args | undefined => getDirective(schema, node, name)?.[0] as Args | undefined;

/**
 * The rule of `type.field`, from the field's own directives, else its type's, else an interface's
 * field that it implements. Null when the field is not confidential.
 */
export function fieldRule(
  schema: GraphQLSchema,
  type: GraphQLObjectType | GraphQLInterfaceType,
  field: GraphQLField<unknown, unknown>,
): FieldRule | null {
  const at = `${type.name}.${field.name}`;
  const own = first(schema, field, 'confidential');
  if (own) return ruleFrom(own, first(schema, field, 'disclosableUnder'), at);
  if (first(schema, field, 'disclosableUnder')) {
    throw new PrivacyRuleError(`${at}: @disclosableUnder without @confidential`);
  }
  const onType = first(schema, type, 'confidential');
  if (onType) return ruleFrom(onType, first(schema, type, 'disclosableUnder'), at);
  for (const iface of type.getInterfaces()) {
    const inherited = iface.getFields()[field.name];
    if (inherited) {
      const rule = fieldRule(schema, iface, inherited);
      if (rule) return { ...rule, coordinate: at };
    }
  }
  return null;
}

/** Every confidential field of a schema, keyed `Type.field`. */
export function collectRules(schema: GraphQLSchema): Map<string, FieldRule> {
  const rules = new Map<string, FieldRule>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const rule = fieldRule(schema, type, field);
      if (rule) rules.set(rule.coordinate, rule);
    }
  }
  return rules;
}
