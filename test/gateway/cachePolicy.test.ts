import fs from 'node:fs';
import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import {
  CACHE_HINTS,
  PUBLIC_WRITES,
  VOLATILE_MAX_AGE,
} from '../../src/gateway/cache/cacheHints.js';
import { CacheHintError, CachePolicy, checkHints } from '../../src/gateway/cache/cachePolicy.js';
import { rulesFromSupergraph } from '../../src/gateway/prefilter/prefilterPlugin.js';

/**
 * What the public response cache may keep, decided from the committed supergraph: the behaviour
 * table of operation -> cacheable (with its maxAge and what writes can change it) or not (why).
 */
const { schema, rules } = rulesFromSupergraph(fs.readFileSync(SUPERGRAPH_FILE, 'utf8'));
const policy = new CachePolicy(schema, rules);
const analyze = (query: string, operationName?: string) => {
  const document = parse(query);
  const operation = getOperationAST(document, operationName);
  if (!operation) throw new Error(`no operation ${operationName ?? ''} in ${query}`);
  return policy.analyze(document, operation);
};

describe('operations over public data only are cacheable, for their shortest maxAge', () => {
  it.each([
    [
      'a catalog page',
      '{ works(first: 20, search: "the") { nodes { id title creators format } totalCount } branches { id name } }',
      300,
      [],
    ],
    ['branches', '{ branches { id code name address __typename } }', 3600, []],
    [
      'items and their branch',
      '{ work(id: "w") { items { barcode callNumber status branch { name } } } }',
      300,
      [],
    ],
    [
      'availability',
      '{ works { nodes { items { availability } } } }',
      VOLATILE_MAX_AGE,
      ['Item.availability'],
    ],
    [
      'hold counts, through a fragment',
      'query { works { nodes { ...W } } } fragment W on Work { title holdCount }',
      VOLATILE_MAX_AGE,
      ['Work.holdCount'],
    ],
    [
      'events and their counts',
      '{ events(first: 5) { title startsAt capacity registrationCount branch { name } } }',
      VOLATILE_MAX_AGE,
      ['Event.registrationCount'],
    ],
    ['one event', 'query($id: ID!) { event(id: $id) { title description } }', 60, []],
    [
      '@include and @skip (keyed by the variables)',
      'query($a: Boolean!) { branches { name @include(if: $a) id @skip(if: $a) } }',
      3600,
      [],
    ],
  ])('%s', (_name, query, maxAge, volatile) => {
    expect(analyze(query)).toEqual({ kind: 'cacheable', maxAge, volatile });
  });

  it('the operation named, of several in a document', () => {
    const document = 'query Public { branches { name } } query Private { me { name } }';
    expect(analyze(document, 'Public').kind).toBe('cacheable');
    expect(analyze(document, 'Private').kind).toBe('uncacheable');
    expect(() => analyze(document)).toThrow('no operation');
  });
});

describe('hostile shapes', () => {
  it('fragments that spread each other twice are walked once each, not 2^40 times', () => {
    const levels = 40;
    const fragments = ['fragment F0 on Branch { __typename name }'];
    for (let i = 1; i <= levels; i += 1)
      fragments.push(`fragment F${i} on Branch { ...F${i - 1} ...F${i - 1} }`);
    expect(analyze(`query { branches { id ...F${levels} } } ${fragments.join(' ')}`)).toEqual({
      kind: 'cacheable',
      maxAge: 3600,
      volatile: [],
    });
  });

  it('a root field is cached only when listed itself, never by the type it returns', () => {
    const { 'Query.works': _listed, ...fields } = CACHE_HINTS.fields;
    const unlisted = new CachePolicy(schema, rules, { ...CACHE_HINTS, fields });
    const document = parse('{ works { nodes { id } } }');
    expect(unlisted.analyze(document, getOperationAST(document)!)).toEqual({
      kind: 'uncacheable',
      reason: 'no cache hint for Query.works',
    });
  });
});

