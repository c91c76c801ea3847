/**
 * npm run bench:subgraph-client — the gateway's subgraph client and in-flight sharing, measured in
 * one run: the small anonymous catalog page at 20 connections through the gateway.
 *
 * Builds, each in its own process over its own copy of the seeded data, started afresh every round
 * and in a rotating order:
 *   make-fetch-happen  an earlier checkout whose gateway used @apollo/gateway's default fetcher
 *                      (only with --baseline DIR; see docs/benchmarks/subgraph-client.md)
 *   undici             this build with SUBGRAPH_DEDUP=off
 *   undici+dedup       this build as it ships
 * Flags: --seconds N (per measurement, default 5), --rounds N (default 3), --connections N (20),
 * --baseline DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import {
  machine,
  measure,
  median,
  probe,
  publishReport,
  type Measurement,
  type Scenario,
  type Variant,
} from './harness.js';
import { SCENARIOS, seedBenchData } from './privacyScenarios.js';
import { onFreshCopy, rotated, RoundFigures, withRounds, type RoundOptions } from './rounds.js';

const options = withRounds(new Command(), { seconds: 5, rounds: 3 })
  .option('--connections <n>', 'concurrent connections', '20')
  .option(
    '--baseline <dir>',
    'a checkout of an earlier build, run as the make-fetch-happen variant',
  )
  .parse()
  .opts<RoundOptions & { connections: string; baseline?: string }>();
const { seconds, rounds } = options;
const connections = Number(options.connections);
const catalogPage = SCENARIOS.find((s) => s.name.startsWith('(c)'))!;
/** The page, and one whose subgraph work is next to nothing, so the client's own cost shows. */
const SCENARIOS_HERE: Scenario[] = [
  { name: 'small catalog page', query: catalogPage.query, connections },
  { name: 'branches only', query: '{ branches { id name } }', connections },
];
const VARIANTS: Variant[] = [
  ...(options.baseline
    ? [{ name: 'make-fetch-happen', env: {}, root: path.resolve(options.baseline) }]
    : []),
  { name: 'undici', env: { SUBGRAPH_DEDUP: 'off' } },
  { name: 'undici+dedup', env: { SUBGRAPH_DEDUP: 'on' } },
];

const dataDir = await seedBenchData();
try {
  const figures = new RoundFigures();
  const expected = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    for (const variant of rotated(VARIANTS, round)) {
      await onFreshCopy(variant, dataDir, async (running) => {
        for (const scenario of SCENARIOS_HERE) {
          // Every build answers byte for byte alike, or its figures would compare different work.
          const answer = JSON.stringify(await probe(running, scenario, null));
          if ((expected.get(scenario.name) ?? answer) !== answer)
            throw new Error(`${variant.name} answers ${scenario.name} differently`);
          expected.set(scenario.name, answer);
          await measure(running, scenario, null, 1); // warm-up
          const m = await measure(running, scenario, null, seconds);
          console.error(
            `round ${round + 1}/${rounds}: ${scenario.name} on ${variant.name}: ${m.requestsPerSecond.toFixed(0)} req/s, p50 ${m.p50} ms, ${m.cpuPerRequest.toFixed(2)} CPU ms/req`,
          );
          figures.add(scenario.name, variant.name, m);
        }
      });
    }
  }
  const ratio = (scenario: string, a: string, b: string) => {
    const r = figures
      .of(scenario, a)
      .map((m, i) => m.requestsPerSecond / figures.of(scenario, b)[i]!.requestsPerSecond);
    return `${median(r).toFixed(2)}× (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`;
  };
  const lines = [
    `Run ${new Date().toISOString()} on ${machine()}; ${connections} connections, ${seconds} s per measurement, ${rounds} interleaved rounds.`,
    '',
    '| scenario | build | req/s | p50 ms | p99 ms | CPU ms/req | non-2xx |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...SCENARIOS_HERE.flatMap((s) =>
      VARIANTS.map(({ name }) => {
        const l = figures.of(s.name, name);
        const f = (pick: (m: Measurement) => number) => median(l.map(pick));
        return `| ${s.name} | ${name} | ${f((m) => m.requestsPerSecond).toFixed(0)} | ${f((m) => m.p50)} | ${f((m) => m.p99)} | ${f((m) => m.cpuPerRequest).toFixed(2)} | ${l.reduce((n, m) => n + m.errors, 0)} |`;
      }),
    ),
    '',
    'Throughput ratios (median of per-round ratios, range):',
    '',
    ...SCENARIOS_HERE.flatMap((s) => [
      ...(options.baseline
        ? [
            `- ${s.name}: undici / make-fetch-happen ${ratio(s.name, 'undici', 'make-fetch-happen')}; undici+dedup / make-fetch-happen ${ratio(s.name, 'undici+dedup', 'make-fetch-happen')}`,
          ]
        : []),
      `- ${s.name}: undici+dedup / undici ${ratio(s.name, 'undici+dedup', 'undici')}`,
    ]),
  ];
  publishReport(lines);
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
