import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { InvalidArgumentError } from 'commander';
import type { SubgraphName } from '../src/config/env.js';
import { REPO_ROOT } from '../src/subgraph/service.js';
import { GRAPH_VARIANT_SCRIPT, VARIANT_VARIABLE, type PrivacySwitches } from './graphVariant.js';

/** One configuration of the graph under test, run as its own process. */
export interface Variant {
  name: string;
  env: Record<string, string>;
  /** Parts of privacy switched off in this variant (bench/graphVariant.ts); none by default. */
  switches?: Partial<PrivacySwitches>;
  /** Another checkout of the project to run this variant from (an earlier build, started as `npm start` starts it, without switches); default this one. */
  root?: string;
}

/** A started variant: its gateway URL and how to stop it. */
export interface RunningVariant {
  variant: Variant;
  url: string;
  /** The process serving the variant (all its services and threads; under `supervise`, the supervisor). */
  pid: number;
  /** Under `supervise`, each service's own process, by service name (catalog, circulation, events, gateway). */
  services: Record<string, number>;
  /** Where the variant's subgraphs listen, by subgraph name (for another gateway to reach the same ones). */
  subgraphUrls: Record<SubgraphName, string>;
  stop(): Promise<void>;
}

/** One request shape to load the gateway with. */
export interface Scenario {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
  connections: number;
  /** Variables to cycle through, one request after another on each connection (instead of `variables`). */
  variablesCycle?: ReadonlyArray<Record<string, unknown>>;
}

/** Figures of one scenario against one variant. */
export interface Measurement {
  requestsPerSecond: number;
  /** CPU time the variant's process spent per request (all threads), in ms. */
  cpuPerRequest: number;
  /** Of that, the request thread's (the one that runs the gateway and the subgraphs' resolvers). */
  requestThreadCpuPerRequest: number;
  p50: number;
  /** From every response's own time (autocannon's histogram has no 95th percentile), in ms. */
  p95: number;
  p99: number;
  errors: number;
  /** CPU time per request of each process passed to `measure` as `watch`, by the name it was given, in ms. */
  processCpuPerRequest: Record<string, number>;
  /** Cores the whole machine kept busy during the window, on average (all processes, the load generator's too). */
  machineBusyCores: number;
  /** Of those, the load generator's (this process: autocannon runs in it). */
  loadGeneratorCores: number;
}

/** Where the next variant's four ports are looked for: from a random place, so that benchmarks run side by side rarely meet. */
let nextPort = 4600 + 10 * Math.floor(Math.random() * 400);

/** Whether `port` can be listened on at the loopback now. */
const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * Ports above 1023 that Node's fetch refuses to reach ("bad port", from the Fetch standard's list):
 * a graph listening on one comes up, but the harness's fetches to it never get through.
 */
const FETCH_BLOCKED_PORTS = new Set([
  1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669,
  6679, 6697, 10080,
]);

/** A base port whose next three are free too (gateway, catalog, circulation, events). */
async function freePorts(): Promise<number> {
  for (;;) {
    const base = nextPort;
    nextPort = nextPort + 10 > 9000 ? 4600 : nextPort + 10;
    const ports = [0, 1, 2, 3].map((i) => base + i);
    if (ports.some((port) => FETCH_BLOCKED_PORTS.has(port))) continue;
    const free = await Promise.all(ports.map(portIsFree));
    if (free.every(Boolean)) return base;
  }
}

/** How to run a variant's process. */
export interface VariantOptions {
  /**
   * Run it under valgrind's callgrind, writing to this file: instructions are counted only between
   * `countInstructions`' switches, so start-up and warm-up cost nothing but time.
   */
  callgrindOut?: string;
  /**
   * Run the graph as `npm start` does: a supervisor with each service in its own process (their
   * ids in `services`), rather than all four services in one.
   */
  supervise?: boolean;
  /**
   * How the graph's libraries load: `production` (default) as a deployed graph loads them
   * (NODE_ENV=production; bench/libraryModePreload.mjs), `test` with their development checks.
   * The graph's own configuration is read with NODE_ENV=test either way.
   */
  libraries?: LibraryMode;
}

/** How a benchmark's graph loads its libraries (VariantOptions.libraries). */
export type LibraryMode = 'production' | 'test';

