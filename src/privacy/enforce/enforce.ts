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
import {
  candidateExceptions,
  decide,
  decisionForAnySubject,
  needsFacts,
} from '../decide/decide.js';
import { redact, type Decision } from '../decide/decision.js';
import type { FieldRule } from '../decide/rule.js';
import { fieldRule } from '../schema/rules.js';
import { deidentifyValue } from './deidentify.js';
import type { DecisionObserver, PrivacyContext, Settled } from './privacyContext.js';

/** The request context a privacy-enforcing subgraph must provide. */
export interface EnforcedContext {
  privacy: PrivacyContext;
}

type Resolver = GraphQLFieldResolver<unknown, EnforcedContext>;
type Locate = (
  source: unknown,
  args: Record<string, unknown>,
  context: PrivacyContext,
) => PatronId | null;

const asSubject = (value: unknown): PatronId | null =>
  typeof value === 'string' && value.length > 0 ? patronId(value) : null;

/** How a field finds its data subject (null when there is none; deny then follows), fixed per field. */
function subjectLocator(rule: FieldRule): Locate {
  const locator = rule.subject;
  switch (locator.source) {
    case 'CALLER':
      return (_source, _args, context) => context.caller.patronId;
    case 'ARGUMENT':
      return (_source, args) => asSubject(args[locator.field]);
    case 'OBJECT':
    case 'PARENT_FIELD':
      return (source) =>
        source !== null && typeof source === 'object'
          ? asSubject((source as Record<string, unknown>)[locator.field])
          : null;
  }
}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as Promise<unknown> | null)?.then === 'function';

function decisionFailed(rule: FieldRule, privacy: PrivacyContext, error: unknown): Decision {
  privacy.logger.error(
    { field: rule.coordinate, err: error instanceof Error ? error.message : 'unknown' },
    'privacy decision failed; redacted',
  );
  return observed(rule, privacy, redact('error'));
}

const NO_SUBJECT: Decision = redact('no-subject');

/** Whether the observer counts two decisions alike: same kind and exception, reason or strategy. */
function countedAlike(a: Decision, b: Decision): boolean {
  switch (a.kind) {
    case 'disclose':
      return b.kind === 'disclose' && a.exception === b.exception;
    case 'redact':
      return b.kind === 'redact' && a.reason === b.reason;
    case 'deidentify':
      return b.kind === 'deidentify' && a.strategy === b.strategy;
  }
}

/** Counts a decision made for one subject, for the observer (metrics), and returns it. */
function observed(rule: FieldRule, privacy: PrivacyContext, decision: Decision): Decision {
  if (!privacy.observe) return decision;
  let counted = privacy.tally.get(rule);
  if (!counted) privacy.tally.set(rule, (counted = []));
  // A loop rather than find(): this runs for every row of a list that is decided row by row.
  for (const settled of counted) {
    if (settled.decision === decision || countedAlike(settled.decision, decision)) {
      settled.uses += 1;
      return decision;
    }
  }
  counted.push({ decision, uses: 1 });
  return decision;
}

/** Tells `observe` each decision `privacy` made, with its count. */
function replay(privacy: PrivacyContext, observe: DecisionObserver): void {
  const report = (rule: FieldRule, settled: Settled) => {
    if (settled.uses > 0) observe(rule, settled.decision, settled.uses);
  };
  for (const [rule, settled] of privacy.memo) if (settled) report(rule, settled);
  for (const [rule, counted] of privacy.tally) for (const settled of counted) report(rule, settled);
}

/**
 * Reports the request's decisions to the observer with their counts, once the response is ready
 * (and once only): a decision applied to 1,000 rows is counted with one call, not 1,000, whether it
 * held for every subject (the memo) or was made subject by subject (the tally).
 */
export function reportDecisions(privacy: PrivacyContext): void {
  if (privacy.reported || !privacy.observe) return;
  privacy.reported = true;
  replay(privacy, privacy.observe);
}

/**
 * Reports, as `follower`'s, the decisions of the request whose response it is answered with (an
 * identical request of the same caller executed once, SharedExecutions): the follower's own
 * execution never ran, and each request is counted.
 */
export function reportAdoptedDecisions(leader: PrivacyContext, follower: PrivacyContext): void {
  if (follower.reported || !follower.observe) return;
  follower.reported = true;
  replay(leader, follower.observe);
}

/**
 * The decision on one field for one subject. One that holds for every subject (OPERATIONS, no
 * exception at all, analytics) is made once per request and field; only exceptions that depend on
 * the subject (consent, legal order, guardianship) load facts, batched per request.
 */
