/**
 * How long the link between a patron and a closed record is kept (policy: "only as long as
 * needed"). Pure: the rules' evaluation against a clock, with no I/O, so the table of outcomes is
 * tested exhaustively and the SQL in `anonymize.ts` is checked against it.
 * Anchor: FOLIO's closed-loan anonymization settings, with their fee/fine exception. The rules
 * and their grammar are what an operator configures (src/config/retention.ts).
 */
import type { RetentionRule, RetentionRules } from '../config/retention.js';

const DAY_MS = 86_400_000;

/**
 * The latest close time at which a record is due for anonymization at `now` (ISO 8601), or null
 * when the rule keeps records forever. A record closed exactly `days` days ago is due.
 */
export function cutoff(rule: RetentionRule, now: Date): string | null {
  switch (rule.kind) {
    case 'immediately':
      return now.toISOString();
    case 'after':
      return new Date(now.getTime() - rule.days * DAY_MS).toISOString();
    case 'never':
      return null;
  }
}

/** The two cutoffs a loan is judged by: without fees (from the return) and with paid fees. */
export interface LoanCutoffs {
  unfined: string | null;
  /** Compared with the later of the return and the last payment. */
  fined: string | null;
}

/** The loan cutoffs of `rules` at `now`. */
export function loanCutoffs(rules: RetentionRules, now: Date): LoanCutoffs {
  const fee = rules.loansWithFees.kind === 'until-paid' ? rules.closedLoans : rules.loansWithFees;
  return { unfined: cutoff(rules.closedLoans, now), fined: cutoff(fee, now) };
}

/** What the rules need to know about one loan. Dates are ISO 8601 (UTC). */
export interface LoanFacts {
  /** Null once anonymized. */
  patronId: string | null;
  returnedAt: string | null;
  /** The borrower keeps reading history (then their returned loans stay theirs to see). */
  readingHistory: boolean;
  /** Each fee or fine on the loan: when it was paid, null while unpaid. */
  fines: ReadonlyArray<{ paidAt: string | null }>;
}

/** Why a loan keeps its patron, or that it is due to lose it. */
export type LoanDisposition =
  | { kind: 'anonymize' }
  | { kind: 'keep'; reason: 'anonymized' | 'open' | 'reading-history' | 'unpaid-fee' | 'retained' };

/** The rules applied to one loan at `now`: the specification the purge's SQL implements. */
export function loanDisposition(
  loan: LoanFacts,
  rules: RetentionRules,
  now: Date,
): LoanDisposition {
  if (loan.patronId === null) return { kind: 'keep', reason: 'anonymized' };
  if (loan.returnedAt === null) return { kind: 'keep', reason: 'open' };
  if (loan.readingHistory) return { kind: 'keep', reason: 'reading-history' };
  if (loan.fines.some((f) => f.paidAt === null)) return { kind: 'keep', reason: 'unpaid-fee' };
  const cuts = loanCutoffs(rules, now);
  const paid = loan.fines.map((f) => f.paidAt!).sort();
  const closedAt = paid.length > 0 ? [loan.returnedAt, ...paid].sort().at(-1)! : loan.returnedAt;
  const cut = paid.length > 0 ? cuts.fined : cuts.unfined;
  return cut !== null && closedAt <= cut
    ? { kind: 'anonymize' }
    : { kind: 'keep', reason: 'retained' };
}

/** Whether a hold, or a registration, closed at `closedAt` is due to lose its patron at `now`. */
export function closedRecordDue(rule: RetentionRule, closedAt: string, now: Date): boolean {
  const cut = cutoff(rule, now);
  return cut !== null && closedAt <= cut;
}

/** What an anonymized record keeps of a timestamp: its UTC day, as midnight of that day. */
export function toDay(timestamp: string): string {
  return `${timestamp.slice(0, 10)}T00:00:00.000Z`;
}
