import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import { AuditRecorder, type AuditSink } from '../audit/recorder.js';
import type { DisclosureContext } from '../context/disclosureContext.js';
import type { PatronId } from '../context/ids.js';
import type { Clock } from '../decide/decide.js';
import type { Decision } from '../decide/decision.js';
import type { SubjectFacts } from '../decide/facts.js';
import type { FieldRule } from '../decide/rule.js';
import { periodOf, type PseudonymPeriod } from './pseudonymPeriod.js';

/**
 * The one narrow read interface to circulation's registers: facts about many subjects relative to
 * one caller, in one call. Circulation implements it over its database; the other subgraphs over
 * circulation's signed `/internal/facts` endpoint (docs/privacy.md).
 */
export interface FactsSource {
  /** Facts for each id, in the order asked; an id with no patron gets `exists: false`. */
  load(caller: DisclosureContext, subjects: readonly PatronId[]): Promise<SubjectFacts[]>;
}

/** Observes decisions, e.g. to count redactions: `times` fields of a request got `decision`. */
export type DecisionObserver = (rule: FieldRule, decision: Decision, times: number) => void;

/** A field's decision that holds for every subject in this request, and how often it was applied. */
export interface Settled {
  decision: Decision;
  uses: number;
}

/** What enforcement needs for one request; built fresh per request, never shared. */
export interface PrivacyContext {
  caller: DisclosureContext;
  clock: Clock;
  /** Per-request batch of subject facts: one call per tick, whatever the list length. */
  facts: DataLoader<PatronId, SubjectFacts>;
  /** The pseudonym key, the period of the request and the length of a period (PSEUDONYM_PERIOD). */
  pseudonym: { key: string; period: string; unit: PseudonymPeriod };
  logger: Logger;
  observe?: DecisionObserver;
  /** Per field, the decision that holds for any existing subject, once computed (see decisionForAnySubject). */
  memo: Map<FieldRule, Settled | null>;
  /**
   * Per field, the decisions made subject by subject, counted by what the observer tells apart
   * (kind and exception, reason or strategy), for reportDecisions to report once per request.
   */
  tally: Map<FieldRule, Settled[]>;
  /** Whether the decisions were reported to the observer (reportDecisions): a request's are counted once. */
  reported: boolean;
  /** Notes disclosures for the audit written before the response leaves; null only where auditing is off (benchmarks). */
  audit: AuditRecorder | null;
}

/** Builds a request's privacy context around a facts source. */
export function createPrivacyContext(options: {
  caller: DisclosureContext;
  source: FactsSource;
  now: Date;
  pseudonymKey: string;
  /** How long a pseudonym lasts (PSEUDONYM_PERIOD); a month unless configured. */
  pseudonymPeriod?: PseudonymPeriod;
  logger: Logger;
  observe?: DecisionObserver;
  /** Where this request's disclosure records go; omitted, nothing is audited. */
  audit?: AuditSink;
  /** The HTTP transport holds the serialized response until the audit is written (see AuditRecorder). */
  auditHeldByTransport?: boolean;
}): PrivacyContext {
  const { caller, source } = options;
  const now = options.now.toISOString();
  const facts = new DataLoader<PatronId, SubjectFacts>((ids) => source.load(caller, ids), {
    maxBatchSize: 5000,
  });
  return {
    caller,
    clock: { now, today: now.slice(0, 10) },
    facts,
    pseudonym: {
      key: options.pseudonymKey,
      period: periodOf(now, options.pseudonymPeriod ?? 'month'),
      unit: options.pseudonymPeriod ?? 'month',
    },
    logger: options.logger,
    memo: new Map(),
    tally: new Map(),
    reported: false,
    audit: options.audit
      ? new AuditRecorder(caller, options.audit, options.auditHeldByTransport)
      : null,
    ...(options.observe ? { observe: options.observe } : {}),
  };
}