/** Parses a `--libraries` flag. */
export function libraryMode(value: string): LibraryMode {
  if (value !== 'production' && value !== 'test')
    throw new InvalidArgumentError('production or test');
  return value;
}

const LIBRARY_MODE_PRELOAD = fileURLToPath(new URL('./libraryModePreload.mjs', import.meta.url));

/**
 * A fresh copy of a seeded data directory for one run of one build: each starts from the same
 * state, with an empty audit, rather than filing and merging the audit records earlier runs left.
 */
export function copyDataDir(seeded: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-run-'));
  fs.cpSync(seeded, copy, { recursive: true });
  return copy;
}

/** About how many times slower the graph runs under callgrind (a 1,000-loan listing: 30 ms, 1.5 s). */
const CALLGRIND_SLOWDOWN = 50;

/** Starts a variant's three subgraphs and gateway in a child process over `dataDir`. */
export async function startVariant(
  variant: Variant,
  dataDir: string,
  options: VariantOptions = {},
): Promise<RunningVariant> {
  const base = await freePorts();
  // V8's memory reducer starts full collections by wall-clock time in isolates it finds idle. Under
  // valgrind's slowdown it fired in the worker threads' isolates five times in 80 listings, where at
  // full speed they collect about four times in 1,700 (--trace-gc); so it is off there.
  const v8Flags = options.callgrindOut ? ['--no-memory-reducer'] : [];
  const script = variant.root ? path.join(variant.root, 'src/cli/start.ts') : GRAPH_VARIANT_SCRIPT;
  const node = [process.execPath, ...v8Flags, '--import', 'tsx', script];
  // The audit writer's timers, stretched as valgrind slows the graph, do per request what they do at full speed.
  const switches = {
    ...variant.switches,
    ...(options.callgrindOut ? { auditTimerScale: CALLGRIND_SLOWDOWN } : {}),
  };
  const callgrind = [
    '--tool=callgrind',
    '--smc-check=all-non-file',
    '--instr-atstart=no',
    `--callgrind-out-file=${options.callgrindOut}`,
  ];
  const [command, ...args] = options.callgrindOut ? ['valgrind', ...callgrind, ...node] : node;
  const child: ChildProcess = spawn(command!, args, {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      SEED_ON_START: 'off',
      // One process unless asked: callgrind counts the graph's instructions in the process it starts.
      SUPERVISE: options.supervise ? 'on' : 'off',
      LOG_LEVEL: 'error',
      GATEWAY_PORT: String(base),
      CATALOG_PORT: String(base + 1),
      CIRCULATION_PORT: String(base + 2),
      EVENTS_PORT: String(base + 3),
      // One persona at saturation is far past any real caller's rate: the limiter stays in the path,
      // counting every request, but with limits no benchmark reaches.
      RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000000',
      RATE_LIMIT_PRINCIPAL_BURST: '1000000000',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000000',
      RATE_LIMIT_ANONYMOUS_BURST: '1000000000',
      ...(variant.root ? {} : { [VARIANT_VARIABLE]: JSON.stringify(switches) }),
      ...variant.env,
      NODE_OPTIONS: [
        variant.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS,
        (options.libraries ?? 'production') === 'production'
          ? `--import ${LIBRARY_MODE_PRELOAD}`
          : undefined,
      ]
        .filter(Boolean)
        .join(' '),
    },
    // valgrind's own summary goes to stderr; the counts are read from its output file. The log
    // (stdout) is kept only to say why a graph that did not come up stopped.
    stdio: ['ignore', 'pipe', options.callgrindOut ? 'ignore' : 'inherit'],
  });
  child.once('error', () => undefined);
  let log = '';
  child.stdout!.on(
    'data',
    (chunk: Buffer) => void (log = (log + chunk.toString('utf8')).slice(-4000)),
  );
  const url = `http://127.0.0.1:${base}/graphql`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  // Under valgrind the graph starts many times slower (see CALLGRIND_SLOWDOWN); a supervised one
  // loads its code in four processes at once.
  const startWithin = options.callgrindOut ? 300 : options.supervise ? 120 : 60;
  const deadline = Date.now() + startWithin * 1000;
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`variant ${variant.name} exited with ${child.exitCode}:\n${log}`);
      try {
        if ((await fetch(`http://127.0.0.1:${base}/health`)).ok) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline)
        throw new Error(`variant ${variant.name} did not start within ${startWithin} s:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // The audit opens in the background (slowly under valgrind); measure once it has.
    for (;;) {
      const health = (await (await fetch(`http://127.0.0.1:${base + 2}/health`)).json()) as {
        audit?: string;
      };
      if (health.audit !== 'starting') break;
      if (Date.now() > deadline)
        throw new Error(
          `variant ${variant.name}: the audit writer did not start within ${startWithin} s`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
    const services = options.supervise
      ? await serviceProcesses(child.pid!, Math.max(10, (deadline - Date.now()) / 1000))
      : {};
    return {
      variant,
      url,
      pid: child.pid!,
      services,
      subgraphUrls: {
        catalog: `http://127.0.0.1:${base + 1}/graphql`,
        circulation: `http://127.0.0.1:${base + 2}/graphql`,
        events: `http://127.0.0.1:${base + 3}/graphql`,
      },
      stop,
    };
  } catch (error) {
    // A graph that did not come up is not left running.
    await stop();
    throw error;
  }
}

