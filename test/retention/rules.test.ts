import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETENTION_RULES,
  describeRule,
  parseFeeRule,
  parseRule,
  retentionFromEnv,
  type RetentionRules,
} from '../../src/config/retention.js';
import {
  closedRecordDue,
  cutoff,
  loanDisposition,
  toDay,
  type LoanFacts,
} from '../../src/retention/rules.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-28T12:00:00.000Z');
const ago = (days: number, ms = 0) => new Date(NOW.getTime() - days * DAY - ms).toISOString();
const rules = (overrides: Partial<RetentionRules> = {}): RetentionRules => ({
  ...DEFAULT_RETENTION_RULES,
  ...overrides,
});
const loan = (overrides: Partial<LoanFacts> = {}): LoanFacts => ({
  patronId: 'pat_a',
  returnedAt: ago(1),
  readingHistory: false,
  fines: [],
  ...overrides,
});

describe('the rule grammar', () => {
  it.each([
    ['immediately', { kind: 'immediately' }],
    ['never', { kind: 'never' }],
    ['30d', { kind: 'after', days: 30 }],
    [' 7D ', { kind: 'after', days: 7 }],
    ['0d', { kind: 'immediately' }],
    ['3650d', { kind: 'after', days: 3650 }],
  ])('%j parses', (text, rule) => expect(parseRule(text)).toEqual(rule));

  it.each(['', 'soon', '30', 'd', '-1d', '3651d', '1.5d', '30 days', 'until-paid'])(
    '%j is refused',
    (text) => {
      expect(parseRule(text)).toBeNull();
    },
  );

  it('the fee rule takes until-paid as well as any closed-record rule', () => {
    expect(parseFeeRule('until-paid')).toEqual({ kind: 'until-paid' });
    expect(parseFeeRule('14d')).toEqual({ kind: 'after', days: 14 });
    expect(parseFeeRule('later')).toBeNull();
    expect(describeRule({ kind: 'after', days: 14 })).toBe('14d');
    expect(describeRule({ kind: 'until-paid' })).toBe('until-paid');
  });
});

describe('configuration from the environment', () => {
  it('defaults: everything immediately, fined loans until paid, nightly at 03:17 Denver time', () => {
    expect(retentionFromEnv({})).toEqual({
      rules: DEFAULT_RETENTION_RULES,
      schedule: { pattern: '17 3 * * *', timezone: 'America/Denver' },
    });
    expect(DEFAULT_RETENTION_RULES).toEqual({
      closedLoans: { kind: 'immediately' },
      loansWithFees: { kind: 'until-paid' },
      holds: { kind: 'immediately' },
      registrations: { kind: 'immediately' },
    });
  });

  it('reads each variable and turns the schedule off', () => {
    const config = retentionFromEnv({
      RETENTION_CLOSED_LOANS: '30d',
      RETENTION_LOANS_WITH_FEES: 'never',
      RETENTION_HOLDS: 'never',
      RETENTION_REGISTRATIONS: '90d',
      PURGE_SCHEDULE: 'off',
    });
    expect(config).toEqual({
      rules: {
        closedLoans: { kind: 'after', days: 30 },
        loansWithFees: { kind: 'never' },
        holds: { kind: 'never' },
        registrations: { kind: 'after', days: 90 },
      },
      schedule: null,
    });
  });

  it('names every bad variable', () => {
    expect(() =>
      retentionFromEnv({
        RETENTION_HOLDS: 'soon',
        PURGE_SCHEDULE: 'nightly',
        PURGE_TIMEZONE: 'Mars/Olympus',
        RETENTION_LOANS_WITH_FEES: '1y',
      }),
    ).toThrow(
      /RETENTION_LOANS_WITH_FEES[\s\S]*RETENTION_HOLDS[\s\S]*PURGE_SCHEDULE[\s\S]*PURGE_TIMEZONE/,
    );
  });
});

