/**
 * The public response cache on and off, same run: the small anonymous catalog page at 20
 * connections, each build in its own process over its own copy of the seeded data, started afresh
 * in every round, rounds interleaved. Both builds' answers are checked byte-equal before measuring.
 *
 *   npm run bench:cache -- --seconds 5 --rounds 4
 */
import fs from 'node:fs';
import os from 'node:os';
import { Command } from 'commander';
import {
  machine,
  measure,
  median,
  publishReport,
  type RunningVariant,
  type Scenario,
  type Variant,
} from './harness.js';
import { SCENARIOS, seedBenchData } from './privacyScenarios.js';
import { onFreshCopy, rotated, RoundFigures, withRounds, type RoundOptions } from './rounds.js';

const options = withRounds(new Command(), { seconds: 5, rounds: 4 }).parse().opts<RoundOptions>();
const { seconds, rounds } = options;

const VARIANTS: Variant[] = [
  { name: 'cache on', env: { RESPONSE_CACHE: 'on' } },
  { name: 'cache off', env: { RESPONSE_CACHE: 'off' } },
];
const catalog = SCENARIOS.find((s) => s.name.startsWith('(c)'))!;
const scenario: Scenario = {
  name: 'small catalog page, anonymous',
  query: catalog.query,
  connections: 20,
};

/** One answer's exact bytes and Cache-Control, as a client receives them. */
async function answer(
  target: RunningVariant,
): Promise<{ text: string; cacheControl: string | null }> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: scenario.query }),
  });
  if (!response.ok) throw new Error(`${target.variant.name}: HTTP ${response.status}`);
  return { text: await response.text(), cacheControl: response.headers.get('cache-control') };
}

const dataDir = await seedBenchData();
try {
  const figures = new RoundFigures();
  const loads: number[] = [];
  const answers = new Map<string, { text: string; cacheControl: string | null }>();
  for (let round = 0; round < rounds; round++) {
    for (const variant of rotated(VARIANTS, round)) {
      await onFreshCopy(variant, dataDir, async (running) => {
        const first = await answer(running);
        if (first.text.includes('"errors"'))
          throw new Error(`${variant.name}: the page has errors: ${first.text.slice(0, 300)}`);
        answers.set(variant.name, first);
        await measure(running, scenario, null, 1); // warm-up: JIT and caches, not recorded
        loads.push(os.loadavg()[0]!);
        const m = await measure(running, scenario, null, seconds);
        console.error(
          `round ${round + 1}/${rounds}: ${variant.name}: ${m.requestsPerSecond.toFixed(0)} req/s, p50 ${m.p50} ms, ${m.cpuPerRequest.toFixed(2)} CPU ms/req`,
        );
        figures.add(scenario.name, variant.name, m);
      });
    }
  }
  const [on, off] = [answers.get('cache on')!, answers.get('cache off')!];
  if (on.text !== off.text) throw new Error('the cached and uncached answers differ');

  const list = (name: string) => figures.of(scenario.name, name);
  const ratios = list('cache on').map(
    (m, i) => m.requestsPerSecond / list('cache off')[i]!.requestsPerSecond,
  );
  const lines = [
    '# Public response cache',
    '',
    `Run ${new Date().toISOString()} on ${machine()}; ${seconds} s per measurement, ${rounds} interleaved rounds;`,
    `1-minute load average when measuring: median ${median(loads).toFixed(1)} (${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}), from other processes sharing the machine.`,
    `Reproduce: \`npm run bench:cache -- --seconds ${seconds} --rounds ${rounds}\`.`,
    '',
    `Workload: ${scenario.name}, ${scenario.connections} connections, one query repeated:`,
    '',
    '```graphql',
    scenario.query,
    '```',
    '',
    '| build | req/s | CPU ms/req | p50 ms | p99 ms | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...VARIANTS.map((v) => {
      const l = list(v.name);
      return `| ${v.name} | ${median(l.map((m) => m.requestsPerSecond)).toFixed(0)} | ${median(l.map((m) => m.cpuPerRequest)).toFixed(2)} | ${median(l.map((m) => m.p50))} | ${median(l.map((m) => m.p99))} | ${l.reduce((n, m) => n + m.errors, 0)} |`;
    }),
    '',
    `Throughput, cache on / off: ${median(ratios).toFixed(2)}× (median of per-round ratios; rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}).`,
    '',
    `The answers of both builds were byte-equal (${Buffer.byteLength(on.text)} bytes); Cache-Control: \`${on.cacheControl}\` with the cache on, \`${off.cacheControl}\` with it off.`,
    '',
    '## How to read these figures',
    '',
    '- Every request after the first is a hit with the cache on: this is the best case, one page asked',
    '  for again and again, as a busy catalog home page is. A hit still goes through HTTP parsing, the',
    "  rate limiter, authentication, Apollo's request pipeline (parse and validation are cached by the",
    '  query text, the pre-filter and operation limits run) and serialization; it skips query planning',
    '  and every subgraph fetch.',
    '- The load generator shares the 2 cores with the graph (gateway and subgraphs in one process), so',
    '  CPU not spent by the subgraphs goes to the gateway and to autocannon alike.',
    '- A load average far above 2 means the graph got a small, varying share of the cores: absolute',
    "  figures are then far below an idle machine's, and CPU ms/req counts the process's background",
    '  threads over fewer requests. Rounds are interleaved so both builds meet the same conditions;',
    "  the ratio's range shows how far single rounds strayed.",
  ];
  publishReport(lines, 'response-cache');
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
