import type { DisclosureContext } from '../context/disclosureContext.js';
import { CUSTODIAN_DUTY } from '../vocabulary.js';
import type { PatronId } from '../context/ids.js';
import { disclose, redact, type Decision } from './decision.js';
import type { SubjectFacts } from './facts.js';
import type { FieldRule } from './rule.js';
import type { StatutoryException } from '../vocabulary.js';

/** The moment a decision is made: the instant for validity windows, the day for ages. */
export interface Clock {
  /** ISO 8601 instant, UTC. */
  now: string;
  /** 'YYYY-MM-DD', UTC. */
  today: string;
}

/** Reads the clock once, so one decision never straddles two instants. */
export function clockAt(date: Date): Clock {
  const now = date.toISOString();
  return { now, today: now.slice(0, 10) };
}

/**
 * The exceptions a caller could ever invoke on a field, judged from their roles alone. Empty means
 * no record can be disclosed to them: the gateway drops such fields before planning, and a subgraph
 * redacts them without loading a single fact.
 */
export function candidateExceptions(
  rule: FieldRule,
  caller: DisclosureContext,
): StatutoryException[] {
  return rule.exceptions.filter((exception) => {
    switch (exception) {
      case 'SELF':
        return caller.roles.includes('patron') && caller.patronId !== null;
      case 'OPERATIONS':
        return (
          (caller.roles.includes('staff') && caller.duties.some((d) => rule.duties.includes(d))) ||
          (caller.roles.includes('custodian') && rule.duties.includes(CUSTODIAN_DUTY))
        );
      case 'CONSENT':
        return caller.roles.includes('partner') && caller.principal !== null;
      case 'LEGAL_PROCESS':
        return caller.roles.includes('custodian') && caller.legalOrder !== null;
      case 'GUARDIAN':
        return caller.roles.includes('patron') && caller.patronId !== null;
    }
  });
}

/**
 * False when no record of this field can reach this caller under any facts: the field is then
 * redacted for every subject, and the gateway need not even fetch it (policy #1 and #2).
 */
export function canEverReceive(rule: FieldRule, caller: DisclosureContext): boolean {
  if (caller.roles.includes('analytics')) return rule.deidentify !== null;
  return candidateExceptions(rule, caller).length > 0;
}

/**
 * The decision for this caller on this field when it is the same for every subject that exists
 * (analytics, no exception at all, or OPERATIONS alone), else null. Guards compute it once per
 * request and field, so a 1,000-row list does not decide 1,000 times.
 */
export function decisionForAnySubject(rule: FieldRule, caller: DisclosureContext): Decision | null {
  const byCaller = decidedByCaller(rule, caller);
  if (byCaller.kind === 'decided') return byCaller.decision;
  return byCaller.candidates[0] === 'OPERATIONS' ? disclose('OPERATIONS') : null;
}

/**
 * What the caller alone settles, before any subject: analytics is de-identified or redacted, and a
 * caller with no candidate exception is redacted; any other caller has candidates to try in order.
 */
function decidedByCaller(
  rule: FieldRule,
  caller: DisclosureContext,
):
  | { kind: 'decided'; decision: Decision }
  | { kind: 'candidates'; candidates: readonly StatutoryException[] } {
  if (caller.roles.includes('analytics')) {
    const decision: Decision = rule.deidentify
      ? { kind: 'deidentify', strategy: rule.deidentify }
      : redact('no-exception-for-caller');
    return { kind: 'decided', decision };
  }
  const candidates = candidateExceptions(rule, caller);
  if (candidates.length === 0)
    return { kind: 'decided', decision: redact('no-exception-for-caller') };
  return { kind: 'candidates', candidates };
}

/** Whether any candidate exception needs per-subject facts (consents, orders, guardianship, age). */
export function needsFacts(candidates: readonly StatutoryException[]): boolean {
  return candidates.some((e) => e === 'CONSENT' || e === 'LEGAL_PROCESS' || e === 'GUARDIAN');
}

/**
 * True while someone born on `birthDate` is under 18 on `today` (both 'YYYY-MM-DD'). A birthday of
 * 29 February comes of age on 1 March in years without one.
 */
export function isMinorOn(birthDate: string, today: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!match) return false;
  const [, y, m, d] = match as unknown as [string, string, string, string];
  const year = Number(y) + 18;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const comingOfAge = m === '02' && d === '29' && !leap ? `${year}-03-01` : `${year}-${m}-${d}`;
  return today < comingOfAge;
}

/** Whether `now` lies in [from, until); an unparseable date is never within (fail closed). */
const within = (now: string, from: string, until: string): boolean => {
  const [t, a, b] = [Date.parse(now), Date.parse(from), Date.parse(until)];
  return a <= t && t < b;
};

/** The inputs of one decision: the field's rule, who asks, about whom, what is known, and when. */
export interface DecisionInput {
  rule: FieldRule;
  caller: DisclosureContext;
  /** Null when no patron could be located (an anonymized record, an anonymous `me`). */
  subject: PatronId | null;
  /** Undefined when not loaded or not found: every exception that needs a fact then fails. */
  facts: SubjectFacts | undefined;
  clock: Clock;
}

/**
 * The policy: disclose under the first exception of the rule that applies to this caller and this
 * subject, de-identify for analytics where the schema allows, otherwise redact. Pure: no I/O, no
 * globals, no clock of its own. Every path that is not a positive finding ends in redaction.
 */
export function decide({ rule, caller, subject, facts: given, clock }: DecisionInput): Decision {
  let facts = given;
  const byCaller = decidedByCaller(rule, caller);
  if (byCaller.kind === 'decided') return byCaller.decision;
  if (subject === null) return redact('no-subject');
  // Facts about someone else are no facts about this subject.
  if (facts && facts.patronId !== subject) facts = undefined;
  for (const exception of byCaller.candidates) {
    switch (exception) {
      case 'SELF':
        if (caller.patronId === subject) return disclose('SELF');
        break;
      case 'OPERATIONS':
        return disclose('OPERATIONS');
      case 'CONSENT': {
        if (!facts?.exists) break;
        const consent = facts.consents.find(
          (c) =>
            c.grantee === caller.principal &&
            c.revokedAt === null &&
            within(clock.now, c.validFrom, c.validUntil) &&
            c.scope.includes(rule.category),
        );
        if (consent) return disclose('CONSENT', consent.documentRef);
        break;
      }
      case 'LEGAL_PROCESS': {
        if (!facts?.exists) break;
        const order = facts.legalOrders.find(
          (o) =>
            o.reference === caller.legalOrder &&
            within(clock.now, o.validFrom, o.validUntil) &&
            o.scope.includes(rule.category),
        );
        if (order) return disclose('LEGAL_PROCESS', order.reference);
        break;
      }
      case 'GUARDIAN': {
        if (!facts?.exists || facts.birthDate === null) break;
        if (facts.callerIsGuardian && isMinorOn(facts.birthDate, clock.today))
          return disclose('GUARDIAN');
        break;
      }
    }
  }
  // A missing fact (no such patron, an unknown birth date) ends like no exception: same reason.
  return redact('no-exception-for-caller');
}
