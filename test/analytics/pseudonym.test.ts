/**
 * Patron keys for analytics: keyed, period-rotated pseudonyms. The period labels, the key's
 * stability within a period and its change across periods, through the privacy guard as a
 * subgraph runs it (analytics alone receive it), and the configuration that sets key, period and k.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { buildSchema, execute, parse, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/log/logger.js';
import {
  anonymousContext,
  type DisclosureContext,
} from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';
import { pseudonym } from '../../src/privacy/enforce/deidentify.js';
import { enforcePrivacy } from '../../src/privacy/enforce/enforce.js';
import { createPrivacyContext } from '../../src/privacy/enforce/privacyContext.js';
import { periodOf, type PseudonymPeriod } from '../../src/privacy/enforce/pseudonymPeriod.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';

describe('periodOf', () => {
  it.each([
    { at: '2026-01-01T00:00:00.000Z', month: '2026-01', quarter: '2026-Q1', year: '2026' },
    { at: '2026-03-31T23:59:59.999Z', month: '2026-03', quarter: '2026-Q1', year: '2026' },
    { at: '2026-04-01T00:00:00.000Z', month: '2026-04', quarter: '2026-Q2', year: '2026' },
    { at: '2026-09-30T12:00:00.000Z', month: '2026-09', quarter: '2026-Q3', year: '2026' },
    { at: '2026-12-31T23:59:59.999Z', month: '2026-12', quarter: '2026-Q4', year: '2026' },
    { at: '2027-01-01T00:00:00.000Z', month: '2027-01', quarter: '2027-Q1', year: '2027' },
  ])('$at: $month, $quarter, $year', ({ at, month, quarter, year }) => {
    expect([periodOf(at, 'month'), periodOf(at, 'quarter'), periodOf(at, 'year')]).toEqual([
      month,
      quarter,
      year,
    ]);
    expect(periodOf(new Date(at), 'quarter')).toBe(quarter);
  });
});

// A loan-like type with the schema's own directives: `key` is what Loan.borrowerKey is.
const privacySdl = fs.readFileSync(`${REPO_ROOT}schema/privacy.graphql`, 'utf8');
const base = buildSchema(`${privacySdl}
  type Loan {
    id: ID!
    key: String @confidential(subject: PARENT_FIELD, subjectField: "patronId", category: CIRCULATION, deidentify: PSEUDONYM) @disclosableUnder(exceptions: [])
  }
  type Query { loans: [Loan!]! }
`);
const PATRONS = ['pat_4c2e9a71d05b', 'pat_9b73f0e6a218', 'pat_1e8d5c3b7f90'];
/** When the fixture's loans were checked out; each test sets it. */
let checkout = '2026-03-15T10:00:00Z';
(base.getQueryType() as GraphQLObjectType).getFields().loans!.resolve = () =>
  PATRONS.map((p, i) => ({ id: String(i), patronId: p, checkedOut: checkout }));
// As circulation's resolver does: the period of the record; the guard keys the patron for it.
(base.getType('Loan') as GraphQLObjectType).getFields().key!.resolve = (
  l: { checkedOut: string },
  _: unknown,
  ctx: { privacy: { pseudonym: { unit: PseudonymPeriod } } },
) => periodOf(l.checkedOut, ctx.privacy.pseudonym.unit);
const schema = enforcePrivacy(base);
const KEY = 'pseudonym-key-for-analytics-tests-0123456789';

const analytics: DisclosureContext = {
  ...anonymousContext('r'),
  principal: principalId('analytics:planning'),
  roles: ['analytics'],
};
const staff: DisclosureContext = {
  ...anonymousContext('r'),
  principal: principalId('staff:desk'),
  roles: ['staff'],
  duties: ['circulation'],
};

async function keys(
  caller: DisclosureContext,
  at: string,
  period: PseudonymPeriod,
  key = KEY,
  now = '2026-06-20T08:00:00Z',
) {
  checkout = at;
  const privacy = createPrivacyContext({
    caller,
    source: { load: async () => [] },
    now: new Date(now),
    pseudonymKey: key,
    pseudonymPeriod: period,
    logger: createLogger('t', 'silent'),
  });
  const result = await execute({
    schema,
    document: parse('{ loans { key } }'),
    contextValue: { privacy },
  });
  return {
    keys: (result.data?.loans as { key: string | null }[]).map((l) => l.key),
    errors: result.errors ?? [],
  };
}

