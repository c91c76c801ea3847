/**
 * npm run bench:process-cpu — CPU per request of each process of one graph (gateway, catalog,
 * circulation, events) under one of bench:peers' workloads, for profiling one path. Optionally
 * against an earlier checkout (--before <dir>) in the same run, alternating, so the two share the
 * machine's load; with --cpu-prof <dir>, every process writes a V8 CPU profile there on exit; with
 * METRICS_TOKEN in --env, it prints the mean over each window of every latency the gateway and
 * circulation record (request, subgraph fetch, audit write...), to see where a request waits.
 * Flags: --workload a4|a20|b|c|me|lookup, --build full|bare|shipped, --seconds N, --rounds N,
 * --libraries production|test (graphql-js loaded as deployed, the default, or in development mode).
 */
import fs from 'node:fs';
import os from 'node:os';
import { Command } from 'commander';
import { createLogger } from '../src/log/logger.js';
import {
  libraryMode,
  measure,
  median,
  probe,
  type LibraryMode,
  type RunningVariant,
  type Scenario,
  type Variant,
} from './harness.js';
import type { PersonaName } from '../src/dev/personas.js';
import { LOOKUP_QUERY, patronIds } from './patrons.js';
import { ALL_VARIANTS, SCENARIOS, seedBenchData, tokensFor } from './privacyScenarios.js';
import { onFreshCopy, rotated } from './rounds.js';

const options = new Command()
  .option(
    '--workload <key>',
    "a4, a20, b, c, me (a patron's own record, 8 callers) or lookup (a patron by id, 50 callers)",
    'c',
  )
  .option(
    '--build <name>',
    'bench:privacy builds, comma-separated, or "shipped" (no switch changed)',
    'full',
  )
  .option('--seconds <n>', 'seconds per window', '8')
  .option('--rounds <n>', 'rounds', '1')
  .option(
    '--before <dir>',
    'an earlier checkout to measure alongside, as it ships (builds with switches run on this one only)',
  )
  .option(
    '--cpu-prof <dir>',
    'write V8 CPU profiles of every process here, a folder per build (of its last window)',
  )
  .option(
    '--libraries <production|test>',
    'load graphql-js as deployed (NODE_ENV=production) or with its development checks',
    libraryMode,
    'production' as LibraryMode,
  )
  .option('--threads <service>', "also break that service's CPU per request down by thread name")
  .option(
    '--env <pairs>',
    'more switches for the build, e.g. SUBGRAPH_DEDUP=off,RESPONSE_CACHE=off',
  )
  .parse()
  .opts<{
    workload: string;
    build: string;
    seconds: string;
    rounds: string;
    before?: string;
    cpuProf?: string;
    env?: string;
    threads?: string;
    libraries: LibraryMode;
  }>();

const PUBLIC_PAGE = `{
  works(first: 100) { nodes { id title creators isbn year format items { id barcode status branch { id name } } } }
  events(from: "2000-01-01T00:00:00Z", first: 50) { id title description startsAt endsAt capacity branch { id name } }
}`;
const workloads = {
  a4: { ...SCENARIOS[0]!, connections: 4 },
  a20: { ...SCENARIOS[0]!, connections: 20 },
  b: { ...SCENARIOS[2]!, connections: 20 },
  me: SCENARIOS[1]!,
  c: { name: 'public page', persona: 'anonymous' as const, query: PUBLIC_PAGE, connections: 20 },
  lookup: {
    name: 'patron lookup',
    persona: 'circulation-staff' as const,
    query: LOOKUP_QUERY,
    connections: 50,
  },
};
const chosen = workloads[options.workload as keyof typeof workloads];
if (!chosen) throw new Error(`unknown workload ${options.workload}`);
const variantOf = (name: string): Variant => {
  const found =
    name === 'shipped' ? { name: 'shipped', env: {} } : ALL_VARIANTS.find((v) => v.name === name);
  if (!found) throw new Error(`unknown build ${name}`);
  return found;
};
const bases = options.build.split(',').map(variantOf);
// A build's switches reach only this checkout's graph (harness.ts passes them to its own variant
// script); an earlier checkout runs as it ships. So only builds without switches run there too.
const switched = bases.filter((b) => b.switches && Object.keys(b.switches).length > 0);
if (options.before && switched.length > 0)
  console.error(
    `--before runs an earlier checkout as it ships: ${switched.map((b) => b.name).join(', ')} measured on this checkout only`,
  );
