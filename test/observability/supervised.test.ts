/**
 * `npm start` as deployed, one process per service, traced to an OTLP/HTTP collector (a fake one
 * here) and scraped on the loopback admin ports: one trace crosses the gateway, circulation and
 * catalog processes, the collector receives no patron value, and each process's admin port shows
 * its own service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS } from '../../src/dev/personas.js';
import { loadConfig } from '../../src/config/env.js';
import { mintToken } from '../../src/privacy/authenticate/token.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';

const { patron } = PERSONA_PATRONS;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supervised-observability-'));
let child: ChildProcess | undefined;
let collector: http.Server | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  collector?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Four consecutive free ports on the loopback, for METRICS_PORT and the three after it. */
async function freeRun(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await Promise.all(
      [0, 1, 2, 3].map(
        (i) =>
          new Promise<boolean>((resolve) => {
            const server = net.createServer().once('error', () => resolve(false));
            server.listen(base + i, '127.0.0.1', () => server.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error('no run of four free ports');
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

describe('npm start with OTEL_TRACES_EXPORTER=otlp and METRICS_PORT', () => {
  it(
    'one trace across the processes, no patron value at the collector, one admin port per service',
    { timeout: 240_000 },
    async () => {
      const bodies: string[] = [];
      collector = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          if (req.url === '/v1/traces') bodies.push(body);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const metricsPort = await freeRun();
      child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'development',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'error',
          PLAYGROUND: 'off',
          GATEWAY_PORT: '0',
          CATALOG_PORT: '0',
          CIRCULATION_PORT: '0',
          EVENTS_PORT: '0',
          METRICS_PORT: String(metricsPort),
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const gateway = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no gateway URL within 180 s:\n${out}`)),
          180_000,
        );
        child!.stdout!.on('data', () => {
          const match = /gateway\s+(http:\/\/\S+\/graphql)/.exec(out);
          if (match && /Ctrl-C/.test(out)) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child!.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${out}`)));
      });

      const token = await mintToken(
        PERSONAS['circulation-staff'],
        loadConfig({ NODE_ENV: 'development' }),
      );
      const response = await fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `query Find_${patron.cardNumber}($id: ID!) { patron(id: $id) { name cardNumber email loans { item { barcode } } } }`,
          variables: { id: patron.id },
        }),
      });
      const answer = (await response.json()) as {
        data: { patron: { name: string; loans: { item: { barcode: string } }[] } };
      };
      expect(answer.data.patron.name).toBe(patron.name);

      // Each process's admin port shows its own service.
      const services = ['catalog', 'circulation', 'events', 'gateway'];
      for (const [i, service] of services.entries()) {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort + i}/metrics`)).text();
        expect(text).toContain(`service="${service}"`);
        for (const other of services.filter((s) => s !== service))
          expect(text).not.toContain(`service="${other}"`);
      }

      // The batch processors export within 5 s.
      const deadline = Date.now() + 30_000;
      const spans = () =>
        bodies.flatMap((b) =>
          (
            JSON.parse(b) as {
              resourceSpans: {
                resource: { attributes: { key: string; value: { stringValue?: string } }[] };
                scopeSpans: { spans: OtlpSpan[] }[];
              }[];
            }
          ).resourceSpans.flatMap((rs) =>
            rs.scopeSpans.flatMap((ss) =>
              ss.spans.map((s) => ({
                ...s,
                process: rs.resource.attributes.find((a) => a.key === 'service.name')?.value
                  .stringValue,
              })),
            ),
          ),
        );
      const crossing = () => {
        const byTrace = new Map<string, Set<string | undefined>>();
        for (const s of spans())
          byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? new Set()).add(s.process));
        return [...byTrace.values()].find((set) => set.size >= 3);
      };
      while (!crossing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      expect([...(crossing() ?? [])].sort()).toEqual([
        'library-graph-catalog',
        'library-graph-circulation',
        'library-graph-gateway',
      ]);

      const received = bodies.join('\n');
      for (const secret of [
        patron.id,
        patron.name,
        patron.cardNumber,
        patron.email,
        token,
        ...answer.data.patron.loans.map((l) => l.item.barcode),
      ]) {
        expect(received.includes(secret), `the collector received ${secret.slice(0, 6)}…`).toBe(
          false,
        );
      }
    },
  );
});
