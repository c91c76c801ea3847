import type { Decision } from '../privacy/decide/decision.js';
import type { FieldRule } from '../privacy/decide/rule.js';
import type { ProcessMetrics } from './metrics.js';

/**
 * A subgraph's decision observer (see PrivacyContext.observe): counts each decision by field and
 * outcome, with no subject. Redactions are counted here and nowhere else, so no patron id is ever
 * stored with one; and an unknown patron and one the caller may not see move the same series.
 */
export function privacyCounters(metrics: ProcessMetrics, service: string) {
  metrics.addService(service);
  return {
    /** Counts `times` identical decisions on one field. */
    observe: (rule: FieldRule, decision: Decision, times: number): void => {
      const field = rule.coordinate;
      if (decision.kind === 'redact')
        metrics.redactions.inc({ service, field, reason: decision.reason }, times);
      else if (decision.kind === 'disclose')
        metrics.disclosures.inc({ service, field, exception: decision.exception }, times);
      else metrics.deidentified.inc({ service, field, strategy: decision.strategy }, times);
    },
    /** Counts one failed audit write (its fields were redacted). */
    auditFailed: (): void => {
      metrics.auditFailures.inc({ service });
    },
    /** Times one audit append: its latency lands in the histogram whether it commits or fails. */
    timeAudit: <T>(append: Promise<T>): Promise<T> => {
      const end = metrics.auditWrites.startTimer({ service });
      return append.then(
        (value) => {
          end({ outcome: 'ok' });
          return value;
        },
        (error: unknown) => {
          end({ outcome: 'error' });
          throw error;
        },
      );
    },
  };
}
