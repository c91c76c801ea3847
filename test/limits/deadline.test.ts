import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { loadConfig, type SubgraphName } from '../../src/config/env.js';
import { startGateway } from '../../src/gateway/gateway.js';
import type { RunningServer } from '../../src/http/serve.js';
import { createLogger } from '../../src/log/logger.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';
import { startProxy, type SubgraphProxy } from './proxy.js';

/**
 * A gateway with a 2 s deadline (REQUEST_DEADLINE_MS) in front of a slow events subgraph: it
 * answers at the deadline with what catalog gave, null for the events part, and one TIMEOUT error;
 * the slow fetch is aborted, not left running. A mutation's fetch is never aborted: it may
 * commit in the subgraph, so the caller waits for its outcome. A response over LIMIT_RESPONSE_BYTES is one clear
 * error, never a truncated body.
 */
let t: TestGraph;
let gateway: RunningServer;
const proxies = {} as Record<SubgraphName, SubgraphProxy>;

beforeAll(async () => {
  t = await startTestGraph();
  for (const name of ['catalog', 'circulation', 'events'] as const)
    proxies[name] = await startProxy(t.graph.urls[name]!);
  const config = loadConfig({
    NODE_ENV: 'test',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
    REQUEST_DEADLINE_MS: '2000',
    LIMIT_RESPONSE_BYTES: '20000',
    RESPONSE_CACHE: 'off',
  });
  gateway = await startGateway({
    config,
    logger: createLogger('test', 'silent'),
    supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
    subgraphUrls: Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.url])),
    port: 0,
  });
  await ask('{ branches { name } event(id: "ev_1") { title } }'); // warm-up: the first plan and connections
});
afterAll(async () => {
  await gateway?.stop();
  for (const p of Object.values(proxies)) await p.close();
  await t?.stop();
});

async function ask(
  query: string,
  headers: Record<string, string> = {},
  variables?: Record<string, unknown>,
) {
  const started = performance.now();
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return {
    status: response.status,
    ms: performance.now() - started,
    text,
    json: JSON.parse(text) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

describe('the request deadline', () => {
  it('serves the catalog part, null for the slow subgraph, one TIMEOUT, and aborts the slow fetch', async () => {
    proxies.events.delayMs = 30_000;
    try {
      const answer = await ask('{ branches { name } event(id: "ev_1") { title } }');
      expect(answer.ms).toBeGreaterThanOrEqual(2000);
      expect(answer.ms).toBeLessThan(6000);
      expect(answer.status).toBe(200);
      expect((answer.json.data?.branches as unknown[]).length).toBeGreaterThan(0);
      expect(answer.json.data?.event).toBeNull();
      expect(answer.json.errors).toEqual([
        {
          message:
            "The request's deadline of 2,000 ms passed (REQUEST_DEADLINE_MS): fields still being fetched are null; what was ready is served.",
          extensions: { code: 'TIMEOUT' },
        },
      ]);
      // The gateway closed its connection to the slow subgraph instead of waiting for it.
      await expect.poll(() => proxies.events.aborted, { timeout: 2000 }).toBe(1);
    } finally {
      proxies.events.delayMs = 0;
    }
  });

  it('lets a mutation fetch finish past the deadline: it may commit, so the caller gets its outcome', async () => {
    const event = await t.graph
      .databases!.events.db.selectFrom('events')
      .select('id')
      .where('starts_at', '>', new Date(Date.now() + 86_400_000).toISOString())
      .orderBy('starts_at', 'desc')
      .executeTakeFirstOrThrow();
    proxies.events.delayMs = 3000;
    try {
      const aborted = proxies.events.aborted;
      const answer = await ask(
        'mutation($e: ID!) { registerForEvent(eventId: $e) { id } }',
        { authorization: `Bearer ${await t.token('patron')}` },
        { e: event.id },
      );
      expect(answer.ms).toBeGreaterThanOrEqual(3000);
      expect(answer.json.errors).toBeUndefined();
      expect((answer.json.data?.registerForEvent as { id: string }).id).toBeTruthy();
      expect(proxies.events.aborted).toBe(aborted);
    } finally {
      proxies.events.delayMs = 0;
    }
  });

  it('leaves a request that finishes in time alone (control)', async () => {
    const answer = await ask('{ branches { name } event(id: "ev_1") { title } }');
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
  });
});

describe('the response size cap', () => {
  it('answers one OPERATION_TOO_COMPLEX error instead of a response over LIMIT_RESPONSE_BYTES', async () => {
    const answer = await ask('{ works(first: 200) { nodes { title creators subjects } } }');
    expect(answer.status).toBe(400);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors).toEqual([
      {
        message: expect.stringMatching(
          /^Response too large: [\d,]+ bytes is over the limit of 20,000 \(LIMIT_RESPONSE_BYTES\); ask for fewer fields or smaller pages\.$/,
        ),
        extensions: { code: 'OPERATION_TOO_COMPLEX' },
      },
    ]);
    const small = await ask('{ works(first: 5) { nodes { title } } }');
    expect(small.status).toBe(200);
  });
});