/**
 * The supervisor's service processes by service name: its children (by the parent id in
 * /proc/<pid>/stat) and their command lines (`start.ts --only <service>`). Waits while one is
 * missing, as when the supervisor is starting it again. Linux only.
 */
async function serviceProcesses(
  supervisor: number,
  within: number,
): Promise<Record<string, number>> {
  const deadline = Date.now() + within * 1000;
  for (;;) {
    const services: Record<string, number> = {};
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== supervisor) continue;
        const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        const only = args.indexOf('--only');
        if (only >= 0 && args[only + 1]) services[args[only + 1]!] = Number(entry);
      } catch {
        // the process ended meanwhile
      }
    }
    const missing = ['catalog', 'circulation', 'events', 'gateway'].filter(
      (name) => !services[name],
    );
    if (!missing.length) return services;
    if (Date.now() > deadline)
      throw new Error(`no ${missing.join(', ')} process under the supervisor ${supervisor}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms: all its threads, or with `thread` one
 * of them (a process's first thread has the process's id). Linux only.
 */
function processCpuMs(pid: number, thread?: number): number {
  const stat = fs.readFileSync(
    thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`,
    'utf8',
  );
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream kernel. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time the whole machine has spent busy so far (all cores, all processes; not idle or waiting on I/O), in ms. */
function machineBusyMs(): number {
  const [, ...ticks] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .map(Number);
  // user nice system idle iowait irq softirq steal (guest times are already counted in user).
  const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Loads one variant with one scenario for `seconds` and returns its figures; with `watch`, also the
 * CPU time per request of each of those processes (e.g. a gateway and its subgraphs).
 */
export async function measure(
  target: RunningVariant,
  scenario: Scenario,
  token: string | null,
  seconds: number,
  watch: Record<string, number> = {},
): Promise<Measurement> {
  const cpuBefore = processCpuMs(target.pid);
  const mainBefore = processCpuMs(target.pid, target.pid);
  const watchedBefore = Object.fromEntries(
    Object.entries(watch).map(([name, pid]) => [name, processCpuMs(pid)]),
  );
  const machineBefore = machineBusyMs();
  const ownBefore = process.cpuUsage();
  const startedAt = performance.now();
  const times: number[] = [];
  const options: autocannon.Options = {
    url: target.url,
    method: 'POST',
    connections: scenario.connections,
    duration: seconds,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...scenario.headers,
    },
    body: JSON.stringify({ query: scenario.query, variables: scenario.variables }),
    ...(scenario.variablesCycle
      ? {
          requests: scenario.variablesCycle.map((variables) => ({
            body: JSON.stringify({ query: scenario.query, variables }),
          })),
        }
      : {}),
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error: unknown, done: autocannon.Result) =>
      error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
    );
    instance.on(
      'response',
      (_client, _status, _bytes, responseTime) => void times.push(responseTime),
    );
  });
  const cpu = processCpuMs(target.pid) - cpuBefore;
  const main = processCpuMs(target.pid, target.pid) - mainBefore;
  const machineBusy = machineBusyMs() - machineBefore;
  const own = process.cpuUsage(ownBefore);
  const elapsed = performance.now() - startedAt;
  const perRequest = (ms: number) =>
    result.requests.total ? ms / result.requests.total : Number.NaN;
  return {
    requestsPerSecond: result.requests.average,
    cpuPerRequest: result.requests.total ? cpu / result.requests.total : Number.NaN,
    requestThreadCpuPerRequest: result.requests.total ? main / result.requests.total : Number.NaN,
    p50: result.latency.p50,
    p95: percentile(times, 0.95),
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    processCpuPerRequest: Object.fromEntries(
      Object.entries(watch).map(([name, pid]) => [
        name,
        perRequest(processCpuMs(pid) - watchedBefore[name]!),
      ]),
    ),
    machineBusyCores: machineBusy / elapsed,
    loadGeneratorCores: (own.user + own.system) / 1000 / elapsed,
  };
}

