import fs from 'node:fs';
import { buildASTSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { loadConfig } from '../../src/config/env.js';
import { checkOperation } from '../../src/limits/operationLimits.js';
import { COMPARE_EXAMPLE, EXAMPLES } from '../../src/playground/examples.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';

/**
 * The default limits admit every operation a user is shown (README, playground examples), and
 * the README's worked cost example is what the cost rule computes.
 */
const schema = buildASTSchema(parse(fs.readFileSync(SUPERGRAPH_FILE, 'utf8')), {
  assumeValidSDL: true,
});
const limits = loadConfig({ NODE_ENV: 'test' }).limits.operation;
const readme = fs.readFileSync(`${REPO_ROOT}README.md`, 'utf8');

const readmeQueries = (): string[] => {
  const found: string[] = [];
  for (const m of readme.matchAll(/"query":"((?:[^"\\]|\\.)*)"/g))
    found.push(JSON.parse(`"${m[1]}"`) as string);
  for (const block of readme.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    // An operation starts at the beginning of a line; comments are dropped.
    for (const op of block[1]!.replace(/#.*$/gm, '').split(/\n(?=mutation|query|\{)/))
      if (op.trim()) found.push(op.trim());
  }
  return found;
};

describe('the default limits admit', () => {
  const examples = [COMPARE_EXAMPLE, ...Object.values(EXAMPLES).flat()];
  it.each(examples.map((e) => [e.id, e.query]))('playground example %s', (_id, query) => {
    expect(checkOperation(schema, limits, { query, variables: {} })).toBeNull();
  });

  it('every query and mutation of the README', () => {
    const queries = readmeQueries();
    expect(queries.length).toBeGreaterThan(10);
    for (const query of queries)
      expect(checkOperation(schema, limits, { query, variables: {} }), query).toBeNull();
  });
});

describe('the cost of the README example', () => {
  const query = '{ works(first: 20) { nodes { items { work { title } } } } }';
  it('is 422: within a limit of 422, over one of 421', () => {
    expect(checkOperation(schema, { ...limits, cost: 422 }, { query, variables: {} })).toBeNull();
    expect(checkOperation(schema, { ...limits, cost: 421 }, { query, variables: {} })).toEqual({
      limit: 'cost',
      value: 421,
      figure: 422,
    });
  });
});
