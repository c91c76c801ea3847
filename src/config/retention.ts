import { z } from 'zod';
import { CronPattern } from 'croner';

/**
 * How long closed loans, holds and registrations keep their patron (RETENTION_*), and when the
 * purge runs (PURGE_*): the rules' grammar and defaults. Their evaluation against a clock is
 * src/retention/rules.ts.
 */

/** When a closed record loses its patron: at the close, a grace period after it, or never. */
export type RetentionRule =
  { kind: 'immediately' } | { kind: 'after'; days: number } | { kind: 'never' };

/**
 * The rule for loans that carried a fee or fine. An unpaid fine always keeps the link; once every
 * fine of the loan is paid, `until-paid` applies the closed-loan rule and any other rule applies
 * itself, counted from the later of the return and the last payment.
 */
export type FeeRule = { kind: 'until-paid' } | RetentionRule;

/** The retention configuration, one rule per kind of closed record. */
export interface RetentionRules {
  /** Returned loans without fees or fines. */
  closedLoans: RetentionRule;
  /** Returned loans that carried a fee or fine. */
  loansWithFees: FeeRule;
  /** Holds once FILLED or CANCELLED. */
  holds: RetentionRule;
  /** Event registrations once the event has ended. */
  registrations: RetentionRule;
}

/** The defaults: every link goes at the close; a fined loan keeps it until the fine is paid. */
export const DEFAULT_RETENTION_RULES: RetentionRules = {
  closedLoans: { kind: 'immediately' },
  loansWithFees: { kind: 'until-paid' },
  holds: { kind: 'immediately' },
  registrations: { kind: 'immediately' },
};

/** The longest grace period accepted: ten years. */
export const MAX_GRACE_DAYS = 3650;

/**
 * Parses `immediately`, `never` or `<N>d` (a grace period of N days, 0..3650; `0d` is
 * `immediately`). Returns null for anything else, so the caller names the bad variable.
 */
export function parseRule(text: string): RetentionRule | null {
  const value = text.trim().toLowerCase();
  if (value === 'immediately') return { kind: 'immediately' };
  if (value === 'never') return { kind: 'never' };
  const match = /^(\d{1,4})d$/.exec(value);
  if (!match) return null;
  const days = Number(match[1]);
  if (days > MAX_GRACE_DAYS) return null;
  return days === 0 ? { kind: 'immediately' } : { kind: 'after', days };
}

/** Parses the fee rule: `until-paid` or any closed-record rule (counted from the payment). */
export function parseFeeRule(text: string): FeeRule | null {
  return text.trim().toLowerCase() === 'until-paid' ? { kind: 'until-paid' } : parseRule(text);
}

/** A rule as its configuration text (what logs and the CLI print). */
export function describeRule(rule: FeeRule): string {
  return rule.kind === 'after' ? `${rule.days}d` : rule.kind;
}

const GRAMMAR = 'expected immediately, never or <N>d (a grace period of 0 to 3650 days, e.g. 30d)';

const rule = z.string().transform((text, ctx): RetentionRule => {
  const parsed = parseRule(text);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: GRAMMAR });
    return z.NEVER;
  }
  return parsed;
});

const feeRule = z.string().transform((text, ctx): FeeRule => {
  const parsed = parseFeeRule(text);
  if (!parsed) {
    ctx.addIssue({
      code: 'custom',
      message: `expected until-paid, or ${GRAMMAR.replace('expected ', '')}`,
    });
    return z.NEVER;
  }
  return parsed;
});

const schedule = z.string().refine((text) => {
  if (text === 'off') return true;
  try {
    new CronPattern(text);
    return true;
  } catch {
    return false;
  }
}, "expected a cron pattern (e.g. '17 3 * * *') or off");

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as America/Denver');

/**
 * The retention variables of the environment, with their defaults: spread into the one
 * environment schema of `src/config/env.ts`, so a bad value is reported with the others.
 */
export const RETENTION_ENV = {
  RETENTION_CLOSED_LOANS: rule.default(DEFAULT_RETENTION_RULES.closedLoans),
  RETENTION_LOANS_WITH_FEES: feeRule.default(DEFAULT_RETENTION_RULES.loansWithFees),
  RETENTION_HOLDS: rule.default(DEFAULT_RETENTION_RULES.holds),
  RETENTION_REGISTRATIONS: rule.default(DEFAULT_RETENTION_RULES.registrations),
  PURGE_SCHEDULE: schedule.default('17 3 * * *'),
  PURGE_TIMEZONE: timezone.default('America/Denver'),
};

/** The retention configuration: the rules, and when the in-process purge runs (null: never). */
export interface RetentionConfig {
  rules: RetentionRules;
  schedule: { pattern: string; timezone: string } | null;
}

/** The parsed retention variables, as `z.object(RETENTION_ENV)` yields them. */
export type RetentionEnv = z.infer<z.ZodObject<typeof RETENTION_ENV>>;

/** Builds the typed retention configuration from the parsed variables. */
export function retentionConfig(e: RetentionEnv): RetentionConfig {
  return {
    rules: {
      closedLoans: e.RETENTION_CLOSED_LOANS,
      loansWithFees: e.RETENTION_LOANS_WITH_FEES,
      holds: e.RETENTION_HOLDS,
      registrations: e.RETENTION_REGISTRATIONS,
    },
    schedule:
      e.PURGE_SCHEDULE === 'off' ? null : { pattern: e.PURGE_SCHEDULE, timezone: e.PURGE_TIMEZONE },
  };
}

/**
 * Reads only the retention variables (for `npm run purge`, which needs no keys or ports);
 * throws an Error naming every bad variable.
 */
export function retentionFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionConfig {
  const parsed = z.object(RETENTION_ENV).safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return retentionConfig(parsed.data);
}
