import { patronId } from '../context/ids.js';
import {
  candidateExceptions,
  decide,
  decisionForAnySubject,
  needsFacts,
} from '../decide/decide.js';
import type { FieldRule } from '../decide/rule.js';
import { STATUTORY_EXCEPTIONS, type PatronDataCategory, type RuleDuty } from '../vocabulary.js';
import type { PrivacyContext } from './privacyContext.js';

/** An instant cut to the midnight (UTC) of its day. */
export const toDayStart = (at: string): string => `${at.slice(0, 10)}T00:00:00.000Z`;

/**
 * The rule of a field naming the patron its parent row belongs to (`patronId`): any statutory
 * exception, for staff with `duty`, never de-identified.
 */
const patronOfParent = (
  coordinate: string,
  category: PatronDataCategory,
  duty: RuleDuty,
): FieldRule => ({
  coordinate,
  subject: { source: 'PARENT_FIELD', field: 'patronId' },
  category,
  deidentify: null,
  exceptions: STATUTORY_EXCEPTIONS,
  duties: [duty],
});

/** Who may see the exact times of a loan: whoever may see its borrower (`Loan.patron`). */
export const LOAN_ACTIVITY = patronOfParent('Loan.patron', 'CIRCULATION', 'circulation');
/** Who may see the exact times of a hold: whoever may see its patron (`Hold.patron`). */
export const HOLD_ACTIVITY = patronOfParent('Hold.patron', 'CIRCULATION', 'circulation');
/** Who may see the exact time of a registration: whoever may see its attendee (`Registration.attendee`). */
export const REGISTRATION_ACTIVITY = patronOfParent('Registration.attendee', 'EVENTS', 'events');

/**
 * A timestamp that follows from a patron's activity (a checkout, a due date, a hold, a
 * registration), as this caller may see it: exact only for a caller holding an exception for that
 * patron under `rule` (the rule of the field that names the patron), else cut to its day, which
 * is also what anonymized rows keep (no subject). The time of day would otherwise tie a record to
 * a person seen at the desk, or give away the checkout time (due minus the loan period).
 * Fails closed: any error while deciding gives the day.
 */
export function activityTime(
  privacy: PrivacyContext,
  rule: FieldRule,
  subject: string | null,
  at: string | null,
): string | null | Promise<string | null> {
  if (at === null) return null;
  const day = toDayStart(at);
  if (subject === null) return day;
  const { caller } = privacy;
  // Synchronous when the decision is the same for every patron (a list of 1,000 costs no promises).
  const settled = decisionForAnySubject(rule, caller);
  if (settled) return settled.kind === 'disclose' ? at : day;
  const decideWith = (facts: Parameters<typeof decide>[0]['facts']) =>
    decide({ rule, caller, subject: patronId(subject), facts, clock: privacy.clock }).kind ===
    'disclose'
      ? at
      : day;
  if (!needsFacts(candidateExceptions(rule, caller))) return decideWith(undefined);
  return privacy.facts.load(patronId(subject)).then(decideWith, () => day);
}
