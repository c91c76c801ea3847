/**
 * npm run bench:production — the graph on PostgreSQL against the graph on SQLite, in one run.
 *
 * The same demo seed (same seed, same day) goes into SQLite files and into a PostgreSQL database of
 * its own (created here, dropped at the end), where the disclosure audit lives too (AUDIT_DATABASE_URL). Through the gateway, 50 concurrent callers:
 *   lookup   one patron's record, loans, holds and fines by id, as circulation-staff, cycling
 *            through patron ids (issue 17: p95 <= 50 ms)
 *   listing  the 1,000-loan listing with patron fields, as circulation-staff (req/s, PG/SQLite)
 * Rounds interleave the stores (in a rotating order), each round in fresh processes, so drift on a
 * shared machine hits both alike; figures are medians over rounds, ratios medians of per-round ratios.
 * With --county-url, the lookup also runs on PostgreSQL against a county-scale seed there (`npm run
 * seed -- --scale county` with that DATABASE_URL), where the patron table is 125 times the demo's.
 * The graph runs as `npm start` runs it, a process per service under the supervisor; with
 * --one-process, the gateway and the three subgraphs share one process (one core).
 * Flags: --seconds N (per measurement, default 5), --rounds N (default 3), --connections N (50),
 * --admin-url URL (a database to create and drop the bench's from), --county-url URL,
 * --one-process, --write.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { releaseAllClosed } from '../src/analytics/release/releaseMonth.js';
import { releaseDb } from '../src/analytics/release/tally.js';
import { openDatabases } from '../src/app/databases.js';
import type { PersonaName } from '../src/dev/personas.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/log/logger.js';
import {
  machine,
  measure,
  median,
  probe,
  publishReport,
  type RunningVariant,
  type Scenario,
  type Variant,
} from './harness.js';
import { SCENARIOS, seedBenchData, tokensFor } from './privacyScenarios.js';
import { LOOKUP_QUERY, patronIds } from './patrons.js';
import { onFreshCopy, rotated, RoundFigures, withRounds, type RoundOptions } from './rounds.js';

const options = withRounds(new Command(), { seconds: 5, rounds: 3 })
  .option('--connections <n>', 'concurrent callers', '50')
  .option(
    '--admin-url <url>',
    'PostgreSQL database the bench creates and drops its own from',
    process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  )
  .option(
    '--county-url <url>',
    'a PostgreSQL database holding the county seed, for the lookup at county scale',
  )
  .option('--one-process', 'run the gateway and the subgraphs in one process', false)
  .option('--write', 'write docs/benchmarks/production.md', false)
  .parse()
  .opts<
    RoundOptions & {
      connections: string;
      adminUrl: string;
      countyUrl?: string;
      oneProcess: boolean;
      write: boolean;
    }
  >();
const { seconds, rounds } = options;
const connections = Number(options.connections);

/** A PostgreSQL database on the admin URL's server. */
const databaseUrl = (name: string): string => {
  const url = new URL(options.adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};
async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: options.adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Releases the statistics of every closed month now, as a graph does in the background when it
 * starts: done once before the rounds, so that no round measures one graph while it releases.
 */
async function releaseClosed(dataDir: string, postgresUrl?: string): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'test',
    ...(postgresUrl ? { DATABASE_URL: postgresUrl } : {}),
  });
  const dbs = await openDatabases(dataDir, config.postgres);
  try {
    await releaseAllClosed(
      { circulation: releaseDb(dbs.circulation.db), events: releaseDb(dbs.events.db) },
      { k: config.analytics.minCellSize, dp: config.analytics.dp },
    );
  } finally {
    for (const db of Object.values(dbs)) await db.close();
  }
}

const listing = SCENARIOS[0]!;
const persona: PersonaName = 'circulation-staff';

