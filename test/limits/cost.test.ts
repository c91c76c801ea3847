import fs from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { buildASTSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import {
  checkOperation,
  subgraphLimits,
  type OperationLimits,
} from '../../src/limits/operationLimits.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';

/**
 * The cost rule as a table: operation -> the figure it is held to. A list multiplies what is under
 * it by its page size (literal, variable or the schema's default), by the number of `_entities`
 * representations, or by LIMIT_LIST_SIZE; expensive fields weigh more. Then the configuration.
 */
const gateway = buildASTSchema(parse(fs.readFileSync(SUPERGRAPH_FILE, 'utf8')), {
  assumeValidSDL: true,
});
const catalog = buildSubgraphSchema({
  typeDefs: parse(fs.readFileSync(`${REPO_ROOT}subgraphs/catalog/schema.graphql`, 'utf8')),
});
const defaults = loadConfig({ NODE_ENV: 'test' }).limits.operation;
const zero: OperationLimits = { ...defaults, cost: 0 };

const cost = (
  query: string,
  variables: Record<string, unknown> = {},
  schema = gateway,
  limits = zero,
) => {
  const refusal = checkOperation(schema, limits, { query, variables });
  return refusal?.limit === 'cost' ? refusal.figure : 0;
};

describe('cost', () => {
  it.each([
    ['a scalar at the root', '{ branches { name } }', 1 + 10 * 1],
    [
      'a page argument sizes the connection nodes',
      '{ works(first: 5) { nodes { title } } }',
      2 + 5,
    ],
    ["the schema's default page size when none is given", '{ works { nodes { title } } }', 2 + 20],
    [
      'an unbounded list inside a page',
      '{ works(first: 5) { nodes { items { id } } } }',
      2 + 5 * (1 + 10),
    ],
    [
      'a fragment costs what it selects, wherever it is spread',
      '{ works(first: 5) { nodes { ...T } } } fragment T on Work { title year }',
      2 + 5 * 2,
    ],
    ['__typename is free', '{ branches { __typename } }', 1],
    ['an expensive field weighs more', '{ works(first: 1) { totalCount } }', 1 + 10],
  ])('%s', (_name, query, figure) => {
    expect(cost(query)).toBe(figure);
  });

  it('reads a page size from the variables', () => {
    const query = 'query($n: Int) { works(first: $n) { nodes { title } } }';
    expect(cost(query, { n: 3 })).toBe(2 + 3);
    expect(cost(query, { n: 300 })).toBe(2 + 300);
  });

  it('multiplies by the representations of an _entities call', () => {
    const query =
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Work { title items { id } } } }';
    const representations = Array.from({ length: 7 }, (_, i) => ({
      __typename: 'Work',
      id: `wk_${i}`,
    }));
    expect(cost(query, { r: representations }, catalog)).toBe(1 + 7 * (1 + 1 + 10));
  });

  it('a subgraph holds operations to twice the cost and one more level', () => {
    const limits = subgraphLimits(defaults);
    expect(limits).toMatchObject({
      depth: defaults.depth + 1,
      cost: defaults.cost * 2,
      tokens: defaults.tokens * 2,
    });
  });
});

describe('tokens', () => {
  const fields = (n: number) => `{ ${'__typename '.repeat(n)}}`; // n + 2 tokens
  it('are counted exactly up to four times the limit', () => {
    expect(checkOperation(gateway, defaults, { query: fields(4998), variables: {} })).toBeNull();
    expect(checkOperation(gateway, defaults, { query: fields(4999), variables: {} })).toEqual({
      limit: 'tokens',
      value: 5000,
      figure: 5001,
    });
    expect(checkOperation(gateway, defaults, { query: fields(19_998), variables: {} })).toEqual({
      limit: 'tokens',
      value: 5000,
      figure: 20_000,
    });
  });

  it('and beyond that reported as more than four times the limit, without lexing the rest', () => {
    expect(checkOperation(gateway, defaults, { query: fields(19_999), variables: {} })).toEqual({
      limit: 'tokens',
      value: 5000,
      figure: 20_000,
      moreThan: true,
    });
    // The rest of the text is not even looked at: what follows need not lex.
    expect(
      checkOperation(gateway, defaults, {
        query: `${fields(19_999)} "unterminated`,
        variables: {},
      }),
    ).toMatchObject({ limit: 'tokens', moreThan: true });
  });
});

describe('limit configuration', () => {
  it('reads every limit from the environment', () => {
    const limits = loadConfig({
      NODE_ENV: 'test',
      LIMIT_DEPTH: '20',
      LIMIT_COST: '500',
      LIMIT_FIELD_WEIGHTS: 'Work.items=5, Query.works=2',
      REQUEST_DEADLINE_MS: '2500',
    }).limits;
    expect(limits.operation).toMatchObject({ depth: 20, cost: 500 });
    expect(limits.operation.fieldWeights).toMatchObject({
      'Work.items': 5,
      'Query.works': 2,
      'Query.circulationStats': 100,
    });
    expect(limits.deadlineMs).toBe(2500);
    expect(
      cost('{ works(first: 1) { nodes { items { id } } } }', {}, gateway, {
        ...limits.operation,
        cost: 0,
      }),
    ).toBe(2 + 1 + 1 * (5 + 10));
  });

  it.each([
    ['LIMIT_DEPTH', '0'],
    ['LIMIT_COST', 'lots'],
    ['LIMIT_FIELD_WEIGHTS', 'Work.items:5'],
    ['LIMIT_BODY_BYTES', '10'],
    ['REQUEST_DEADLINE_MS', '-1'],
  ])('refuses a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(name);
  });
});
