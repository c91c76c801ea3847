/**
 * `npm run bench:analytics -- [--data-dir /tmp/county-seed] [--scale county|demo] [--rounds 3] [--quick]`
 *
 * The measures of issue 15 on a seeded data set:
 *  (a) seeds the scale into the data directory, or reuses it when it is already seeded;
 *  (b) releases every closed month not released yet, oldest first (circulation then events,
 *      suppression and DP), and prints each month's wall and CPU time with its tally's size;
 *  (c) runs `circulationStats` and `eventStats` over the 12 months up to that month for every
 *      `groupBy` (every subset of the dimensions), in both protection modes, through the gateway of
 *      an in-process graph with the analytics token (rate limit and deadline raised), asking for the
 *      first page of cells (`cellPage`, 1000 groups), and prints p50/p95/max of the first request of
 *      each groupBy, of the measured rounds after it, and each groupBy's own p95; then reads every
 *      page of the largest answers;
 *  (d) prints the share of released cells published vs suppressed, and the DP release's median
 *      relative error for cells of at least 100 checkouts (truth: the suppression release's exact
 *      counts, which the tables keep even where they are not published).
 * `--quick` seeds the demo into a fresh temporary directory and runs one round: the short mode
 * that proves the script works. Figures go to stdout as markdown rows for docs/benchmarks/analytics.md.
 */
import { libraryMode } from './productionLibraries.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import { databaseFile, openDatabases } from '../src/app/databases.js';
import { startGraph } from '../src/app/graph.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/log/logger.js';
import { PERSONAS } from '../src/dev/personas.js';
import { mintToken } from '../src/privacy/authenticate/token.js';
import { monthOf, releaseMonth } from '../src/analytics/release/releaseMonth.js';
import { CIRCULATION_SCOPE, EVENTS_SCOPE } from '../src/analytics/release/scopes.js';
import { releaseDb } from '../src/analytics/release/tally.js';
import { REPO_ROOT } from '../src/subgraph/service.js';

interface Flags {
  dataDir: string;
  scale: 'county' | 'demo';
  rounds: number;
  quick: boolean;
  releaseOnly: boolean;
  releaseMonths: number;
}

const program = new Command('bench:analytics')
  .option('--data-dir <dir>', 'seeded data directory (seeded first when empty)', '/tmp/county-seed')
  .option('--scale <scale>', 'scale to seed when the directory is empty', 'county')
  .option(
    '--rounds <n>',
    'measured rounds over every groupBy (after the first pass, which is reported apart)',
    (v) => Math.max(1, Number(v)),
    3,
  )
  .option('--quick', 'demo seed in a temporary directory, one round', false)
  .option('--release-only', 'stop after releasing (to profile releasing: node --cpu-prof)', false)
  .option(
    '--release-months <n>',
    'release at most this many months (the oldest not released yet) per scope',
    (v) => Math.max(0, Number(v)),
    Infinity,
  )
  .parse();
const flags = program.opts<Flags>();
if (flags.quick)
  Object.assign(flags, {
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-analytics-')),
    scale: 'demo',
    rounds: 1,
  });

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const out = (line: string) => process.stdout.write(`${line}\n`);

