/**
 * npm run bench:privacy — what privacy costs, measured in one run on one machine.
 *
 * Five builds of the same graph over the same seeded data, each in its own process:
 *   full      enforcement + gateway pre-filter + signed contexts + audit (what ships)
 *   no-guard  subgraph enforcement off (issue: enforcement on vs off)
 *   no-trust  pre-filter and signing off (issue: signing + pre-filter on vs off)
 *   no-audit  the disclosure audit off (issue: audit on vs off)
 *   bare      all of it off: a plain @apollo/gateway over the same subgraphs
 * Rounds interleave the builds (in a rotating order) so drift on a shared machine hits them alike,
 * and each round runs each build in a fresh process.
 * Each figure is the median over rounds, and each ratio the median of the rounds' own ratios, with
 * their range: a ratio of two medians taken minutes apart would carry the machine's drift into it.
 * Beside throughput, each build's CPU time per request (all threads of its process) is reported:
 * it moves less with the machine's load than req/s does.
 * Flags: --seconds N (per measurement, default 3), --rounds N (default 6), --only letters.
 */
import fs from 'node:fs';
import { Command } from 'commander';
import { createLogger } from '../src/log/logger.js';
import { machine, measure, median, probe, publishReport } from './harness.js';
import { parseSelection, seedBenchData, TARGETS, tokensFor } from './privacyScenarios.js';
import { onFreshCopy, rotated, RoundFigures, withRounds, type RoundOptions } from './rounds.js';

const { options, variants, scenarios } = parseSelection<RoundOptions>(
  withRounds(new Command(), { seconds: 3, rounds: 6 }),
  'bench:privacy',
);
const { seconds, rounds } = options;
const dataDir = await seedBenchData();
createLogger('bench', 'silent');
try {
  const tokens = await tokensFor(scenarios);
  const figures = new RoundFigures();
  // Each round starts every build afresh: a process can run 30% slower than its twin for its whole
  // life (seen here), and one process per build for the whole run would carry that into every ratio.
  // Each also gets its own copy of the seeded data: no build files another's audit records.
  for (let round = 0; round < rounds; round++) {
    for (const variant of rotated(variants, round)) {
      await onFreshCopy(variant, dataDir, async (running) => {
        for (const scenario of scenarios) {
          const token = tokens.get(scenario.persona)!;
          await probe(running, scenario, token);
          await measure(running, scenario, token, 1); // warm-up: JIT and caches, not recorded
          const m = await measure(running, scenario, token, seconds);
          console.error(
            `round ${round + 1}/${rounds}: ${scenario.name} on ${variant.name}: ${m.requestsPerSecond.toFixed(1)} req/s, ${m.cpuPerRequest.toFixed(1)} CPU ms/req`,
          );
          figures.add(scenario.name, variant.name, m);
        }
      });
    }
  }

  const get = (scenario: string, variant: string) => {
    const l = figures.of(scenario, variant);
    return {
      rps: median(l.map((m) => m.requestsPerSecond)),
      cpu: median(l.map((m) => m.cpuPerRequest)),
      requestCpu: median(l.map((m) => m.requestThreadCpuPerRequest)),
      p50: median(l.map((m) => m.p50)),
      p99: median(l.map((m) => m.p99)),
      errors: l.reduce((n, m) => n + m.errors, 0),
    };
  };
  /** Per round, a/b of throughput, and b/a of CPU per request (so that for both, 1.0 means "costs nothing"). */
  const paired = (scenario: string, a: string, b: string) => {
    const [la, lb] = [figures.of(scenario, a), figures.of(scenario, b)];
    const throughput = la.map((m, i) => m.requestsPerSecond / lb[i]!.requestsPerSecond);
    const cpu = la.map((m, i) => lb[i]!.cpuPerRequest / m.cpuPerRequest);
    const p50 = la.map((m, i) => m.p50 / lb[i]!.p50);
    return {
      throughput: median(throughput),
      low: Math.min(...throughput),
      high: Math.max(...throughput),
      cpu: median(cpu),
      p50: median(p50),
    };
  };
  const lines: string[] = [
    `# Privacy benchmark`,
    ``,
    `Run ${new Date().toISOString()} on ${machine()}; ${seconds} s per measurement, ${rounds} interleaved rounds.`,
    `Reproduce: \`npm run bench:privacy -- --seconds ${seconds} --rounds ${rounds}\`.`,
    ``,
    `| scenario | build | req/s | CPU ms/req | of which request thread | p50 ms | p99 ms | non-2xx |`,
    `| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const s of scenarios) {
    for (const v of variants) {
      const f = get(s.name, v.name);
      lines.push(
        `| ${s.name} | ${v.name} | ${f.rps.toFixed(1)} | ${f.cpu.toFixed(1)} | ${f.requestCpu.toFixed(1)} | ${f.p50} | ${f.p99} | ${f.errors} |`,
      );
    }
  }
  lines.push(
    '',
    'Ratios are medians of per-round ratios; the range is the lowest and highest round. The CPU ratio is',
    "the other build's CPU per request over the full build's, so 1.00 means privacy costs nothing there too.",
    "The p50 ratio is the full build's median latency over the other's (above 1 is slower).",
    '',
    '| scenario | comparison | throughput ratio | range | CPU ratio | p50 ratio | target | met |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  const built = (name: string) => variants.some((v) => v.name === name);
  for (const { scenario: s, a, b, label, target, p50 } of TARGETS.filter(
    ({ scenario, a, b }) => scenarios.some((c) => c.name === scenario) && built(a) && built(b),
  )) {
    const r = paired(s, a, b);
    const met = r.throughput >= target && (p50 === undefined || r.p50 <= p50);
    const wanted = `>= ${target.toFixed(2)}${p50 === undefined ? '' : `, p50 <= ${p50.toFixed(2)}`}`;
    lines.push(
      `| ${s} | ${label} (${a}/${b}) | ${r.throughput.toFixed(3)} | ${r.low.toFixed(2)}–${r.high.toFixed(2)} | ${r.cpu.toFixed(3)} | ${r.p50.toFixed(2)} | ${wanted} | ${met ? 'yes' : 'no'} |`,
    );
  }
  lines.push(
    '',
    '## How to read these figures',
    '',
    '- Builds: `full` is what ships; `no-guard` turns subgraph enforcement off (and with it the audit,',
    '  which records what enforcement discloses); `no-trust` turns the gateway pre-filter and context',
    '  signing off; `no-audit` turns the disclosure audit off; `bare` is a plain `@apollo/gateway` over',
    '  the same subgraphs. Each build runs in one process of its own, its three subgraphs and gateway',
    '  together (`SUPERVISE=off`; `npm start` runs a process per service, as bench:peers does), started',
    '  afresh in every round, over its own copy of the seeded data (so with an empty audit): two',
    '  processes of one build can differ by 30% for their whole life.',
    '- The load generator shares the 2 cores with the build under load. Throughput moves with whatever',
    '  else the machine does; the range column shows how far single rounds strayed. (c) touches no',
    '  confidential field, so its builds differ only by noise.',
    "- CPU ms/req counts every thread of the build's process: the request thread (gateway and resolvers),",
    "  V8's garbage-collection helpers and the audit's filing thread. With the load generator on the same",
    '  2 cores, CPU spent on any thread is CPU the request thread does not get, so throughput follows the',
    "  total; on a machine with idle cores, only the request thread's share limits it.",
  );
  publishReport(lines, 'privacy');
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
