/**
 * De-identification for analytics (src/privacy/enforce/deidentify.ts): age bands at every boundary
 * and keyed, period-rotated pseudonyms.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGE_BANDS,
  ageBand,
  deidentifyValue,
  pseudonym,
} from '../../../src/privacy/enforce/deidentify.js';
import { isMinorOn } from '../../../src/privacy/decide/decide.js';
import { patronId } from '../../../src/privacy/context/ids.js';

const TODAY = '2026-03-15';
/** A birth date exactly `years` years before TODAY, shifted by `days` (+1 = birthday is tomorrow). */
const bornYearsAgo = (years: number, days = 0): string => {
  const d = new Date(Date.UTC(2026 - years, 2, 15 + days));
  return d.toISOString().slice(0, 10);
};

describe('ageBand', () => {
  const band = (age: number): string => {
    if (age <= 12) return '0-12';
    if (age <= 17) return '13-17';
    if (age <= 24) return '18-24';
    if (age <= 44) return '25-44';
    if (age <= 64) return '45-64';
    return '65+';
  };
  const rows = [12, 13, 17, 18, 24, 25, 44, 45, 64, 65].flatMap((age) => [
    { name: `turned ${age} today`, birth: bornYearsAgo(age), expected: band(age) },
    { name: `turned ${age} yesterday`, birth: bornYearsAgo(age, -1), expected: band(age) },
    {
      name: `turns ${age} tomorrow (still ${age - 1})`,
      birth: bornYearsAgo(age, 1),
      expected: band(age - 1),
    },
  ]);

  it.each(rows)('$name ($birth on 2026-03-15) -> $expected', ({ birth, expected }) => {
    expect(ageBand(birth, TODAY)).toBe(expected);
  });

  it.each([
    { name: 'born today', birth: '2026-03-15', today: TODAY, expected: '0-12' },
    {
      name: '13th birthday on 31 Dec',
      birth: '2013-12-31',
      today: '2026-12-31',
      expected: '13-17',
    },
    {
      name: 'day before 13th birthday on 31 Dec',
      birth: '2013-12-31',
      today: '2026-12-30',
      expected: '0-12',
    },
    {
      name: 'born 1 Jan, 18 on 1 Jan',
      birth: '2008-01-01',
      today: '2026-01-01',
      expected: '18-24',
    },
    {
      name: 'born 1 Jan, still 17 on 31 Dec',
      birth: '2008-01-01',
      today: '2025-12-31',
      expected: '13-17',
    },
    {
      name: 'born 29 Feb 2008, on 28 Feb 2026 (17)',
      birth: '2008-02-29',
      today: '2026-02-28',
      expected: '13-17',
    },
    {
      name: 'born 29 Feb 2008, on 1 Mar 2026 (18)',
      birth: '2008-02-29',
      today: '2026-03-01',
      expected: '18-24',
    },
    {
      name: 'born 29 Feb 1960, on 28 Feb 2025 (64)',
      birth: '1960-02-29',
      today: '2025-02-28',
      expected: '45-64',
    },
    {
      name: 'born 29 Feb 1960, on 1 Mar 2025 (65)',
      birth: '1960-02-29',
      today: '2025-03-01',
      expected: '65+',
    },
    { name: 'a centenarian', birth: '1920-06-01', today: TODAY, expected: '65+' },
  ])('$name -> $expected', ({ birth, today, expected }) => {
    expect(ageBand(birth, today)).toBe(expected);
  });

  it('always answers one of AGE_BANDS', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2026-03-15T00:00:00Z'),
          noInvalidDate: true,
        }),
        (birth) =>
          (AGE_BANDS as readonly string[]).includes(
            ageBand(birth.toISOString().slice(0, 10), TODAY),
          ),
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with isMinorOn: under 18 exactly when the band is 0-12 or 13-17', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2026-03-15T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.date({
          min: new Date('2026-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (birth, today) => {
          const b = birth.toISOString().slice(0, 10);
          const t = today.toISOString().slice(0, 10);
          fc.pre(b <= t);
          return isMinorOn(b, t) === ['0-12', '13-17'].includes(ageBand(b, t));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('pseudonym', () => {
  const ID = patronId('pat_4c2e9a71d05b');
  const OTHER = patronId('pat_9b73f0e6a218');
  const KEY = 'pseudonym-key-for-tests';

  it('is stable for the same subject, key and period', () => {
    expect(pseudonym(ID, KEY, '2026-Q1')).toBe(pseudonym(ID, KEY, '2026-Q1'));
  });

  it('differs across periods, keys and subjects', () => {
    const base = pseudonym(ID, KEY, '2026-Q1');
    expect(pseudonym(ID, KEY, '2026-Q2')).not.toBe(base);
    expect(pseudonym(ID, 'another-key', '2026-Q1')).not.toBe(base);
    expect(pseudonym(OTHER, KEY, '2026-Q1')).not.toBe(base);
  });

  it('is 22 url-safe characters and never contains the raw id', () => {
    const p = pseudonym(ID, KEY, '2026-Q1');
    expect(p).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(p).not.toContain(ID);
    expect(p).not.toContain('4c2e9a71d05b');
  });

  it('never contains the raw id, for arbitrary ids, keys and periods', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^pat_[0-9a-f]{12}$/),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom('2026-Q1', '2026-Q2', '2026-03', '2027'),
        (id, key, period) => {
          const p = pseudonym(patronId(id), key, period);
          return !p.includes(id) && !p.includes(id.slice(4)) && p.length === 22;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is different for two periods and for two keys, for arbitrary ids (no collisions seen)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^pat_[0-9a-f]{12}$/), (id) => {
        const s = patronId(id);
        return (
          pseudonym(s, KEY, 'P1') !== pseudonym(s, KEY, 'P2') &&
          pseudonym(s, 'k1', 'P1') !== pseudonym(s, 'k2', 'P1')
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('deidentifyValue', () => {
  const options = { key: 'k', period: '2026-Q1', today: TODAY };
  const ID = patronId('pat_4c2e9a71d05b');

  it.each([
    // The field gives the period of its record (the checkout's); the subject is keyed for that period.
    {
      name: 'PSEUDONYM of a subject for a record of 2025-11 -> its pseudonym of 2025-11',
      strategy: 'PSEUDONYM' as const,
      value: '2025-11',
      subject: ID,
      expected: pseudonym(ID, 'k', '2025-11'),
    },
    {
      name: 'PSEUDONYM for a quarter -> the pseudonym of that quarter',
      strategy: 'PSEUDONYM' as const,
      value: '2026-Q1',
      subject: ID,
      expected: pseudonym(ID, 'k', '2026-Q1'),
    },
    {
      name: 'PSEUDONYM without a subject -> null',
      strategy: 'PSEUDONYM' as const,
      value: '2026-Q1',
      subject: null,
      expected: null,
    },
    {
      name: 'PSEUDONYM of a value that is no period (the id itself) -> null',
      strategy: 'PSEUDONYM' as const,
      value: ID,
      subject: ID,
      expected: null,
    },
    {
      name: 'AGE_BAND of a date -> its band',
      strategy: 'AGE_BAND' as const,
      value: '2013-09-01',
      subject: ID,
      expected: '0-12',
    },
    {
      name: 'AGE_BAND of null -> null',
      strategy: 'AGE_BAND' as const,
      value: null,
      subject: ID,
      expected: null,
    },
    {
      name: 'AGE_BAND of a number -> null',
      strategy: 'AGE_BAND' as const,
      value: 1991,
      subject: ID,
      expected: null,
    },
    {
      name: 'AGE_BAND of a non-date string -> null',
      strategy: 'AGE_BAND' as const,
      value: 'June 2 1991',
      subject: ID,
      expected: null,
    },
    {
      name: 'DAY of a timestamp -> its day',
      strategy: 'DAY' as const,
      value: '2026-03-15T18:22:05.123Z',
      subject: ID,
      expected: '2026-03-15',
    },
    {
      name: 'DAY of an object -> null',
      strategy: 'DAY' as const,
      value: { at: '2026-03-15' },
      subject: ID,
      expected: null,
    },
  ])('$name', ({ strategy, value, subject, expected }) => {
    expect(deidentifyValue(strategy, value, subject, options)).toBe(expected);
  });

  it('never returns the raw patron id under PSEUDONYM', () => {
    expect(deidentifyValue('PSEUDONYM', '2026-Q1', ID, options)).not.toContain(ID);
    expect(deidentifyValue('PSEUDONYM', ID, ID, options)).toBeNull();
  });
});
