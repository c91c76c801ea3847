import fs from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { loadConfig, type SubgraphName } from '../../src/config/env.js';
import { startGateway } from '../../src/gateway/gateway.js';
import type { RunningServer } from '../../src/http/serve.js';
import { createLogger } from '../../src/log/logger.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';
import { HOSTILE, nest } from '../../bench/hostileOperations.js';
import { startProxy, type SubgraphProxy } from './proxy.js';

/**
 * The hostile operations of issue 14, sent to a gateway whose subgraphs sit behind counting
 * proxies: each is refused with its status, code and a message naming the limit, its value and the
 * operation's figure, and not one of them reaches a subgraph. A normal query still goes through.
 */
let t: TestGraph;
let gateway: RunningServer;
const proxies = {} as Record<SubgraphName, SubgraphProxy>;
const calls = () => Object.values(proxies).reduce((n, p) => n + p.calls, 0);

beforeAll(async () => {
  t = await startTestGraph();
  for (const name of ['catalog', 'circulation', 'events'] as const)
    proxies[name] = await startProxy(t.graph.urls[name]!);
  const config = loadConfig({ NODE_ENV: 'test', GATEWAY_PORT: '0', LOG_LEVEL: 'silent' });
  gateway = await startGateway({
    config,
    logger: createLogger('test', 'silent'),
    supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
    subgraphUrls: Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.url])),
    port: 0,
  });
});
afterAll(async () => {
  await gateway?.stop();
  for (const p of Object.values(proxies)) await p.close();
  await t?.stop();
});

