import { z } from 'zod';
import { CronPattern } from 'croner';
import {
  DEFAULT_RETENTION_RULES,
  parseFeeRule,
  parseRule,
  type FeeRule,
  type RetentionRule,
  type RetentionRules,
} from './rules.js';

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
    ctx.addIssue({ code: 'custom', message: `expected until-paid, or ${GRAMMAR.replace('expected ', '')}` });
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
    schedule: e.PURGE_SCHEDULE === 'off' ? null : { pattern: e.PURGE_SCHEDULE, timezone: e.PURGE_TIMEZONE },
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