describe('patron keys through the privacy guard', () => {
  it('analytics get the keyed pseudonym of the checkout period (not the request period), never the id', async () => {
    const { keys: got, errors } = await keys(analytics, '2026-03-15T10:00:00Z', 'month');
    expect(errors).toEqual([]);
    expect(got).toEqual(PATRONS.map((p) => pseudonym(patronId(p), KEY, '2026-03')));
    for (const [i, k] of got.entries()) {
      expect(k).not.toContain(PATRONS[i]!);
      expect(k).not.toContain(PATRONS[i]!.slice(4));
    }
  });

  it.each([
    {
      period: 'month' as const,
      same: ['2026-03-01T00:00:00Z', '2026-03-31T23:59:59Z'],
      next: '2026-04-01T00:00:00Z',
    },
    {
      period: 'quarter' as const,
      same: ['2026-01-01T00:00:00Z', '2026-03-31T23:59:59Z'],
      next: '2026-04-01T00:00:00Z',
    },
    {
      period: 'year' as const,
      same: ['2026-01-01T00:00:00Z', '2026-12-31T23:59:59Z'],
      next: '2027-01-01T00:00:00Z',
    },
  ])(
    'per $period: the same for checkouts within it, all different in the next',
    async ({ period, same, next }) => {
      const [a, b, c] = await Promise.all([
        keys(analytics, same[0]!, period),
        keys(analytics, same[1]!, period),
        keys(analytics, next, period),
      ]);
      expect(b.keys).toEqual(a.keys);
      for (const [i, k] of c.keys.entries()) expect(k).not.toBe(a.keys[i]);
      expect(new Set(a.keys).size).toBe(PATRONS.length);
    },
  );

  it('another key gives unrelated pseudonyms', async () => {
    const [a, b] = await Promise.all([
      keys(analytics, '2026-03-15T00:00:00Z', 'month'),
      keys(analytics, '2026-03-15T00:00:00Z', 'month', `${KEY}-rotated`),
    ]);
    for (const [i, k] of b.keys.entries()) expect(k).not.toBe(a.keys[i]);
  });

  it('the time of the request does not change a key', async () => {
    const [a, b] = await Promise.all([
      keys(analytics, '2026-03-15T10:00:00Z', 'month', KEY, '2026-03-20T00:00:00Z'),
      keys(analytics, '2026-03-15T10:00:00Z', 'month', KEY, '2027-01-02T00:00:00Z'),
    ]);
    expect(b.keys).toEqual(a.keys);
  });

  it('no one else receives it, staff included', async () => {
    const { keys: got, errors } = await keys(staff, '2026-03-15T10:00:00Z', 'month');
    expect(got).toEqual([null, null, null]);
    expect(errors.map((e) => e.extensions.code)).toEqual([
      'PRIVACY_REDACTED',
      'PRIVACY_REDACTED',
      'PRIVACY_REDACTED',
    ]);
  });

  it('for any patron and any two instants, the keys agree exactly when the periods do', () => {
    const instant = fc.date({
      min: new Date('2024-01-01T00:00:00Z'),
      max: new Date('2028-12-31T23:59:59Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(
        fc.stringMatching(/^pat_[0-9a-f]{12}$/),
        instant,
        instant,
        fc.constantFrom<PseudonymPeriod>('month', 'quarter', 'year'),
        (id, s, t, unit) => {
          const [p, q] = [periodOf(s, unit), periodOf(t, unit)];
          const same = pseudonym(patronId(id), KEY, p) === pseudonym(patronId(id), KEY, q);
          return same === (p === q);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('configuration', () => {
  const production = {
    NODE_ENV: 'production',
    JWT_JWKS_URL: 'https://idp.example/jwks',
    CONTEXT_SECRET: 'c'.repeat(48),
    AUDIT_KEY: 'a'.repeat(48),
  };

  it('defaults: a month per key, k = 10, a development key that is not the context secret', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.analytics.pseudonymPeriod).toBe('month');
    expect(config.analytics.minCellSize).toBe(10);
    expect(config.analytics.pseudonymKey).not.toBe(config.contextSecret);
  });

  it('reads PSEUDONYM_KEY, PSEUDONYM_PERIOD, ANALYTICS_MIN_CELL and the DP parameters', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      PSEUDONYM_KEY: 'p'.repeat(40),
      PSEUDONYM_PERIOD: 'quarter',
      ANALYTICS_MIN_CELL: '25',
      ANALYTICS_DP_EPSILON: '0.5',
      ANALYTICS_DP_CONTRIBUTION: '4',
    });
    expect(config.analytics).toEqual({
      pseudonymKey: 'p'.repeat(40),
      pseudonymPeriod: 'quarter',
      minCellSize: 25,
      dp: { epsilon: 0.5, contribution: 4 },
    });
    expect(loadConfig({ NODE_ENV: 'test' }).analytics.dp).toEqual({ epsilon: 1, contribution: 8 });
  });

  it.each([
    { env: { PSEUDONYM_PERIOD: 'week' }, message: /PSEUDONYM_PERIOD/ },
    { env: { PSEUDONYM_KEY: 'short' }, message: /PSEUDONYM_KEY must be at least 32 characters/ },
    { env: { ANALYTICS_MIN_CELL: '1' }, message: /ANALYTICS_MIN_CELL/ },
    { env: { ANALYTICS_MIN_CELL: 'ten' }, message: /ANALYTICS_MIN_CELL/ },
    { env: { ANALYTICS_DP_EPSILON: '0' }, message: /ANALYTICS_DP_EPSILON/ },
    { env: { ANALYTICS_DP_CONTRIBUTION: '0' }, message: /ANALYTICS_DP_CONTRIBUTION/ },
  ])('refuses $env', ({ env, message }) => {
    expect(() => loadConfig({ NODE_ENV: 'test', ...env })).toThrow(message);
  });

  it('production requires PSEUDONYM_KEY', () => {
    expect(() => loadConfig(production)).toThrow(/PSEUDONYM_KEY: required in production/);
    expect(() => loadConfig({ ...production, PSEUDONYM_KEY: 'p'.repeat(48) })).not.toThrow(
      /PSEUDONYM_KEY/,
    );
  });

  it('production requires TALLY_KEY (the tally is keyed from configuration, never from the database)', () => {
    expect(() => loadConfig({ ...production, PSEUDONYM_KEY: 'p'.repeat(48) })).toThrow(
      /TALLY_KEY: required in production/,
    );
    expect(() =>
      loadConfig({ ...production, PSEUDONYM_KEY: 'p'.repeat(48), TALLY_KEY: 't'.repeat(48) }),
    ).not.toThrow(/TALLY_KEY/);
    expect(() => loadConfig({ NODE_ENV: 'test', TALLY_KEY: 'short' })).toThrow(
      /TALLY_KEY must be at least 32 characters/,
    );
  });
});