function decideOn(
  rule: FieldRule,
  subject: PatronId | null,
  privacy: PrivacyContext,
): Decision | Promise<Decision> {
  let memo = privacy.memo.get(rule);
  if (memo === undefined) {
    const decision = decisionForAnySubject(rule, privacy.caller);
    privacy.memo.set(rule, (memo = decision && { decision, uses: 0 }));
  }
  if (memo !== null && (subject !== null || memo.decision.kind !== 'disclose')) {
    memo.uses += 1;
    return memo.decision;
  }
  // No subject (a loan whose borrower retention unlinked, say): what the caller alone does not
  // settle, decide() redacts for want of one. A list of such rows decides nothing per row.
  if (subject === null) return observed(rule, privacy, NO_SUBJECT);
  const { caller, clock } = privacy;
  const candidates = candidateExceptions(rule, caller);
  // A patron reading their own record: SELF comes first and needs no facts.
  const self = candidates[0] === 'SELF' && subject === caller.patronId;
  if (self || !needsFacts(candidates))
    return observed(rule, privacy, decide({ rule, caller, subject, facts: undefined, clock }));
  return privacy.facts.load(subject).then(
    (facts) => observed(rule, privacy, decide({ rule, caller, subject, facts, clock })),
    (error: unknown) => decisionFailed(rule, privacy, error),
  );
}

/** A root lookup that found nothing answers exactly like one the caller may not see. */
const absentAsRedacted = (found: unknown): unknown => (found == null ? redactedError() : found);

/** A guarded field: its rule, how it finds its subject, and the resolver it protects. */
interface Guarded {
  rule: FieldRule;
  locate: Locate;
  /** A root lookup (`patron(id:)`): an absent patron is redacted, not null. */
  redactAbsence: boolean;
  resolve: Resolver;
}

/** Carries out a decision: the field's resolver runs only when something may be returned. */
function apply(
  field: Guarded,
  decision: Decision,
  subject: PatronId | null,
  source: unknown,
  args: Record<string, unknown>,
  context: EnforcedContext,
  info: GraphQLResolveInfo,
): unknown {
  const { rule, resolve } = field;
  const privacy = context.privacy;
  switch (decision.kind) {
    case 'redact':
      // No patron to find (an anonymized loan): nothing to disclose and nothing withheld, so the
      // field is a plain null. Only a caller who could see such a patron gets here at all.
      return decision.reason === 'no-subject' ? null : redactedError();
    case 'deidentify': {
      const value = resolve(source, args, context, info);
      const options = { ...privacy.pseudonym, today: privacy.clock.today };
      return isPromise(value)
        ? value.then((v) => deidentifyValue(decision.strategy, v, subject, options))
        : deidentifyValue(decision.strategy, value, subject, options);
    }
    case 'disclose': {
      // Noted for the audit, which is written before the response leaves (or redacts it all).
      if (decision.exception !== 'SELF' && privacy.audit && subject !== null)
        privacy.audit.note(rule, subject, decision, info.path);
      const value = resolve(source, args, context, info);
      if (!field.redactAbsence) return value;
      return isPromise(value) ? value.then(absentAsRedacted) : absentAsRedacted(value);
    }
  }
}

/**
 * Wraps one confidential field's resolver. Deny by default: a thrown error, a missing subject or a
 * missing fact ends in the same redaction as "no exception", and the original resolver is not even
 * called for a redacted field. A root lookup that finds nothing is redacted too, so an unknown
 * patron looks exactly like one the caller may not see. Decisions that need no facts stay
 * synchronous: a list of 1,000 rows costs no promises and no repeated policy work.
 */
function guard(rule: FieldRule, onRoot: boolean, resolve: Resolver): Resolver {
  const field: Guarded = {
    rule,
    locate: subjectLocator(rule),
    redactAbsence: onRoot && rule.subject.source !== 'OBJECT',
    resolve,
  };
  return (source, args, context, info) => {
    const privacy = context.privacy;
    let subject: PatronId | null = null;
    // Only deciding is guarded by the catch: the field's own resolver may still raise its errors.
    let decision: Decision | Promise<Decision>;
    try {
      subject = field.locate(source, args, privacy);
      decision = decideOn(rule, subject, privacy);
    } catch (error) {
      decision = decisionFailed(rule, privacy, error);
    }
    // decideOn's promises are native (DataLoader's then); a decision is a plain object.
    if (!(decision instanceof Promise))
      return apply(field, decision, subject, source, args, context, info);
    const found = subject;
    return decision.then((d) => apply(field, d, found, source, args, context, info));
  };
}

/**
 * Returns `schema` with every field that @confidential marks (on the field, its type or an
 * interface) guarded by the policy. With `enabled: false` (benchmarks only; production refuses it)
 * the schema is returned unchanged.
 */
export function enforcePrivacy(
  schema: GraphQLSchema,
  options: { enabled: boolean } = { enabled: true },
): GraphQLSchema {
  if (!options.enabled) return schema;
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (
      config: GraphQLFieldConfig<unknown, EnforcedContext>,
      fieldName,
      typeName,
    ) => {
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