/** The month `n` months before `month`, 'YYYY-MM'. */
function monthBefore(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const i = y * 12 + m - 1 - n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** Every subset of `dims`, in their order (the empty one included). */
const subsets = (dims: readonly string[]): string[][] =>
  Array.from({ length: 2 ** dims.length }, (_, mask) => dims.filter((_, d) => (mask >> d) & 1));

/** The value at quantile `q` of `values` (nearest rank). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  out(`# bench:analytics  data dir ${flags.dataDir}  scale ${flags.scale}  rounds ${flags.rounds}`);
  out(
    `machine: ${os.cpus().length} cores, load average at start ${load()}; libraries in NODE_ENV=${libraryMode} mode`,
  );

  // (a) Seed, unless the directory already holds a seeded library.
  if (!fs.existsSync(databaseFile(flags.dataDir, 'circulation'))) {
    const started = performance.now();
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'src/cli/seed.ts'),
        '--scale',
        flags.scale,
        '--data-dir',
        flags.dataDir,
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        cwd: REPO_ROOT,
      },
    );
    out(`seed (${flags.scale}): ${seconds(performance.now() - started)}`);
  } else out(`seed: reused ${flags.dataDir}`);

  const env = { NODE_ENV: 'test', DATA_DIR: flags.dataDir, LOG_LEVEL: 'silent' } as const;
  const config = loadConfig({
    ...env,
    GATEWAY_PORT: '0',
    CATALOG_PORT: '0',
    CIRCULATION_PORT: '0',
    EVENTS_PORT: '0',
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000',
    RATE_LIMIT_PRINCIPAL_BURST: '1000000',
    // On a loaded machine the largest answers take longer than a client's default deadline.
    REQUEST_DEADLINE_MS: '300000',
  });
  const k = config.analytics.minCellSize;
  const dp = config.analytics.dp;
  const lastClosed = monthBefore(monthOf(new Date()), 1);
  const firstMonth = monthBefore(lastClosed, 11);

  // (b) Release every closed month not released yet, oldest first as the schedule and a first
  // start do (circulation, then events), timing each: wall time and this process's CPU time.
  const releaseRows: string[] = [];
  {
    const databases = await openDatabases(flags.dataDir);
    try {
      for (const [scope, db] of [
        [CIRCULATION_SCOPE, databases.circulation.db],
        [EVENTS_SCOPE, databases.events.db],
      ] as const) {
        const released = new Set(
          (
            await sql<{
              month: string;
            }>`SELECT DISTINCT month FROM stats_releases WHERE scope = ${scope.name}`.execute(db)
          ).rows.map((r) => r.month),
        );
        let count = 0;
        for (const month of await scope.months(releaseDb(db))) {
          if (month > lastClosed || released.has(month) || count++ >= flags.releaseMonths) continue;
          const {
            rows: [tally],
          } = await sql<{
            n: number;
          }>`SELECT count(*) AS n FROM stats_tally WHERE month = ${month}`.execute(db);
          const cpu0 = process.cpuUsage();
          const started = performance.now();
          const summary = await releaseMonth(releaseDb(db), scope, month, { k, dp });
          const used = process.cpuUsage(cpu0);
          releaseRows.push(
            `| ${scope.name} | ${month} | ${Number(tally?.n ?? 0).toLocaleString('en')} | ${summary.cells.toLocaleString('en')} | ${summary.suppressed.toLocaleString('en')} | ` +
              `${seconds(performance.now() - started)} | ${seconds((used.user + used.system) / 1000)} | ${load()} |`,
          );
          process.stderr.write(`released ${summary.id}\n`);
        }
      }
    } finally {
      for (const db of Object.values(databases)) await db.close();
    }
  }
  out('');
  out(
    '## Releasing each closed month (suppression over every grouping + DP release), oldest first',
  );
  out('| scope | month | tally rows | cells | suppressed | wall | CPU | load average |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const line of releaseRows) out(line);
  if (releaseRows.length === 0)
    out('| (every closed month was released by an earlier run) | | | | | | | |');
  if (flags.releaseOnly) return;

  // The graph starts with every month released; it reads the releases into memory.
  const started = performance.now();
  const graph = await startGraph(config, createLogger('bench', 'silent'));
  try {
    await graph.released;
    out(`graph start + reading releases into memory: ${seconds(performance.now() - started)}`);
    const url = graph.urls.gateway!;
    const token = await mintToken(PERSONAS.analytics, config);
    // Wall time of each request, and the CPU time the process spent meanwhile: gateway, subgraphs
    // and client share this process and serve one request at a time, so the CPU time is about
    // what the request would take on a machine to itself, which wall time is not under load.
    // `timed` sends one query as the analytics persona and returns its one answer with those two
    // times; a GraphQL error is thrown, named by `what`.
    const timed = async <Answer>(
      query: string,
      what: string,
    ): Promise<{ ms: number; cpu: number; answer: Answer | undefined }> => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as {
        errors?: { message: string }[];
        data?: Record<string, Answer>;
      };
      const ms = performance.now() - t0;
      const used = process.cpuUsage(cpu0);
      if (body.errors?.length) throw new Error(`${what}: ${body.errors[0]!.message}`);
      return {
        ms,
        cpu: (used.user + used.system) / 1000,
        answer: Object.values(body.data ?? {})[0],
      };
    };
    const ask = async (
      query: string,
    ): Promise<{ ms: number; cpu: number; cells: number; listed: number }> => {
      const { ms, cpu, answer } = await timed<{
        cellCount: number;
        cellPage: { nodes: unknown[] };
        margins: unknown[];
      }>(query, query.slice(0, 80));
      return {
        ms,
        cpu,
        cells: answer?.cellCount ?? 0,
        listed: (answer?.cellPage.nodes.length ?? 0) + (answer?.margins.length ?? 0),
      };
    };
    const range = `from: "${firstMonth}", to: "${lastClosed}"`;
    const circulation = (
      groupBy: string[],
      protection: string,
    ) => `{ circulationStats(${range}, groupBy: [${groupBy.join(', ')}], protection: ${protection}) {
      minGroupSize releases { id month version } unreleasedMonths cellCount
      cellPage { pageInfo { endCursor hasNextPage } nodes { branch { id } format ageBand homeBranch { id } month checkouts checkoutsMarginOfError distinctBorrowers suppressed } }
      margins { dimension branch { id } format ageBand homeBranch { id } month checkouts checkoutsMarginOfError distinctBorrowers suppressed }
      total { checkouts checkoutsMarginOfError distinctBorrowers suppressed } } }`;
    const events = (
      groupBy: string[],
      protection: string,
    ) => `{ eventStats(${range}, groupBy: [${groupBy.join(', ')}], protection: ${protection}) {
      minGroupSize releases { id month version } unreleasedMonths cellCount
      cellPage { pageInfo { endCursor hasNextPage } nodes { branch { id } month registrations registrationsMarginOfError attended distinctPatrons suppressed } }
      margins { dimension branch { id } month registrations registrationsMarginOfError attended distinctPatrons suppressed }
      total { registrations attended distinctPatrons suppressed } } }`;
    /** Both statistics operations: name, query builder, and every dimension with MONTH. */
    const operations = [
      ['circulationStats', circulation, CIRCULATION_SCOPE.dimensions.concat('MONTH')],
      ['eventStats', events, EVENTS_SCOPE.dimensions.concat('MONTH')],
    ] as const;
    out('');
    out(
      `## Answers, 12 months (${range}), every groupBy, first page (cellPage, default 1000 groups), through the gateway (load average ${load()})`,
    );
    out('| operation | protection | requests | p50 | p95 | max | CPU p50 | CPU p95 |');
    out('| --- | --- | --- | --- | --- | --- | --- | --- |');
    const row = (ms: number[], cpu: number[]) =>
      `${ms.length} | ${quantile(ms, 0.5).toFixed(0)} ms | ${quantile(ms, 0.95).toFixed(0)} ms | ${Math.max(...ms).toFixed(0)} ms | ${quantile(cpu, 0.5).toFixed(0)} ms | ${quantile(cpu, 0.95).toFixed(0)} ms |`;
    const slow: string[] = [];
    const cold: string[] = [];
    for (const [name, build, dims] of operations) {
      for (const protection of ['SUPPRESSION', 'DIFFERENTIAL_PRIVACY']) {
        const groupBys = subsets(dims);
        // First time: each groupBy asked once, before any other request of its kind (nothing of
        // this answer computed before; the releases are in memory since the graph started).
        const first = { ms: [] as number[], cpu: [] as number[] };
        for (const g of groupBys) {
          const { ms, cpu } = await ask(build(g, protection));
          first.ms.push(ms);
          first.cpu.push(cpu);
        }
        cold.push(`| ${name} | ${protection} | ${row(first.ms, first.cpu)}`);
        const times = new Map<
          string,
          { ms: number[]; cpu: number[]; cells: number; listed: number }
        >(groupBys.map((g) => [g.join(', '), { ms: [], cpu: [], cells: 0, listed: 0 }]));
        for (let round = 0; round < flags.rounds; round++) {
          for (const g of groupBys) {
            const { ms, cpu, cells, listed } = await ask(build(g, protection));
            const t = Object.assign(times.get(g.join(', '))!, { cells, listed });
            t.ms.push(ms);
            t.cpu.push(cpu);
          }
        }
        const all = [...times.values()];
        out(
          `| ${name} | ${protection} | ${row(
            all.flatMap((t) => t.ms),
            all.flatMap((t) => t.cpu),
          )}`,
        );
        for (const [g, t] of times) {
          slow.push(
            `| ${name} | ${protection} | [${g}] | ${t.cells.toLocaleString('en')} | ${t.listed.toLocaleString('en')} | ${quantile(t.ms, 0.95).toFixed(0)} ms | ${quantile(t.cpu, 0.95).toFixed(0)} ms |` +
              (quantile(t.ms, 0.95) > 100 || quantile(t.cpu, 0.95) > 100
                ? ' **over 100 ms** |'
                : ' |'),
          );
        }
      }
    }
    out('');
    out('First request of each groupBy (the first pass, before the measured ones):');
    out('| operation | protection | requests | p50 | p95 | max | CPU p50 | CPU p95 |');
    out('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const line of cold) out(line);
    out('');
    out(
      'Each groupBy (measured rounds): groups of the answer (cellCount), groups listed (first page + margins), p95:',
    );
    out('| operation | protection | groupBy | groups | listed | p95 | CPU p95 | |');
    out('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const line of slow) out(line);

    // Reading a whole large answer: every page of the finest grouping by month, in order.
    out('');
    out(
      'Every page of the largest answers (all dimensions and MONTH), one request per page of 1000:',
    );
    out(
      '| operation | protection | groups | pages | all pages, wall | all pages, CPU | slowest page |',
    );
    out('| --- | --- | --- | --- | --- | --- | --- |');
    for (const [name, build, dims] of operations) {
      for (const protection of ['SUPPRESSION', 'DIFFERENTIAL_PRIVACY']) {
        let after: string | null = null;
        let pages = 0;
        let groups = 0;
        let wall = 0;
        let cpu = 0;
        let slowest = 0;
        do {
          const query: string = build([...dims], protection).replace(
            'cellPage {',
            after ? `cellPage(after: ${JSON.stringify(after)}) {` : 'cellPage {',
          );
          const page = await timed<{
            cellCount: number;
            cellPage: {
              nodes: unknown[];
              pageInfo: { endCursor: string | null; hasNextPage: boolean };
            };
          }>(query, `${name} page ${pages + 1}`);
          const answer = page.answer!;
          pages += 1;
          groups = answer.cellCount;
          wall += page.ms;
          cpu += page.cpu;
          slowest = Math.max(slowest, page.ms);
          after = answer.cellPage.pageInfo.hasNextPage ? answer.cellPage.pageInfo.endCursor : null;
        } while (after);
        out(
          `| ${name} | ${protection} | ${groups.toLocaleString('en')} | ${pages} | ${wall.toFixed(0)} ms | ${cpu.toFixed(0)} ms | ${slowest.toFixed(0)} ms |`,
        );
      }
    }

    // (d) What the releases publish, and what the noise costs.
    const db = graph.databases!.circulation.db;
    const { rows: shares } = await sql<{ kind: string; cells: number; suppressed: number }>`
      SELECT CASE WHEN c."grouping" = 15 THEN 'finest grain'
                  WHEN c."grouping" IN (1, 2, 4, 8) THEN 'single dimensions'
                  WHEN c."grouping" = 0 THEN 'month totals' ELSE 'other groupings' END AS kind,
             count(*) AS cells, sum(c.suppressed) AS suppressed
      FROM stats_release_cells c JOIN stats_releases r ON r.id = c.release_id
      WHERE r.scope = 'circulation' AND r.mode = 'suppression' AND r.month BETWEEN ${firstMonth} AND ${lastClosed}
      GROUP BY 1 ORDER BY 1`.execute(db);
    const all = shares.reduce(
      (a, s) => ({
        cells: a.cells + Number(s.cells),
        suppressed: a.suppressed + Number(s.suppressed),
      }),
      { cells: 0, suppressed: 0 },
    );
    const pct = (n: number, of: number) => `${of === 0 ? 0 : ((100 * n) / of).toFixed(1)}%`;
    out('');
    out(
      `## Published vs suppressed, circulation releases ${firstMonth} to ${lastClosed} (suppression, k = ${k})`,
    );
    out('| cells | total | published | suppressed |');
    out('| --- | --- | --- | --- |');
    for (const s of [...shares, { kind: 'all groupings', ...all }]) {
      const n = Number(s.cells);
      const sup = Number(s.suppressed);
      out(`| ${s.kind} | ${n.toLocaleString('en')} | ${pct(n - sup, n)} | ${pct(sup, n)} |`);
    }
    const { rows: pairs } = await sql<{ truth: number; noisy: number }>`
      SELECT t.c0 AS truth, n.c0 AS noisy
      FROM stats_releases rt JOIN stats_release_cells t ON t.release_id = rt.id
      JOIN stats_releases rn ON rn.scope = rt.scope AND rn.month = rt.month AND rn.mode = 'dp'
      JOIN stats_release_cells n ON n.release_id = rn.id AND n."grouping" = t."grouping" AND n.key = t.key
      WHERE rt.scope = 'circulation' AND rt.mode = 'suppression' AND rt.month BETWEEN ${firstMonth} AND ${lastClosed} AND t.c0 >= 100`.execute(
      db,
    );
    const errors = pairs.map((p) => Math.abs(Number(p.noisy) - Number(p.truth)) / Number(p.truth));
    out('');
    out(
      `## Differential privacy (epsilon ${dp.epsilon} per month, at most ${dp.contribution} checkouts per person and month)`,
    );
    out(
      `median relative error of per-month cells of >= 100 checkouts, all groupings: ${(100 * quantile(errors, 0.5)).toFixed(1)}% over ${errors.length.toLocaleString('en')} cells (p90 ${(100 * quantile(errors, 0.9)).toFixed(1)}%)`,
    );
    out(`load average at end ${load()}`);
  } finally {
    await graph.stop();
    if (flags.quick) fs.rmSync(flags.dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:analytics: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exitCode = 1;
});
