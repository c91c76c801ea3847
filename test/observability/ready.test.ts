/**
 * `/health` (the process is up) and `/ready` (its dependencies answer) on the gateway and each
 * subgraph: JSON naming each check, 200 or 503, nothing more; the gateway's subgraph probes are
 * cached and bounded in time, so `/ready` cannot be used to multiply load.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { loadConfig } from '../../src/config/env.js';
import { startGateway } from '../../src/gateway/gateway.js';
import { createLogger } from '../../src/log/logger.js';
import { Readiness } from '../../src/observability/readiness.js';
import { AuditWriter } from '../../src/privacy/audit/store/auditWriter.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

let t: TestGraph;
const urlOf = (graphqlUrl: string, route: string) => graphqlUrl.replace(/\/graphql$/, route);
const ready = async (graphqlUrl: string) => {
  const response = await fetch(urlOf(graphqlUrl, '/ready'));
  return { status: response.status, body: (await response.json()) as unknown };
};
/** Asks until the answer is 200 (the audit thread starts in the background), for at most 10 s. */
async function whenReady(graphqlUrl: string) {
  const deadline = Date.now() + 10_000;
  let answer = await ready(graphqlUrl);
  while (answer.status !== 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    answer = await ready(graphqlUrl);
  }
  return answer;
}

beforeAll(async () => {
  t = await startTestGraph({
    RATE_LIMIT_ANONYMOUS_BURST: '2',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1',
  });
});
afterAll(async () => t?.stop());

describe('/ready on a running graph', () => {
  it('the gateway: every subgraph reachable', async () => {
    expect(await whenReady(t.gatewayUrl)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { catalog: 'ok', circulation: 'ok', events: 'ok' } },
    });
  });

  it.each(['catalog', 'circulation', 'events'] as const)(
    '%s: its database answers and the audit writer takes writes',
    async (name) => {
      expect(await whenReady(t.graph.urls[name]!)).toEqual({
        status: 200,
        body: { status: 'ready', checks: { database: 'ok', audit: 'ok' } },
      });
    },
  );

  it('like /health, is never rate limited and needs no token', async () => {
    for (let i = 0; i < 20; i++) {
      expect(
        (
          await fetch(urlOf(t.gatewayUrl, '/ready'), {
            headers: { 'x-forwarded-for': '203.0.113.9' },
          })
        ).status,
      ).toBe(200);
      expect((await fetch(urlOf(t.gatewayUrl, '/health'))).status).toBe(200);
    }
  });

  it('a subgraph whose database is gone is not ready (503), and says only which check failed', async () => {
    const other = await startTestGraph();
    try {
      await whenReady(other.graph.urls.events!);
      await other.graph.databases!.events.close();
      await new Promise((r) => setTimeout(r, 2100)); // past the cached report
      const answer = await ready(other.graph.urls.events!);
      expect(answer).toEqual({
        status: 503,
        body: { status: 'not ready', checks: { database: 'failed', audit: 'ok' } },
      });
      // Live all the same: the process is up.
      expect((await fetch(urlOf(other.graph.urls.events!, '/health'))).status).toBe(200);
    } finally {
      await other.stop().catch(() => undefined);
    }
  });
});

describe("the gateway's /ready with a subgraph down or hanging", () => {
  it('is 503 naming the subgraph, within the probe timeout, and probes each subgraph at most once per cached report', async () => {
    let hits = 0;
    // A "subgraph" that never answers its /health.
    const hanging = http.createServer((req) => {
      hits += 1;
      void req;
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/graphql`;
    const gateway = await startGateway({
      config: loadConfig({
        NODE_ENV: 'test',
        GATEWAY_PORT: '0',
        LOG_LEVEL: 'silent',
        PLAYGROUND: 'off',
      }),
      logger: createLogger('test', 'silent'),
      supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
      subgraphUrls: {
        catalog: t.graph.urls.catalog!,
        circulation: 'http://127.0.0.1:1/graphql',
        events: hangingUrl,
      },
      port: 0,
    });
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 50 }, () => ready(gateway.url)));
      expect(Date.now() - started).toBeLessThan(3000);
      for (const answer of answers) {
        expect(answer).toEqual({
          status: 503,
          body: {
            status: 'not ready',
            checks: { catalog: 'ok', circulation: 'failed', events: 'failed' },
          },
        });
      }
      expect(hits).toBe(1);
      // Without METRICS_TOKEN the gateway's /metrics does not exist, token or not.
      const metrics = await fetch(gateway.url.replace(/\/graphql$/, '/metrics'), {
        headers: { authorization: 'Bearer anything' },
      });
      expect(metrics.status).not.toBe(200);
      expect(await metrics.text()).not.toContain('library_gateway');
    } finally {
      await gateway.stop();
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});

describe('Readiness', () => {
  it('runs a round of checks at most once per TTL, shared by concurrent asks', async () => {
    let now = 0;
    let runs = 0;
    const readiness = new Readiness(
      { db: () => void (runs += 1) },
      { ttlMs: 2000, now: () => now },
    );
    await Promise.all(Array.from({ length: 100 }, () => readiness.report()));
    expect(runs).toBe(1);
    now = 1999;
    await readiness.report();
    expect(runs).toBe(1);
    now = 2000;
    expect(await readiness.report()).toEqual({ status: 'ready', checks: { db: 'ok' } });
    expect(runs).toBe(2);
  });

  it('fails a check that throws or outlasts the timeout, and never shows its error', async () => {
    const readiness = new Readiness(
      {
        slow: () => new Promise(() => undefined),
        broken: () => {
          throw new Error('password=hunter2 at db.internal:5432');
        },
        fine: async () => undefined,
      },
      { timeoutMs: 50 },
    );
    const report = await readiness.report();
    expect(report).toEqual({
      status: 'not ready',
      checks: { slow: 'failed', broken: 'failed', fine: 'ok' },
    });
    expect(JSON.stringify(report)).not.toMatch(/hunter2|internal/);
  });
});

describe("the audit writer's readiness", () => {
  it('is not ready while its thread cannot open the audit, and ready once it can', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-ready-'));
    fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
    const broken = new AuditWriter({
      file: path.join(dir, 'not-a-dir', 'audit.db'),
      key: 'k'.repeat(32),
      logger: createLogger('test', 'silent'),
    });
    const good = new AuditWriter({
      file: path.join(dir, 'audit.db'),
      key: 'k'.repeat(32),
      logger: createLogger('test', 'silent'),
    });
    try {
      const deadline = Date.now() + 30_000;
      while ((broken.state !== 'failed' || good.state !== 'ready') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect([broken.state, good.state]).toEqual(['failed', 'ready']);
      expect(() => broken.ensureReady()).toThrow();
      expect(() => good.ensureReady()).not.toThrow();
    } finally {
      await broken.close().catch(() => undefined);
      await good.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
