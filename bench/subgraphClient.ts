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
  copyDataDir,
  machine,
  measure,
  median,
  probe,
  startVariant,
  type Measurement,
  type RunningVariant,
  type Scenario,
  type Variant,
} from './harness.js';
import { SCENARIOS, seedBenchData } from './privacyScenarios.js';

const options = new Command()
  .option('--seconds <n>', 'seconds per measurement', '5')
  .option('--rounds <n>', 'interleaved rounds', '3')
  .option('--connections <n>', 'concurrent connections', '20')
  .option(
    '--baseline <dir>',
    'a checkout of an earlier build, run as the make-fetch-happen variant',
  )
  .parse()
  .opts<{ seconds: string; rounds: string; connections: string; baseline?: string }>();
const seconds = Number(options.seconds);
const rounds = Number(options.rounds);

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
let running: RunningVariant | null = null;
try {
  const figures = new Map<string, Measurement[]>();
  const expected = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!)) {
      const runDir = copyDataDir(dataDir);
      running = await startVariant(variant, runDir);
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
        const key = `${scenario.name}|${variant.name}`;
        figures.set(key, [...(figures.get(key) ?? []), m]);
      }
      await running.stop();
      running = null;
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  }
  const list = (scenario: string, name: string) => figures.get(`${scenario}|${name}`)!;
  const ratio = (scenario: string, a: string, b: string) => {
    const r = list(scenario, a).map(
      (m, i) => m.requestsPerSecond / list(scenario, b)[i]!.requestsPerSecond,
    );
    return `${median(r).toFixed(2)}× (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`;
  };
  const lines = [
    `Run ${new Date().toISOString()} on ${machine()}; ${connections} connections, ${seconds} s per measurement, ${rounds} interleaved rounds.`,
    '',
    '| scenario | build | req/s | p50 ms | p99 ms | CPU ms/req | non-2xx |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...SCENARIOS_HERE.flatMap((s) =>
      VARIANTS.map(({ name }) => {
        const l = list(s.name, name);
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
  const report = lines.join('\n') + '\n';
  console.log(report);
} finally {
  await running?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