createLogger('bench', 'silent');
const benchDatabase = `pgbench_production_${randomBytes(4).toString('hex')}`;
const pgUrl = databaseUrl(benchDatabase);
const dirs: string[] = [];
let running: RunningVariant | null = null;
/** Stops the graph, removes the data directories and drops the bench's database. */
async function cleanUp(): Promise<void> {
  await running?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  await admin(`DROP DATABASE IF EXISTS ${benchDatabase} WITH (FORCE)`).catch((error: unknown) =>
    console.error(`could not drop ${benchDatabase}: ${String(error)}`),
  );
}
process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
try {
  await admin(`CREATE DATABASE ${benchDatabase}`);
  const sqliteDir = await seedBenchData();
  const pgDir = await seedBenchData(loadConfig({ NODE_ENV: 'test', DATABASE_URL: pgUrl }).postgres);
  dirs.push(sqliteDir, pgDir);
  console.error('releasing the closed months ...');
  await releaseClosed(sqliteDir);
  await releaseClosed(pgDir, pgUrl);
  const ids = await patronIds(sqliteDir);
  const scenarios: Scenario[] = [
    {
      name: 'patron lookup',
      query: LOOKUP_QUERY,
      connections,
      variablesCycle: ids.map((id) => ({ id })),
    },
    { name: '1,000-loan listing', query: listing.query, connections },
  ];
  const stores: Array<Variant & { dir: string; scenarios: Scenario[] }> = [
    { name: 'SQLite', env: {}, dir: sqliteDir, scenarios },
    // Everything that persists on PostgreSQL, the disclosure audit too.
    {
      name: 'PostgreSQL',
      env: { DATABASE_URL: pgUrl, AUDIT_DATABASE_URL: pgUrl },
      dir: pgDir,
      scenarios,
    },
  ];
  if (options.countyUrl) {
    const countyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-production-county-'));
    dirs.push(countyDir);
    await releaseClosed(countyDir, options.countyUrl);
    const countyIds = await patronIds(countyDir, options.countyUrl);
    stores.push({
      name: 'PostgreSQL, county seed',
      env: { DATABASE_URL: options.countyUrl, AUDIT_DATABASE_URL: options.countyUrl },
      dir: countyDir,
      scenarios: [{ ...scenarios[0]!, variablesCycle: countyIds.map((id) => ({ id })) }],
    });
  }
  const tokens = await tokensFor([{ ...listing, persona }]);
  const token = tokens.get(persona)!;

  const figures = new RoundFigures();
  for (let round = 0; round < rounds; round++) {
    for (const store of rotated(stores, round)) {
      const variant = { name: store.name, env: { RESPONSE_CACHE: 'off', ...store.env } };
      const supervise = { supervise: !options.oneProcess };
      await onFreshCopy(
        variant,
        store.dir,
        async (graph) => {
          running = graph; // for cleanUp on SIGINT
          for (const scenario of store.scenarios) {
            await probe(
              graph,
              scenario.variablesCycle
                ? { ...scenario, variables: scenario.variablesCycle[0] }
                : scenario,
              token,
            );
            await measure(graph, scenario, token, 2); // warm-up: JIT, pools and caches, not recorded
            const m = await measure(graph, scenario, token, seconds);
            const load = os.loadavg()[0]!.toFixed(1);
            console.error(
              `round ${round + 1}/${rounds}: ${scenario.name} on ${store.name}: ${m.requestsPerSecond.toFixed(1)} req/s, p50 ${m.p50} ms, p95 ${m.p95.toFixed(1)} ms, ${m.errors} errors (load ${load})`,
            );
            figures.add(scenario.name, store.name, m);
          }
        },
        supervise,
      );
      running = null;
    }
  }

  const loads = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
  const lines = [
    '# Production stores: PostgreSQL against SQLite through the gateway',
    '',
    `Run ${new Date().toISOString()} on ${machine()}; ${connections} connections, ${seconds} s per measurement after 2 s of warm-up, ${rounds} interleaved rounds, each in fresh processes (${options.oneProcess ? 'three subgraphs and the gateway in one process' : 'a process per service, as `npm start` runs them'}). Load average at the end: ${loads}.`,
    `Reproduce: \`npm run bench:production -- --seconds ${seconds} --rounds ${rounds}${options.countyUrl ? ' --county-url <url>' : ''}${options.oneProcess ? ' --one-process' : ''} --write\`.`,
    '',
    '| scenario | store | req/s | p50 ms | p95 ms | p99 ms | non-2xx | p95 <= 50 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const store of stores) {
    for (const scenario of store.scenarios) {
      const l = figures.of(scenario.name, store.name);
      const p95 = Math.round(median(l.map((m) => m.p95)) * 10) / 10;
      const goal = scenario.name === 'patron lookup' ? (p95 <= 50 ? 'yes' : 'no') : '';
      lines.push(
        `| ${scenario.name} | ${store.name} | ${median(l.map((m) => m.requestsPerSecond)).toFixed(1)} | ${median(l.map((m) => m.p50))} | ${p95} | ${median(l.map((m) => m.p99))} | ${l.reduce((n, m) => n + m.errors, 0)} | ${goal} |`,
      );
    }
  }
  lines.push(
    '',
    "PostgreSQL / SQLite, median of the rounds' own ratios (range: lowest and highest round):",
    '',
    '| scenario | req/s ratio | range | p95 ratio |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const scenario of scenarios) {
    const [a, b] = [figures.of(scenario.name, 'PostgreSQL'), figures.of(scenario.name, 'SQLite')];
    const rps = a.map((m, i) => m.requestsPerSecond / b[i]!.requestsPerSecond);
    const p95 = a.map((m, i) => m.p95 / b[i]!.p95);
    lines.push(
      `| ${scenario.name} | ${median(rps).toFixed(2)} | ${Math.min(...rps).toFixed(2)}–${Math.max(...rps).toFixed(2)} | ${median(p95).toFixed(2)} |`,
    );
  }
  publishReport(lines, options.write ? 'production' : undefined);
} finally {
  await cleanUp();
}
