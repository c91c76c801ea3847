import type { Deidentification, StatutoryException } from '../vocabulary.js';

/**
 * Why a field was redacted: counted in metrics and logs, never shown to a client. A patron who
 * does not exist (a missing fact) is `no-exception-for-caller` too: a separate reason would let
 * whoever reads the counters tell an unknown id from one the caller may not see.
 */
export type RedactReason = 'no-exception-for-caller' | 'no-subject' | 'error';

/** The outcome of the policy for one field and one data subject. */
export type Decision =
  | { kind: 'disclose'; exception: StatutoryException; reference: string | null }
  | { kind: 'redact'; reason: RedactReason }
  | { kind: 'deidentify'; strategy: Deidentification };

/** Disclose under `exception`, citing the consent or legal order when there is one. */
export const disclose = (
  exception: StatutoryException,
  reference: string | null = null,
): Decision => ({
  kind: 'disclose',
  exception,
  reference,
});
/** Withhold the field. */
export const redact = (reason: RedactReason): Decision => ({ kind: 'redact', reason });

/** True when the decision lets the value through unchanged. */
export const isDisclose = (d: Decision): d is Extract<Decision, { kind: 'disclose' }> =>
  d.kind === 'disclose';
