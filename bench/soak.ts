import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command, InvalidArgumentError } from 'commander';
import {
  PERSONA_PATRONS,
  PERSONAS,
  SEEDED_LEGAL_ORDER,
  type PersonaName,
} from '../src/dev/personas.js';
import { runCommand } from '../src/cli/command.js';
import { loadConfig } from '../src/config/env.js';
import { mintToken } from '../src/privacy/authenticate/token.js';
import { REPO_ROOT } from '../src/subgraph/service.js';
import { machine } from './harness.js';
import { envPair } from './envPair.js';

/**
 * `npm run soak -- --minutes 10`: the graph started as `npm start` starts it (its own process
 * tree, fresh data directory, free ports), loaded at saturation with a mixed workload of every
 * persona; prints req/s, p50/p99, non-2xx by status and error code, and each process's RSS after
 * warm-up and at the end. Exits 1 on any 5xx or an RSS growth of 10% or more after warm-up.
 * 429s (rate limits) are counted apart: a refusal, not a failure.
 */

/** One request of the mix. */
interface Shape {
  name: string;
  persona: PersonaName;
  query: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
}

const { patron: avery, minor } = PERSONA_PATRONS;

/** The mix: what each persona does on an ordinary day, in the proportions of the list. */
const MIX: Shape[] = [
  {
    name: 'catalog search',
    persona: 'anonymous',
    query:
      '{ works(search: "the", first: 10) { nodes { title creators items { availability branch { name } } } totalCount } }',
  },
  {
    name: 'upcoming events',
    persona: 'anonymous',
    query: '{ events(first: 10) { title startsAt registrationCount branch { name } } }',
  },
  {
    name: 'own account',
    persona: 'patron',
    query:
      '{ me { name loans { dueAt item { availability work { title } branch { name } } } registrations { event { title startsAt } } } }',
  },
  {
    name: 'renew (refused at the limit)',
    persona: 'patron',
    query: 'mutation { renewLoan(loanId: "1") { dueAt renewals } }',
  },
  {
    name: "minor's account",
    persona: 'minor',
    query: '{ me { name loans { dueAt item { work { title } } } } }',
  },
  {
    name: 'guardian reads minor',
    persona: 'guardian',
    query:
      'query($id: ID!) { patron(id: $id) { name loans { dueAt item { work { title } } } registrations { event { title } } } }',
    variables: { id: minor.id },
  },
  {
    name: 'desk: open loans',
    persona: 'circulation-staff',
    query:
      '{ loans(status: OPEN, first: 20) { nodes { dueAt patron { name email } item { barcode work { title } } } } }',
  },
  {
    name: 'desk: one patron',
    persona: 'circulation-staff',
    query:
      'query($id: ID!) { patron(id: $id) { name email phone cardNumber holds { status work { title } } fines { amountCents paidAt } } }',
    variables: { id: avery.id },
  },
  {
    name: 'events desk: attendees',
    persona: 'events-staff',
    query: '{ events(first: 5) { title registrations { attended attendee { name } } } }',
  },
  {
    name: 'partner: consented patron',
    persona: 'partner',
    query: 'query($id: ID!) { patron(id: $id) { name email phone } }',
    variables: { id: avery.id },
  },
  {
    name: 'custodian: legal order',
    persona: 'records-custodian',
    query: 'query($id: ID!) { patron(id: $id) { name cardNumber loans { dueAt } email } }',
    variables: { id: avery.id },
    headers: { 'x-legal-process': SEEDED_LEGAL_ORDER },
  },
  {
    name: 'custodian: audit',
    persona: 'records-custodian',
    query:
      '{ disclosures(first: 10) { nodes { at principal exception fields subgraph } pageInfo { hasNextPage } } }',
  },
  {
    name: 'analytics: loans',
    persona: 'analytics',
    query: '{ loans(first: 50) { nodes { borrowerKey checkedOutDay item { work { format } } } } }',
  },
  {
    name: 'analytics: statistics',
    persona: 'analytics',
    query:
      '{ circulationStats(from: "2026-06", to: "2026-11", groupBy: [MONTH]) { cells { month checkouts suppressed } total { checkouts } } }',
  },
];

/**
 * Rate limits far above what one load generator sends: the soak measures the graph at saturation,
 * not the limiter (a variable the graph does not know is ignored; `--env` overrides these).
 */
export const GENEROUS_RATE_LIMITS: Record<string, string> = {
  RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000000',
  RATE_LIMIT_PRINCIPAL_BURST: '1000000000',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000000',
  RATE_LIMIT_ANONYMOUS_BURST: '1000000000',
};

/** A port nobody listens on right now. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** Every process of a tree (the graph's, and any supervisor's children), from /proc. Linux only. */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = [];
  const walk = (pid: number) => {
    tree.push(pid);
    for (const child of parents.get(pid) ?? []) walk(child);
  };
  walk(root);
  return tree;
}

