import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { redactedError } from '../../errors/codes.js';
import { patronId, type PatronId } from '../context/ids.js';
import { candidateExceptions, decide, decisionForAnySubject, needsFacts } from '../decide/decide.js';
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

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as Promise<unknown> | null)?.then === 'function';

/** Applies `then` to a value that may or may not be a promise, staying synchronous when it is not. */
const andThen = (value: unknown, then: (v: unknown) => unknown): unknown => (isPromise(value) ? value.then(then) : then(value));

type Resolver = GraphQLFieldResolver<unknown, EnforcedContext>;
type ResolverArgs = Parameters<Resolver>;

function decisionFailed(rule: FieldRule, privacy: PrivacyContext, error: unknown): Decision {
  privacy.logger.error({ field: rule.coordinate, err: error instanceof Error ? error.message : 'unknown' }, 'privacy decision failed; redacted');
  return redact('error');
}

/** Carries out a decision: the field's resolver runs only when something may be returned. */
function apply(decision: Decision, rule: FieldRule, redactAbsence: boolean, subject: PatronId | null, resolve: Resolver, call: ResolverArgs): unknown {
  const privacy = call[2].privacy;
  privacy.observe?.(rule, subject, decision);
  switch (decision.kind) {
    case 'redact':
      // No patron to find (an anonymized loan): nothing to disclose and nothing withheld, so the
      // field is a plain null. Only a caller who could see such a patron gets here at all.
      return decision.reason === 'no-subject' ? null : redactedError();
    case 'deidentify':
      return andThen(resolve(...call), (value) =>
        deidentifyValue(decision.strategy, value, subject, { ...privacy.pseudonym, today: privacy.clock.today }),
      );
    case 'disclose': {
      const release = () => {
        const value = resolve(...call);
        return redactAbsence ? andThen(value, (found) => (found == null ? redactedError() : found)) : value;
      };
      // Noted for the audit, which is written before the response leaves (or redacts it all).
      if (decision.exception !== 'SELF' && privacy.audit && subject !== null) privacy.audit.note(rule, subject, decision, call[3].path);
      return release();
    }
  }
}

/**
 * Wraps one confidential field's resolver. Deny by default: a thrown error, a missing subject or a
 * missing fact ends in the same redaction as "no exception", and the original resolver is not even
 * called for a redacted field. A root lookup that finds nothing is redacted too, so an unknown
 * patron looks exactly like one the caller may not see. Decisions that need no facts (SELF,
 * OPERATIONS, no candidate at all) stay synchronous, and one that holds for every subject is made
 * once per request: a list of 1,000 rows costs no promises and no repeated policy work.
 */
function guard(rule: FieldRule, onRoot: boolean, resolve: Resolver): Resolver {
  const redactAbsence = onRoot && rule.subject.source !== 'OBJECT';
  return (...call) => {
    const [source, args, context] = call;
    const privacy = context.privacy;
    let subject: PatronId | null = null;
    // Only deciding is guarded by the catch: the field's own resolver may still raise its errors.
    let decision: Decision | Promise<Decision>;
    try {
      subject = locateSubject(rule, source, args, privacy);
      let memo = privacy.memo.get(rule);
      if (memo === undefined) privacy.memo.set(rule, (memo = decisionForAnySubject(rule, privacy.caller)));
      if (memo !== null && (subject !== null || memo.kind !== 'disclose')) {
        decision = memo;
      } else {
        const { caller, clock } = privacy;
        const known = subject;
        decision =
          known !== null && needsFacts(candidateExceptions(rule, caller))
            ? privacy.facts.load(known).then(
                (facts) => decide({ rule, caller, subject: known, facts, clock }),
                (error: unknown) => decisionFailed(rule, privacy, error),
              )
            : decide({ rule, caller, subject, facts: undefined, clock });
      }
    } catch (error) {
      decision = decisionFailed(rule, privacy, error);
    }
    const found = subject;
    return isPromise(decision)
      ? decision.then((d) => apply(d, rule, redactAbsence, found, resolve, call))
      : apply(decision, rule, redactAbsence, found, resolve, call);
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
      const onRoot = type === schema.getQueryType() || type === schema.getMutationType();
      return { ...config, resolve: guard(rule, onRoot, config.resolve ?? defaultFieldResolver) };
    },
  });
}
