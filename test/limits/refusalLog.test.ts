import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { buildASTSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { loadConfig } from '../../src/config/env.js';
import { HttpRefusal } from '../../src/errors/httpRefusal.js';
import { createLogger } from '../../src/log/logger.js';
import { limitGuard } from '../../src/limits/operationLimits.js';

/**
 * An operator sees every refused operation in the log: which limit, its value and the figure, at
 * warn; never the operation's text or its variables, which may carry a patron's card and PIN.
 */
const schema = buildASTSchema(parse(fs.readFileSync(SUPERGRAPH_FILE, 'utf8')), {
  assumeValidSDL: true,
});
const limits = loadConfig({ NODE_ENV: 'test' }).limits.operation;

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ),
  );
  return { logger: createLogger('test', 'info', stream), lines, text: () => JSON.stringify(lines) };
}

describe('refused operations are logged', () => {
  it('logs the limit and figure of a refusal, without the operation or its variables', async () => {
    const { logger, lines, text } = capture();
    const guard = limitGuard(schema, limits, logger);
    const query =
      'mutation($c: String!, $p: String!) { a: authenticateWithCard(cardNumber: $c, pin: $p) { token } b: authenticateWithCard(cardNumber: $c, pin: "4711") { token } }';
    expect(() => guard({ query, variables: { c: '29019000000042', p: '8642' } })).toThrow(
      HttpRefusal,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'operation refused',
        limit: 'card logins',
        value: 1,
        figure: 2,
      }),
    ]);
    expect(text()).not.toMatch(/authenticateWithCard|29019000000042|8642|4711/);
  });

  it('logs nothing for an admitted operation', async () => {
    const { logger, lines } = capture();
    limitGuard(schema, limits, logger)({ query: '{ branches { name } }', variables: {} });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([]);
  });
});