/** One process's memory: resident set, and of it the anonymous part (heaps) and mapped files (MiB). */
interface Memory {
  rss: number;
  anon: number;
  file: number;
  command: string;
}

/** A process's memory and what it runs, or null once it is gone. */
function rssOf(pid: number): Memory | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const mib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024;
    const command = fs
      .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((a) => (a.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, a) : path.basename(a)))
      .join(' ')
      .replace(/ --import \S+| --max-old-space-size=\d+/g, '')
      .slice(0, 80);
    return {
      rss: mib('VmRSS'),
      anon: mib('RssAnon'),
      file: mib('RssFile') + mib('RssShmem'),
      command,
    };
  } catch {
    return null;
  }
}

/** RSS of every process of the tree now, by pid. */
const sampleRss = (root: number) =>
  new Map(
    processTree(root).flatMap((pid) => {
      const r = rssOf(pid);
      return r ? [[pid, r] as const] : [];
    }),
  );

/** The size of the data directory's files (MiB): the audit grows with every disclosure. */
const dataSize = (dir: string) =>
  fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0) /
  2 ** 20;

/** Tallies of one load run, from every response. */
class Tally {
  statuses = new Map<number, number>();
  /** Non-2xx answers by status and error code. */
  refused = new Map<string, number>();
  /** Error codes inside 200 answers (redactions, refusals of a role). */
  inAnswers = new Map<string, number>();