interface Answer {
  status: number;
  ms: number;
  json: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

async function post(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const json = (await response.json()) as Answer['json'];
  return { status: response.status, ms: performance.now() - started, json };
}

describe('hostile operations are refused before any subgraph is called', () => {
  it.each(HOSTILE.map((h) => [h.name, h] as const))('%s', async (_name, hostile) => {
    const before = calls();
    const answer = await post(hostile.body());
    expect(answer.status).toBe(hostile.status);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors).toHaveLength(1);
    expect(answer.json.errors![0]!.extensions?.code).toBe(hostile.code);
    expect(answer.json.errors![0]!.message).toMatch(hostile.message);
    expect(calls()).toBe(before);
  });

  it.each([
    [
      'aliases',
      `{ ${Array.from({ length: 201 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
      /aliases 201 is over the limit of 200 \(LIMIT_ALIASES\)/,
    ],
    [
      'root fields',
      `{ ${'branches { id } '.repeat(201)}}`,
      /root fields 201 is over the limit of 200 \(LIMIT_ROOT_FIELDS\)/,
    ],
    [
      'directives',
      `{ __typename ${'@include(if: true) '.repeat(21)}}`,
      /directives 21 is over the limit of 20 \(LIMIT_DIRECTIVES\)/,
    ],
    [
      'cost of nested lists',
      `{ works(first: 100) { nodes { items { work { items { work { items { id } } } } } } } }`,
      /cost 122,102 is over the limit of 20,000 \(LIMIT_COST\)/,
    ],
  ])('each limit by itself: %s', async (_name, query, message) => {
    const before = calls();
    const answer = await post(JSON.stringify({ query }));
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toHaveLength(1);
    expect(answer.json.errors![0]).toMatchObject({ extensions: { code: 'OPERATION_TOO_COMPLEX' } });
    expect(answer.json.errors![0]!.message).toMatch(message);
    expect(calls()).toBe(before);
  });

  it('counts a page size given in a variable', async () => {
    const query = 'query Page($n: Int) { loans(first: $n) { nodes { id } } }';
    const small = await post(JSON.stringify({ query, variables: { n: 10 } }), {
      authorization: `Bearer ${await t.token('circulation-staff')}`,
    });
    expect(small.status).toBe(200);
    const huge = await post(JSON.stringify({ query, variables: { n: 1_000_000 } }));
    expect(huge.status).toBe(400);
    expect(huge.json.errors![0]!.message).toMatch(/cost 1,000,002 is over the limit of 20,000/);
  });

  it('refuses a hostile operation sent with GET too', async () => {
    const before = calls();
    const response = await fetch(
      `${gateway.url}?query=${encodeURIComponent(nest(['works(first: 20)', 'nodes'], ['items', 'work'], 40))}`,
      {
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as Answer['json']).errors![0]!.extensions?.code).toBe(
      'OPERATION_TOO_COMPLEX',
    );
    expect(calls()).toBe(before);
  });

  it('measures automatic persisted queries as sent ones: a registered hash cannot be replayed past the limits', async () => {
    const query = 'query Page($n: Int) { works(first: $n) { nodes { id } } }';
    const persistedQuery = {
      version: 1,
      sha256Hash: createHash('sha256').update(query).digest('hex'),
    };
    const register = await post(
      JSON.stringify({ query, variables: { n: 1 }, extensions: { persistedQuery } }),
    );
    expect(register.status).toBe(200);
    expect(register.json.errors).toBeUndefined();
    const before = calls();
    const replay = await post(
      JSON.stringify({ variables: { n: 1_000_000 }, extensions: { persistedQuery } }),
    );
    expect(replay.status).toBe(400);
    expect(replay.json.data ?? null).toBeNull();
    expect(replay.json.errors?.[0]?.extensions?.code).toBe('OPERATION_TOO_COMPLEX');
    const search = new URLSearchParams({
      variables: JSON.stringify({ n: 1_000_000 }),
      extensions: JSON.stringify({ persistedQuery }),
    });
    const viaGet = await fetch(`${gateway.url}?${search}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    const got = (await viaGet.json()) as Answer['json'];
    expect(viaGet.status).toBe(400);
    expect(got.data ?? null).toBeNull();
    expect(got.errors?.[0]?.extensions?.code).toBe('OPERATION_TOO_COMPLEX');
    expect(calls()).toBe(before);
  });

  it('refuses more than one card login in one operation, however it is aliased', async () => {
    const login = (alias: string) =>
      `${alias}: authenticateWithCard(cardNumber: "29019000000001", pin: "${alias.slice(1).padStart(4, '0')}") { token }`;
    const before = calls();
    const answer = await post(
      JSON.stringify({
        query: `mutation { ${login('p1')} ...More }  fragment More on Mutation { ${login('p2')} ${login('p3')} }`,
      }),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors).toEqual([
      {
        message:
          'Operation too complex: card logins 3 is over the limit of 1 (one authenticateWithCard per operation).',
        extensions: { code: 'OPERATION_TOO_COMPLEX' },
      },
    ]);
    expect(calls()).toBe(before);
    const one = await post(JSON.stringify({ query: `mutation { ${login('p1')} }` }));
    expect(one.json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('admits the README query that joins all three subgraphs', async () => {
    const query =
      '{ me { name loans { dueAt item { availability work { title } branch { name } } } registrations { event { title startsAt } } } }';
    const answer = await post(JSON.stringify({ query }), {
      authorization: `Bearer ${await t.token('patron')}`,
    });
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    expect((answer.json.data?.me as { name: string }).name).toBe('Avery Quintana');
  });

  it('answers a body over the limit with 413 and a JSON error, then serves the same connection', async () => {
    const answer = await post(
      JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    );
    expect(answer.status).toBe(413);
    expect(answer.json.errors).toEqual([
      {
        message: expect.stringMatching(/over the limit of 1,048,576 bytes \(LIMIT_BODY_BYTES\)/),
        extensions: { code: 'PAYLOAD_TOO_LARGE' },
      },
    ]);
    expect((await post(JSON.stringify({ query: '{ __typename }' }))).status).toBe(200);
  });

  it('answers 413 to a streamed body with no declared length, once it passes the limit', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        gateway.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      req.write('{"query":"{ __typename }","pad":"');
      for (let i = 0; i < 32; i++) req.write(chunk); // 2 MiB
      req.end('"}');
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      errors: [
        {
          message: expect.stringMatching(
            /^Request body too large: [\d,]+ bytes received so far is over the limit of 1,048,576 bytes \(LIMIT_BODY_BYTES\)\.$/,
          ),
          extensions: { code: 'PAYLOAD_TOO_LARGE' },
        },
      ],
    });
  });
});