const preload = new URL('./cpuProfilePreload.mjs', import.meta.url).pathname;
const prof = (name: string): Record<string, string> => {
  if (!options.cpuProf) return {};
  const dir = `${options.cpuProf}/${name.replace(/\W+/g, '-')}`;
  fs.mkdirSync(dir, { recursive: true });
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
    CPU_PROFILE_DIR: dir,
  };
};
const extra = Object.fromEntries(
  (options.env ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string]),
);
const builds: Variant[] = bases.flatMap((base) => [
  {
    ...base,
    name: `${base.name} (this)`,
    env: { ...base.env, ...extra, ...prof(`${base.name}-this`) },
  },
  ...(options.before && !switched.includes(base)
    ? [
        {
          ...base,
          name: `${base.name} (before)`,
          env: { ...base.env, ...extra, ...prof(`${base.name}-before`) },
          root: options.before,
        },
      ]
    : []),
]);
console.error(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const seeded = await seedBenchData();
// The lookup cycles through patrons of the seeded data, starting with the first.
const lookupIds = options.workload === 'lookup' ? await patronIds(seeded) : [];
const workload: Scenario & { persona: PersonaName } = lookupIds.length
  ? { ...chosen, variables: { id: lookupIds[0] }, variablesCycle: lookupIds.map((id) => ({ id })) }
  : chosen;
createLogger('bench', 'silent');
const tokens = await tokensFor([workload]);
const token = tokens.get(workload.persona)!;
/**
 * CPU ms so far of each thread of `pid`, by thread name (/proc/<pid>/task/<tid>/comm), and the
 * kernel's share of it as `<name> sys` (stime: system calls such as writes and syncs).
 */
function threadCpu(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const label = tid === String(pid) ? 'main' : `${name}#${tid}`;
      byName[label] = (byName[label] ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10;
      byName[`${label} sys`] = (byName[`${label} sys`] ?? 0) + Number(fields[12]) * 10;
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}
/** With METRICS_TOKEN among the switches, the latencies the services record are read around each window. */
const metricsToken = extra.METRICS_TOKEN;
/** Sum and count so far of every duration histogram series of the gateway and circulation (their /metrics). */
async function latencies(
  running: RunningVariant,
  bearer: string,
): Promise<Map<string, { sum: number; count: number }>> {
  const series = new Map<string, { sum: number; count: number }>();
  for (const url of [running.url, running.subgraphUrls.circulation]) {
    const text = await (
      await fetch(url.replace(/\/graphql$/, '/metrics'), {
        headers: { authorization: `Bearer ${bearer}` },
      })
    ).text();
    for (const [, name, part, labels, value] of text.matchAll(
      /^(library_\w+?_duration_seconds)_(sum|count)\{([^}]*)\} (\S+)$/gm,
    )) {
      const key = `${name}{${labels}}`;
      const entry = series.get(key) ?? { sum: 0, count: 0 };
      entry[part as 'sum' | 'count'] = Number(value);
      series.set(key, entry);
    }
  }
  return series;
}
/** Each series' mean over the window between two readings, for series that recorded something in it. */
function meanDurations(
  before: Map<string, { sum: number; count: number }>,
  after: Map<string, { sum: number; count: number }>,
): string[] {
  return [...after].flatMap(([key, { sum, count }]) => {
    const n = count - (before.get(key)?.count ?? 0);
    if (n <= 0) return [];
    const mean = ((sum - (before.get(key)?.sum ?? 0)) / n) * 1000;
    return [`${key} n=${n}, mean ${mean.toFixed(2)} ms`];
  });
}
const results = new Map<string, Record<string, number>[]>();
try {
  for (let round = 0; round < Number(options.rounds); round++) {
    for (const build of rotated(builds, round)) {
      await onFreshCopy(
        build,
        seeded,
        async (running) => {
          await probe(running, workload, token);
          await measure(running, workload, token, 2);
          const watch = {
            gateway: running.services.gateway!,
            catalog: running.services.catalog!,
            circulation: running.services.circulation!,
            events: running.services.events!,
          };
          const signal = () => Object.values(watch).forEach((pid) => process.kill(pid, 'SIGUSR2'));
          if (options.cpuProf) signal();
          const threadsOf = options.threads
            ? watch[options.threads as keyof typeof watch]
            : undefined;
          const threadsBefore = threadsOf ? threadCpu(threadsOf) : {};
          const latencyBefore = metricsToken ? await latencies(running, metricsToken) : null;
          const m = await measure(running, workload, token, Number(options.seconds), watch);
          if (threadsOf) {
            const after = threadCpu(threadsOf);
            const requests = m.requestsPerSecond * Number(options.seconds);
            const parts = Object.entries(after)
              .map(([name, ms]) => [name, (ms - (threadsBefore[name] ?? 0)) / requests] as const)
              .filter(([, ms]) => ms >= 0.05)
              .map(([name, ms]) => `${name} ${ms.toFixed(2)}`);
            console.error(
              `${build.name}: ${options.threads} threads, CPU ms/req: ${parts.join(', ')}`,
            );
          }
          if (options.cpuProf) {
            signal();
            await new Promise((r) => setTimeout(r, 3000));
          }
          if (metricsToken && latencyBefore) {
            // Where a request's time goes: the mean of each latency the services record, over the window.
            for (const line of meanDurations(latencyBefore, await latencies(running, metricsToken)))
              console.error(`${build.name}: ${line}`);
          }
          const row = { rps: m.requestsPerSecond, p50: m.p50, ...m.processCpuPerRequest };
          results.set(build.name, [...(results.get(build.name) ?? []), row]);
          console.error(
            `${build.name}: ${Object.entries(row)
              .map(([k, v]) => `${k} ${v.toFixed(2)}`)
              .join(', ')}`,
          );
        },
        { supervise: true, libraries: options.libraries },
      );
    }
  }
} finally {
  fs.rmSync(seeded, { recursive: true, force: true });
}
for (const [name, rows] of results) {
  const keys = Object.keys(rows[0]!);
  console.log(
    `${name} (median of ${rows.length}): ${keys.map((k) => `${k} ${median(rows.map((r) => r[k]!)).toFixed(2)}`).join(', ')}`,
  );
}
console.error(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
