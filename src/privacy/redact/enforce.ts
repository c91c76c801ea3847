import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { redactedError } from '../../errors/codes.js';
import { patronId, type PatronId } from '../context/ids.js';
import { candidateExceptions, decide, needsFacts } from '../decide/decide.js';
import { redact, type Decision } from '../decide/decision.js';
import type { FieldRule } from '../decide/rule.js';
import { fieldRule } from '../schema/rules.js';
import { deidentifyValue } from './deidentify.js';
import type { PrivacyContext } from './privacyContext.js';

/** The request context a privacy-enforcing subgraph must provide. */
export interface EnforcedContext {
  privacy: PrivacyContext;
}

/** Finds the data subject of a field; null when there is none (deny then follows). */
export function locateSubject(
  rule: FieldRule,
  source: unknown,
  args: Record<string, unknown>,
  context: PrivacyContext,
): PatronId | null {
  const pick = (value: unknown): PatronId | null =>
    typeof value === 'string' && value.length > 0 ? patronId(value) : null;
  switch (rule.subject.source) {
    case 'CALLER':
      return context.caller.patronId;
    case 'ARGUMENT':
      return pick(args[rule.subject.field]);
    case 'OBJECT':
    case 'PARENT_FIELD':
      return source !== null && typeof source === 'object'
        ? pick((source as Record<string, unknown>)[rule.subject.field])
        : null;
  }
}

/** Decides one field for one subject, loading facts only when an exception could need them. */
export async function decideField(rule: FieldRule, subject: PatronId | null, privacy: PrivacyContext): Promise<Decision> {
  const { caller, clock } = privacy;
  const wanted = needsFacts(candidateExceptions(rule, caller)) && subject !== null;
  const facts = wanted ? await privacy.facts.load(subject) : undefined;
  return decide({ rule, caller, subject, facts, clock });
}

const isRootType = (info: GraphQLResolveInfo): boolean =>
  info.parentType === info.schema.getQueryType() || info.parentType === info.schema.getMutationType();

/**
 * Wraps one confidential field's resolver. Deny by default: a thrown error, a missing subject or a
 * missing fact ends in the same redaction as "no exception", and the original resolver is not even
 * called for a redacted field. A root lookup that finds nothing is redacted too, so an unknown
 * patron looks exactly like one the caller may not see.
 */
function guard(rule: FieldRule, resolve: GraphQLFieldResolver<unknown, EnforcedContext>): GraphQLFieldResolver<unknown, EnforcedContext> {
  return async (source, args, context, info) => {
    const privacy = context.privacy;
    let subject: PatronId | null = null;
    let decision: Decision;
    try {
      subject = locateSubject(rule, source, args, privacy);
      decision = await decideField(rule, subject, privacy);
    } catch (error) {
      privacy.logger.error({ field: rule.coordinate, err: error instanceof Error ? error.message : 'unknown' }, 'privacy decision failed; redacted');
      decision = redact('error');
    }
    privacy.observe?.(rule, subject, decision);
    switch (decision.kind) {
      case 'redact':
        return redactedError();
      case 'deidentify': {
        const value: unknown = await resolve(source, args, context, info);
        return deidentifyValue(decision.strategy, value, subject, { ...privacy.pseudonym, today: privacy.clock.today });
      }
      case 'disclose': {
        const value: unknown = await resolve(source, args, context, info);
        if (value == null && isRootType(info) && rule.subject.source !== 'OBJECT') return redactedError();
        return value;
      }
    }
  };
}

/**
 * Returns `schema` with every field that @confidential marks (on the field, its type or an
 * interface) guarded by the policy. With `enabled: false` (benchmarks only; production refuses it)
 * the schema is returned unchanged.
 */
export function enforcePrivacy(schema: GraphQLSchema, options: { enabled: boolean } = { enabled: true }): GraphQLSchema {
  if (!options.enabled) return schema;
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config: GraphQLFieldConfig<unknown, EnforcedContext>, fieldName, typeName) => {
      const type = schema.getType(typeName);
      if (!type || !('getFields' in type)) return config;
      const field = (type as import('graphql').GraphQLObjectType).getFields()[fieldName];
      if (!field) return config;
      const rule = fieldRule(schema, type as import('graphql').GraphQLObjectType, field);
      if (!rule) return config;
      return { ...config, resolve: guard(rule, config.resolve ?? defaultFieldResolver) };
    },
  });
}