describe('cutoffs and the grace period', () => {
  it('immediately: due at the close itself; never: never due', () => {
    expect(cutoff({ kind: 'immediately' }, NOW)).toBe(NOW.toISOString());
    expect(cutoff({ kind: 'never' }, NOW)).toBeNull();
    expect(closedRecordDue({ kind: 'immediately' }, NOW.toISOString(), NOW)).toBe(true);
    expect(closedRecordDue({ kind: 'never' }, ago(10_000), NOW)).toBe(false);
  });

  it.each([
    [ago(30), true],
    [ago(30, -1), false],
    [ago(30, 1), true],
    [ago(29), false],
  ])('30d: a record closed at %s is due: %s', (closedAt, due) => {
    expect(closedRecordDue({ kind: 'after', days: 30 }, closedAt, NOW)).toBe(due);
  });
});

describe('loanDisposition: the table the purge implements', () => {
  const paid = (days: number) => ({ paidAt: ago(days) });
  it.each<[string, Partial<LoanFacts>, Partial<RetentionRules>, string]>([
    ['an anonymized loan stays so', { patronId: null }, {}, 'keep:anonymized'],
    ['an open loan', { returnedAt: null }, {}, 'keep:open'],
    ['a returned loan, immediately', {}, {}, 'anonymize'],
    ['a returned loan, never', {}, { closedLoans: { kind: 'never' } }, 'keep:retained'],
    [
      'inside a 30-day grace period',
      { returnedAt: ago(29) },
      { closedLoans: { kind: 'after', days: 30 } },
      'keep:retained',
    ],
    [
      'after a 30-day grace period',
      { returnedAt: ago(31) },
      { closedLoans: { kind: 'after', days: 30 } },
      'anonymize',
    ],
    ['the borrower keeps reading history', { readingHistory: true }, {}, 'keep:reading-history'],
    ['an unpaid fine keeps the link', { fines: [{ paidAt: null }] }, {}, 'keep:unpaid-fee'],
    [
      'one unpaid fine of two keeps it',
      { fines: [paid(1), { paidAt: null }] },
      {},
      'keep:unpaid-fee',
    ],
    [
      'an unpaid fine wins over any fee rule',
      { fines: [{ paidAt: null }] },
      { loansWithFees: { kind: 'immediately' } },
      'keep:unpaid-fee',
    ],
    ['paid: until-paid applies the closed-loan rule', { fines: [paid(0)] }, {}, 'anonymize'],
    [
      'paid: until-paid counts the grace from the payment',
      { returnedAt: ago(40), fines: [paid(10)] },
      { closedLoans: { kind: 'after', days: 30 } },
      'keep:retained',
    ],
    [
      'paid: grace elapsed since the payment',
      { returnedAt: ago(40), fines: [paid(31)] },
      { closedLoans: { kind: 'after', days: 30 } },
      'anonymize',
    ],
    [
      'paid: the last payment counts',
      { returnedAt: ago(40), fines: [paid(35), paid(5)] },
      { closedLoans: { kind: 'after', days: 30 } },
      'keep:retained',
    ],
    [
      'paid: a fee rule of its own',
      { fines: [paid(3)] },
      { loansWithFees: { kind: 'after', days: 7 } },
      'keep:retained',
    ],
    [
      'paid: fee rule never',
      { fines: [paid(300)] },
      { loansWithFees: { kind: 'never' } },
      'keep:retained',
    ],
    [
      'paid: fee rule immediately although loans wait 30d',
      { returnedAt: ago(2), fines: [paid(1)] },
      { closedLoans: { kind: 'after', days: 30 }, loansWithFees: { kind: 'immediately' } },
      'anonymize',
    ],
    ['unfined loans ignore the fee rule', {}, { loansWithFees: { kind: 'never' } }, 'anonymize'],
  ])('%s', (_, facts, overrides, expected) => {
    const result = loanDisposition(loan(facts), rules(overrides), NOW);
    expect(result.kind === 'keep' ? `keep:${result.reason}` : result.kind).toBe(expected);
  });
});

it('toDay keeps the UTC day only', () => {
  expect(toDay('2026-11-28T23:59:59.999Z')).toBe('2026-11-28T00:00:00.000Z');
});