describe('anything else is not, and says why', () => {
  it.each([
    ["the caller's own record", '{ me { id } }', 'Query.me is confidential'],
    [
      'a patron by id, even only its id',
      '{ patron(id: "p") { id } }',
      'Query.patron is confidential',
    ],
    [
      'a patron field beside public ones',
      '{ branches { name } patron(id: "p") { name } }',
      'Query.patron is confidential',
    ],
    [
      'loans (no hint: not public data)',
      '{ loans { nodes { id } } }',
      'no cache hint for Query.loans',
    ],
    [
      "an item's due date",
      '{ works { nodes { items { dueAt } } } }',
      'Item.dueAt is a patron-activity timestamp',
    ],
    [
      'registrations of an event',
      '{ events { title registrations { id } } }',
      'no cache hint for Event.registrations',
    ],
    [
      'attendees of an event',
      '{ events { registrations { attendee { name } } } }',
      'no cache hint for Event.registrations',
    ],
    ['disclosures', '{ disclosures { totalCount } }', 'no cache hint for Query.disclosures'],
    [
      'statistics',
      '{ circulationStats(from: "2026-01", to: "2026-02") { releases { month } } }',
      'no cache hint for Query.circulationStats',
    ],
    ['introspection', '{ __schema { queryType { name } } }', 'introspection'],
    [
      'introspection of a type',
      '{ branches { name } __type(name: "Patron") { name } }',
      'introspection',
    ],
    ['a mutation', 'mutation { checkout(itemId: "i") { id } }', 'a mutation'],
    [
      'a mutation that names no patron',
      'mutation { authenticateWithCard(cardNumber: "c", pin: "p") { token } }',
      'a mutation',
    ],
    [
      'an unknown directive',
      '{ branches { name @deprecated } }',
      'a directive other than @include/@skip',
    ],
    [
      'a directive on the operation',
      'query @skip(if: true) { branches { name } }',
      'operation directives',
    ],
    [
      'a confidential field behind a fragment',
      'query { loans { nodes { ...L } } } fragment L on Loan { patron { name } }',
      'no cache hint for Query.loans',
    ],
  ])('%s', (_name, query, reason) => {
    expect(analyze(query)).toEqual({ kind: 'uncacheable', reason });
  });

  it('no confidential field of the supergraph has a hint, and none asked at the root is cacheable', () => {
    expect(rules.size).toBeGreaterThan(20);
    for (const coordinate of rules.keys()) {
      const [type, field] = coordinate.split('.') as [string, string];
      const selection =
        type === 'Query' ? `{ ${field} { __typename } }` : `{ works { nodes { ${field} } } }`;
      expect(CACHE_HINTS.fields[coordinate], coordinate).toBeUndefined();
      if (type === 'Query' || type === 'Work')
        expect(analyze(selection).kind, coordinate).toBe('uncacheable');
    }
  });
});

describe('the hints table is checked against the supergraph at start', () => {
  it.each([
    [
      'a confidential field',
      { types: {}, fields: { 'Patron.name': 60 } },
      'Patron.name: the field is @confidential',
    ],
    [
      'a confidential root field',
      { types: {}, fields: { 'Query.me': 60 } },
      'Query.me: the field is @confidential',
    ],
    [
      'an activity timestamp',
      { types: {}, fields: { 'Loan.dueAt': 60 } },
      'Loan.dueAt: a patron-activity timestamp',
    ],
    [
      'a type-wide confidential type',
      { types: { DisclosureRecord: 60 }, fields: {} },
      'DisclosureRecord: the type is @confidential',
    ],
    [
      'an unknown field',
      { types: {}, fields: { 'Work.nope': 60 } },
      'Work.nope: no such field in the supergraph',
    ],
    [
      'a scalar as a type',
      { types: { DateTime: 60 }, fields: {} },
      'DateTime: not an object type of the supergraph',
    ],
    [
      'a zero maxAge',
      { types: { Branch: 0 }, fields: {} },
      'Branch: maxAge must be a positive whole number of seconds',
    ],
  ])('refuses %s', (_name, hints, problem) => {
    expect(() => checkHints(schema, rules, hints)).toThrow(CacheHintError);
    expect(() => checkHints(schema, rules, hints)).toThrow(problem);
  });

  it("accepts the library's own table", () => {
    expect(() => checkHints(schema, rules, CACHE_HINTS)).not.toThrow();
  });
});

describe('every mutation of the supergraph says which public values it changes', () => {
  it('PUBLIC_WRITES lists each one (an unlisted mutation empties the whole cache)', () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
    expect(Object.keys(PUBLIC_WRITES).sort()).toEqual(mutations);
  });

  it('and names only fields the hints make cacheable', () => {
    for (const coordinate of Object.values(PUBLIC_WRITES).flat())
      expect(CACHE_HINTS.fields[coordinate], coordinate).toBeDefined();
  });
});
