/**
 * npm run bench:privacy:instructions — what privacy costs, in instructions per request.
 *
 * The same builds and scenarios as `bench:privacy`, each run under valgrind's callgrind, which
 * counts the instructions every thread of the process executes (request thread, GC helpers, audit
 * writer). A count does not move with whatever else the machine does, so a ratio of counts is
 * repeatable where a ratio of throughputs on a shared 2-core machine strays by ±10% and more. It
 * answers "how much work does privacy add"; throughput on a CPU-bound machine follows it.
 * Each build starts afresh per scenario, answers `--warmup` uncounted requests (JIT, caches), then
 * `--requests` counted ones, one at a time. After 30 requests V8 still spent 10 M instructions a
 * listing compiling, after 150 about 5 M. About five minutes per build for (a), one or two for
 * the rest: some 45 minutes in all.
 * Flags: --requests N (default 80), --warmup N (default 150), --only letters, --builds names.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { countInstructions, machine, publishReport } from './harness.js';
import { parseSelection, seedBenchData, TARGETS, tokensFor } from './privacyScenarios.js';
import { onFreshCopy } from './rounds.js';

const command = 'bench:privacy:instructions';
const { options, variants, scenarios } = parseSelection<{ requests: string; warmup: string }>(
  new Command()
    .option('--requests <n>', 'counted requests per build and scenario', '80')
    .option('--warmup <n>', 'uncounted requests before them', '150'),
  command,
);
const requests = Number(options.requests);
const warmup = Number(options.warmup);
if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(warmup) || warmup < 0) {
  console.error(
    `${command}: --requests must be a whole number of at least 1, --warmup at least 0.`,
  );
  process.exit(2);
}
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error(`${command}: needs valgrind (apt-get install -y valgrind).`);
  process.exit(2);
}

const dataDir = await seedBenchData();
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-callgrind-'));
try {
  const tokens = await tokensFor(scenarios);
  const counts = new Map<string, number>();
  for (const scenario of scenarios) {
    for (const variant of variants) {
      const callgrindOut = path.join(outDir, `${variant.name}.out`);
      await onFreshCopy(
        variant,
        dataDir,
        async (running) => {
          const perRequest = await countInstructions(
            running,
            scenario,
            tokens.get(scenario.persona)!,
            { warmup, requests, callgrindOut },
          );
          counts.set(`${scenario.name}|${variant.name}`, perRequest);
          console.error(
            `${scenario.name} on ${variant.name}: ${(perRequest / 1e6).toFixed(2)} M instructions per request`,
          );
        },
        { callgrindOut },
      );
    }
  }

  const count = (scenario: string, variant: string) => counts.get(`${scenario}|${variant}`);
  const lines = [
    '# Privacy benchmark: instructions per request',
    '',
    `Run ${new Date().toISOString()} on ${machine()}; ${warmup} uncounted then ${requests} counted requests per build and scenario, under callgrind.`,
    `Reproduce: \`npm run bench:privacy:instructions -- --requests ${requests} --warmup ${warmup}${
      options.only ? ` --only ${options.only}` : ''
    }${options.builds ? ` --builds ${options.builds}` : ''}\`.`,
    '',
    '| scenario | build | M instructions / request |',
    '| --- | --- | ---: |',
  ];
  for (const s of scenarios)
    for (const v of variants)
      lines.push(`| ${s.name} | ${v.name} | ${(count(s.name, v.name)! / 1e6).toFixed(2)} |`);
  lines.push(
    '',
    "The ratio is the other build's count over the full build's: 1.00 means privacy adds no work. On a",
    'machine where the graph has the CPU to itself, throughput ratios follow it.',
    '',
    '| scenario | comparison | instruction ratio | throughput target |',
    '| --- | --- | ---: | ---: |',
  );
  for (const t of TARGETS) {
    const [a, b] = [count(t.scenario, t.a), count(t.scenario, t.b)];
    if (a !== undefined && b !== undefined)
      lines.push(
        `| ${t.scenario} | ${t.label} (${t.a}/${t.b}) | ${(b / a).toFixed(3)} | >= ${t.target.toFixed(2)} |`,
      );
  }
  lines.push(
    '',
    'Under callgrind the graph runs some fifty times slower. So that per request it does about what it',
    "does at full speed, the audit writer's timers (filing every second, merging after 250 ms without",
    "writes) are stretched fifty times (auditTimerScale), and V8's memory reducer, which starts full",
    'collections by wall-clock time, is off (--no-memory-reducer). With it on, two runs of the full',
    'build in (a) differed by 19 M instructions a listing; with it off, by 0.4 M. Counts still move',
    'a little with the moments V8 chooses to compile and collect.',
  );
  publishReport(lines, 'privacy-instructions');
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(outDir, { recursive: true, force: true });
}