  add(status: number, body: string): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    const codes = [...body.matchAll(/"code":"([A-Z_]+)"/g)].map((m) => m[1]!);
    if (status < 200 || status > 299) {
      const key = `${status} ${codes[0] ?? '(no code)'}`;
      this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
    } else {
      for (const code of codes) this.inAnswers.set(code, (this.inAnswers.get(code) ?? 0) + 1);
    }
  }

  count(predicate: (status: number) => boolean): number {
    let n = 0;
    for (const [status, c] of this.statuses) if (predicate(status)) n += c;
    return n;
  }
}

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const fmt = (map: Map<string | number, number>) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'none';

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('soak')
    .description(
      'Loads the graph, started as npm start starts it, with every persona at saturation; prints throughput, latency, refusals and memory.',
    )
    .option('--minutes <n>', 'how long to load it after the warm-up', positive, 10)
    .option(
      '--warmup <seconds>',
      'load before the first memory reading (default: a tenth of the run, 60 to 120 s)',
      positive,
    )
    .option('--connections <n>', 'concurrent connections', positive, 10)
    .option(
      '--env <NAME=value>',
      'configuration for the graph (repeatable), e.g. generous rate limits',
      envPair,
    )
    .exitOverride()
    .parse(argv);
  const opts = program.opts<{
    minutes: number;
    warmup?: number;
    connections: number;
    env?: Record<string, string>;
  }>();
  const seconds = Math.round(opts.minutes * 60);
  const warmup = Math.round(opts.warmup ?? Math.min(120, Math.max(60, seconds / 10)));

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-graph-soak-'));
  const [gateway, catalog, circulation, events] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SEED_ON_START: 'on',
    LOG_LEVEL: 'warn',
    PURGE_SCHEDULE: 'off',
    PLAYGROUND: 'off',
    GATEWAY_PORT: String(gateway),
    CATALOG_PORT: String(catalog),
    CIRCULATION_PORT: String(circulation),
    EVENTS_PORT: String(events),
    ...GENEROUS_RATE_LIMITS,
    ...opts.env,
  };
  const config = loadConfig({ ...process.env, ...env });
  // The same command as `npm start` (tsx src/cli/start.ts), without npm's wrapper process.
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/start.ts')],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  child.once('error', () => undefined);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });

  try {
    process.stderr.write(`soak: starting the graph (data ${dataDir}, gateway port ${gateway})\n`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the graph exited with ${child.exitCode} while starting`);
      const up = await fetch(`http://127.0.0.1:${circulation}/health`).then(
        (r) => r.json() as Promise<{ audit?: string }>,
        () => null,
      );
      const gatewayUp = await fetch(`http://127.0.0.1:${gateway}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (up && up.audit !== 'starting' && gatewayUp) break;
      if (Date.now() > deadline) throw new Error('the graph did not start within 120 s');
      await new Promise((r) => setTimeout(r, 250));
    }

    const tokens = new Map<PersonaName, string>();
    for (const shape of MIX) {
      if (shape.persona !== 'anonymous' && !tokens.has(shape.persona))
        tokens.set(
          shape.persona,
          await mintToken(PERSONAS[shape.persona], config, 4 * 3600 + seconds),
        );
    }
    const url = `http://127.0.0.1:${gateway}/graphql`;
    const load = async (duration: number, tally: Tally) => {
      const requests = MIX.map((shape) => ({
        method: 'POST' as const,
        path: '/graphql',
        headers: {
          'content-type': 'application/json',
          ...(tokens.has(shape.persona)
            ? { authorization: `Bearer ${tokens.get(shape.persona)}` }
            : {}),
          ...shape.headers,
        },
        body: JSON.stringify({ query: shape.query, variables: shape.variables }),
        onResponse: (status: number, body: string) => tally.add(status, body),
      }));
      return autocannon({ url, connections: opts.connections, duration, requests, timeout: 30 });
    };

    process.stderr.write(
      `soak: warming up for ${warmup} s, ${opts.connections} connections, ${MIX.length} requests of ${new Set(MIX.map((m) => m.persona)).size} personas in turn\n`,
    );
    await load(warmup, new Tally());
    const before = sampleRss(child.pid!);
    const dataBefore = dataSize(dataDir);
    process.stderr.write(`soak: loading for ${seconds} s\n`);
    const peak = new Map<number, number>();
    const series: number[] = [];
    const sampler = setInterval(() => {
      let total = 0;
      for (const [pid, r] of sampleRss(child.pid!)) {
        peak.set(pid, Math.max(peak.get(pid) ?? 0, r.rss));
        total += r.rss;
      }
      series.push(total);
    }, 10_000);
    const progress = setInterval(() => process.stderr.write('.'), 10_000);
    const tally = new Tally();
    const result = await load(seconds, tally);
    clearInterval(sampler);
    clearInterval(progress);
    process.stderr.write('\n');
    const after = sampleRss(child.pid!);
    const alive = child.exitCode === null && child.signalCode === null;

    const total = result.requests.total;
    const fivexx = tally.count((s) => s >= 500);
    const limited = tally.count((s) => s === 429);
    const lines = [
      `soak: ${opts.minutes} min after ${warmup} s warm-up, ${opts.connections} connections, ${machine()}`,
      `  requests      ${total} (${(total / seconds).toFixed(1)} req/s), transport errors ${result.errors}, timeouts ${result.timeouts}`,
      `  latency       p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
      `  statuses      ${fmt(tally.statuses)}`,
      `  non-2xx       ${fmt(tally.refused)}   (429 rate limited: ${limited}, not failures)`,
      `  codes in 200s ${fmt(tally.inAnswers)}`,
      '  memory (RSS, MiB)      after warm-up     end    peak  growth   heaps (anon) start/end   mapped files start/end   process',
    ];
    let worstGrowth = 0;
    for (const [pid, start] of before) {
      const end = after.get(pid)?.rss;
      const growth = end === undefined ? Number.NaN : (end / start.rss - 1) * 100;
      if (!Number.isNaN(growth)) worstGrowth = Math.max(worstGrowth, growth);
      const endMemory = after.get(pid);
      const split = (m: Memory | undefined, key: 'anon' | 'file') => (m ? m[key].toFixed(1) : '-');
      lines.push(
        `  pid ${String(pid).padEnd(8)}          ${start.rss.toFixed(1).padStart(8)} ${end === undefined ? '  (gone)' : end.toFixed(1).padStart(7)} ${(peak.get(pid) ?? 0).toFixed(1).padStart(7)} ${Number.isNaN(growth) ? '     ' : `${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%`.padStart(7)}   ${`${split(start, 'anon')} / ${split(endMemory, 'anon')}`.padStart(20)}   ${`${split(start, 'file')} / ${split(endMemory, 'file')}`.padStart(22)}   ${start.command}`,
      );
    }
    lines.push(`  RSS of the tree every 10 s: ${series.map((v) => v.toFixed(0)).join(' ')} MiB`);
    lines.push(
      `  data files   ${dataBefore.toFixed(1)} MiB after warm-up, ${dataSize(dataDir).toFixed(1)} MiB at the end`,
    );
    for (const [pid, r] of after)
      if (!before.has(pid))
        lines.push(
          `  pid ${pid} started during the run (a restart?): ${r.rss.toFixed(1)} MiB  ${r.command}`,
        );
    const failures = [
      ...(fivexx > 0 ? [`${fivexx} answers with a 5xx status`] : []),
      ...(result.errors > 0 ? [`${result.errors} transport errors`] : []),
      ...(worstGrowth >= 10
        ? [`RSS grew ${worstGrowth.toFixed(1)}% after warm-up (target: under 10%)`]
        : []),
      ...(alive
        ? []
        : [
            `the graph died during the run (exit code ${child.exitCode}, signal ${child.signalCode})`,
          ]),
    ];
    lines.push(
      failures.length
        ? `  FAILED: ${failures.join('; ')}`
        : '  targets met: no 5xx, RSS growth under 10% after warm-up',
    );
    console.log(lines.join('\n'));
    return failures.length ? 1 : 0;
  } finally {
    await stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runCommand('soak', main);
