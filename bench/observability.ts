import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { PERSONA_PATRONS } from '../src/dev/personas.js';
import { startTestGraph } from '../test/support/graph.js';

/**
 * `npx tsx bench/observability.ts [--requests 300]`: what observability costs a request. The same
 * patron lookup as circulation staff (a disclosure, audited), sent one at a time through the
 * gateway, with tracing off (OTEL_TRACES_EXPORTER unset), then on (every span sampled and
 * exported, sanitized, to memory: the SDK's cost without a network), then off again; and how long
 * a scrape of the process's /metrics takes. Tracing is set up once per process (@apollo/gateway
 * keeps the tracer it first got), so the traced run is the only one. Writes
 * docs/benchmarks/observability.md.
 */
const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' } } });
const requests = Number(values.requests);

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
  };
};

async function variant(
  traced: boolean,
): Promise<{ request: number[]; scrape: number[]; spans: number }> {
  const exporter = new InMemorySpanExporter();
  // The tests' graph: every service in this process on free ports, over freshly seeded data.
  const test = await startTestGraph(
    {
      METRICS_PORT: '0',
      RATE_LIMIT_PRINCIPAL_BURST: '100000',
      RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000',
    },
    undefined,
    traced ? { spanExporter: exporter } : {},
  );
  try {
    const token = await test.token('circulation-staff');
    const body = JSON.stringify({
      query: 'query($id: ID!) { patron(id: $id) { name email loans { id item { barcode } } } }',
      variables: { id: PERSONA_PATRONS.patron.id },
    });
    const ask = async () => {
      const response = await fetch(test.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      await response.text();
    };
    for (let i = 0; i < 30; i++) await ask(); // warm-up: plans, connections, JIT
    exporter.reset();
    const request: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      await ask();
      request.push(performance.now() - started);
    }
    const spans = exporter.getFinishedSpans().length;
    const scrape: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      await (await fetch(test.graph.metricsUrls[0]!)).text();
      scrape.push(performance.now() - started);
    }
    return { request, scrape, spans };
  } finally {
    await test.stop();
  }
}

const off: number[] = [];
const on: number[] = [];
const scrapes: number[] = [];
let spansPerRequest = 0;
for (const round of [0, 1]) {
  if (round === 1) {
    const traced = await variant(true);
    on.push(...traced.request);
    spansPerRequest = traced.spans / requests;
  }
  const plain = await variant(false);
  off.push(...plain.request);
  scrapes.push(...plain.scrape);
}
const fmt = (n: number) => n.toFixed(2);
const [so, sn, ss] = [summary(off), summary(on), summary(scrapes)];
const load = os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(', ');
const report = `# Observability: what metrics and traces cost a request

\`npx tsx bench/observability.ts --requests ${requests}\` (${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} cores,
load average ${load} at the end: other work shared the machine, so compare the rows with each other, not with other files).

One patron lookup as circulation staff (name, email, loans with item barcodes: a disclosure, audited;
gateway -> circulation -> catalog), sent one at a time, ${requests} per run after 30 warm-up
requests: tracing off, on, off again (the off row pools both), each run on a fresh graph in one process.
Metrics are always on (prom-client histograms and counters on every request).

| variant | p50 ms | p95 ms | mean ms |
| --- | --- | --- | --- |
| tracing off (\`OTEL_TRACES_EXPORTER\` unset: no provider registered) | ${fmt(so.p50)} | ${fmt(so.p95)} | ${fmt(so.mean)} |
| tracing on, every span sampled, exported sanitized to memory (${spansPerRequest.toFixed(1)} spans a request) | ${fmt(sn.p50)} | ${fmt(sn.p95)} | ${fmt(sn.mean)} |

A scrape of the process's \`/metrics\` (four services, default process metrics), 50 times per untraced run:
p50 ${fmt(ss.p50)} ms, p95 ${fmt(ss.p95)} ms.
`;
fs.writeFileSync(new URL('../docs/benchmarks/observability.md', import.meta.url), report);
console.log(report);
