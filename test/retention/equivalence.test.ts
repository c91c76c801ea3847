import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueHoldIds, dueLoanIds, dueRegistrationIds } from '../../src/retention/anonymize.js';
import type { FeeRule, RetentionRule, RetentionRules } from '../../src/config/retention.js';
import {
  closedRecordDue,
  cutoff,
  loanCutoffs,
  loanDisposition,
} from '../../src/retention/rules.js';
import { DAY, retentionFixture } from './fixture.js';
import { TEST_ON_POSTGRES } from '../support/database.js';

// The purge's SQL (anonymize.ts) against the rules' specification (rules.ts), on random data:
// the rows the SQL finds due are exactly those the specification says to anonymize.
const NOW = Date.parse('2026-11-28T12:00:00.000Z');
// On PostgreSQL every run migrates two fresh schemas, so it runs fewer cases in the same time.
const RUNS = Number(process.env.PROPERTY_RUNS ?? (TEST_ON_POSTGRES ? 12 : 60));

// Whole days around NOW, give or take a millisecond, so records land exactly on cutoffs often.
const instant = fc
  .tuple(fc.integer({ min: -10, max: 2 }), fc.constantFrom(0, 0, 1, -1))
  .map(([days, ms]) => new Date(NOW + days * DAY + ms).toISOString());
const rule: fc.Arbitrary<RetentionRule> = fc.oneof(
  fc.constant({ kind: 'immediately' } as const),
  fc.constant({ kind: 'never' } as const),
  fc.integer({ min: 1, max: 6 }).map((days) => ({ kind: 'after', days }) as const),
);
const feeRule: fc.Arbitrary<FeeRule> = fc.oneof(fc.constant({ kind: 'until-paid' } as const), rule);
const rules: fc.Arbitrary<RetentionRules> = fc.record({
  closedLoans: rule,
  loansWithFees: feeRule,
  holds: rule,
  registrations: rule,
});
const loan = fc.record({
  patron: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 5 }),
  returnedAt: fc.option(instant, { freq: 6 }),
  fines: fc.array(fc.option(instant, { freq: 3 }), { maxLength: 2 }),
});
const hold = fc.record({
  status: fc.constantFrom('WAITING', 'READY', 'FILLED', 'CANCELLED'),
  closedAt: instant,
});
const scenario = fc.record({
  rules,
  now: fc.integer({ min: -2, max: 6 }).map((days) => new Date(NOW + days * DAY)),
  readers: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  loans: fc.array(loan, { maxLength: 12 }),
  holds: fc.array(hold, { maxLength: 6 }),
  registrations: fc.array(instant, { maxLength: 6 }),
});

describe('the purge SQL equals the rules', () => {
  it(
    'for loans (with fines and reading history), holds and registrations',
    { timeout: TEST_ON_POSTGRES ? 240_000 : 60_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const f = await retentionFixture();
          try {
            const patrons = s.readers.map((_, i) => `pat_${i}`);
            for (const [i, reader] of s.readers.entries())
              await f.patron(patrons[i]!, { readingHistory: reader });
            const expectedLoans: number[] = [];
            for (const l of s.loans) {
              const patronId = l.patron === null ? null : patrons[l.patron]!;
              const id = await f.loan(patronId, l.returnedAt);
              for (const paidAt of l.fines) await f.fine(id, patronId ?? 'pat_0', paidAt);
              const facts = {
                patronId,
                returnedAt: l.returnedAt,
                readingHistory: l.patron !== null && s.readers[l.patron] === true,
                fines: l.fines.map((paidAt) => ({ paidAt })),
              };
              if (loanDisposition(facts, s.rules, s.now).kind === 'anonymize')
                expectedLoans.push(id);
            }
            const expectedHolds: number[] = [];
            for (const h of s.holds) {
              const closed = h.status === 'FILLED' || h.status === 'CANCELLED';
              const id = await f.hold('pat_1', h.status as 'WAITING', closed ? h.closedAt : null);
              if (closed && closedRecordDue(s.rules.holds, h.closedAt, s.now))
                expectedHolds.push(id);
            }
            const expectedRegistrations: number[] = [];
            for (const endsAt of s.registrations) {
              const id = await f.registration('pat_2', endsAt);
              if (closedRecordDue(s.rules.registrations, endsAt, s.now))
                expectedRegistrations.push(id);
            }
            const all = { after: 0, limit: 1000 };
            expect(await dueLoanIds(f.circulation.db, loanCutoffs(s.rules, s.now), all)).toEqual(
              expectedLoans,
            );
            expect(await dueHoldIds(f.circulation.db, cutoff(s.rules.holds, s.now), all)).toEqual(
              expectedHolds,
            );
            expect(
              await dueRegistrationIds(f.events.db, cutoff(s.rules.registrations, s.now), 0, 1000),
            ).toEqual(expectedRegistrations);
          } finally {
            await f.close();
          }
        }),
        { numRuns: RUNS },
      );
    },
  );
});