/**
 * Counts the instructions one request of a scenario costs a variant started with `callgrindOut`:
 * every thread of its process (request thread, GC helpers, audit writer), over `requests`
 * sequential requests after `warmup` uncounted ones. Unlike time, the count does not move with
 * whatever else the machine does (a few per cent from run to run, from V8's JIT and GC timing).
 * Stops the variant, which writes the counts.
 */
export async function countInstructions(
  target: RunningVariant,
  scenario: Scenario,
  token: string | null,
  counts: { warmup: number; requests: number; callgrindOut: string },
): Promise<number> {
  for (let i = 0; i < counts.warmup; i++) await probe(target, scenario, token);
  const instrumentation = (state: 'on' | 'off') =>
    execFileSync('callgrind_control', ['-i', state, String(target.pid)], { stdio: 'ignore' });
  instrumentation('on');
  for (let i = 0; i < counts.requests; i++) await probe(target, scenario, token);
  instrumentation('off');
  await target.stop();
  const text = fs.readFileSync(counts.callgrindOut, 'utf8');
  const total = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
  if (!total) throw new Error(`no instruction count in ${counts.callgrindOut}`);
  fs.rmSync(counts.callgrindOut, { force: true });
  return Number(total[1]) / counts.requests;
}

/** Checks one response of a scenario, so a benchmark never measures a failing query. */
export async function probe(
  target: RunningVariant,
  scenario: Scenario,
  token: string | null,
): Promise<unknown> {
  return JSON.parse(await probeText(target, scenario, token));
}

/** One response of a scenario as the variant sent it, byte for byte (refused unless HTTP 2xx). */
export async function probeText(
  target: RunningVariant,
  scenario: Scenario,
  token: string | null,
): Promise<string> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...scenario.headers,
    },
    body: JSON.stringify({ query: scenario.query, variables: scenario.variables }),
  });
  if (!response.ok)
    throw new Error(`${scenario.name} on ${target.variant.name}: HTTP ${response.status}`);
  return response.text();
}

/** The value below which `share` of `values` fall (nearest rank); NaN for none. */
export const percentile = (values: readonly number[], share: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
};

/** The median of a list of numbers. */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** A short description of this machine for the record of a run. */
export const machine = (): string =>
  `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

/** Writes a Markdown report under docs/benchmarks/, keeping the notes below its NOTES_MARKER. */
export function writeReport(name: string, markdown: string): string {
  const file = path.join(REPO_ROOT, 'docs', 'benchmarks', `${name}.md`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let previous: string | null = null;
  try {
    previous = fs.readFileSync(file, 'utf8');
  } catch {
    // a first report
  }
  fs.writeFileSync(file, withKeptNotes(markdown, previous));
  return file;
}

/**
 * The line that ends a report's generated part: what follows it in docs/benchmarks/<name>.md (the
 * analyses written about earlier runs) is kept when a run rewrites the figures above it.
 */
export const NOTES_MARKER =
  '<!-- Notes below are kept when the benchmark rewrites the figures above. -->';

/** `report` followed by the marker and the notes after it in `previous`, if it has them. */
export function withKeptNotes(report: string, previous: string | null): string {
  const at = previous?.indexOf(NOTES_MARKER) ?? -1;
  return at < 0 ? report : `${report.replace(/\n*$/, '\n')}\n${previous!.slice(at)}`;
}

/**
 * Prints a run's report, its lines, to stdout and, given `name`, writes it as
 * docs/benchmarks/<name>.md and says where on stderr.
 */
export function publishReport(lines: readonly string[], name?: string): void {
  const report = lines.join('\n') + '\n';
  console.log(report);
  if (name) console.error(`written to ${writeReport(name, report)}`);
}
