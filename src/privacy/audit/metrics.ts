import type { Decision } from '../decide/decision.js';
import type { FieldRule } from '../decide/rule.js';

const outcomeOf = (decision: Decision): string =>
  decision.kind === 'redact' ? `redactions|reason="${decision.reason}"`
  : decision.kind === 'disclose' ? `disclosures|exception="${decision.exception}"`
  : `deidentified|strategy="${decision.strategy}"`;

/**
 * Counts decisions per field and outcome, for `/metrics`. Redactions are counted here and nowhere
 * else: no subject id is ever stored with a redaction.
 */
export class PrivacyMetrics {
  /** field coordinate -> outcome (e.g. `redactions|reason="no-subject"`) -> count. */
  readonly #counts = new Map<string, Map<string, number>>();
  #auditFailures = 0;

  constructor(private readonly service: string) {}

  /** A decision observer (see PrivacyContext.observe). */
  readonly observe = (rule: FieldRule, decision: Decision, times: number): void => {
    const outcome = outcomeOf(decision);
    let perField = this.#counts.get(rule.coordinate);
    if (!perField) this.#counts.set(rule.coordinate, (perField = new Map()));
    perField.set(outcome, (perField.get(outcome) ?? 0) + times);
  };

  /** Counts one failed audit write (its fields were redacted). */
  auditFailed(): void {
    this.#auditFailures += 1;
  }

  /** The counters in Prometheus' text format. */
  render(): string {
    const lines = [`library_privacy_audit_failures_total{service="${this.service}"} ${this.#auditFailures}`];
    for (const [field, outcomes] of this.#counts) {
      for (const [outcome, n] of outcomes) {
        const [name, label] = outcome.split('|') as [string, string];
        lines.push(`library_privacy_${name}_total{service="${this.service}",field="${field}",${label}} ${n}`);
      }
    }
    return lines.sort().join('\n') + '\n';
  }
}
