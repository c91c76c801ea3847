/**
 * npm run bench:peers — the privacy gateway against the gateways our users would otherwise run, in
 * one run on one machine (issue 19):
 *   privacy   the graph as it ships, every switch at its default: privacy gateway, subgraph
 *             enforcement, signed contexts, audit, public response cache, in-flight deduplication
 *             (`--response-cache off` measures it computing every answer instead)
 *   plain     a plain @apollo/gateway over the same subgraphs (bench:privacy's `bare` build)
 *   hive      GraphQL Hive Gateway (Node) on the same supergraph, as shipped (in-flight
 *             deduplication on), over the plain build's own subgraph processes
 * Each graph runs as `npm start` runs it, one process per service, so that the CPU each request
 * costs is read per process: the gateway's and each subgraph's (/proc/<pid>/stat before and after
 * each measured window). Every round starts every process afresh; the gateways are measured in a
 * rotating order, workload by workload, so drift on a shared machine hits them alike. Before any
 * measuring, each round checks that the gateways send the same response for every workload, and
 * stops (exit 1) if they do not.
 *
 * Hive Gateway is found at node_modules/.bin/hive-gateway, or at HIVE_GATEWAY_BIN.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PERSONAS, type PersonaName } from '../src/dev/personas.js';
import {
  anonymousContext,
  encodeContext,
  type DisclosureContext,
} from '../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../src/privacy/context/ids.js';
import { CONTEXT_HEADER } from '../src/privacy/sign/signature.js';
import { SUPERGRAPH_FILE } from '../src/app/graph.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/log/logger.js';
import { REPO_ROOT } from '../src/subgraph/service.js';
import {
  copyDataDir,
  libraryMode,
  machine,
  measure,
  median,
  probeText,
  startVariant,
  writeReport,
  type LibraryMode,
  type Measurement,
  type RunningVariant,
  type Scenario,
  type Variant,
} from './harness.js';
import { ALL_VARIANTS, SCENARIOS, seedBenchData, tokensFor } from './privacyScenarios.js';
import { withSwitches } from './graphVariant.js';
import { compareResponses, ResponsesDiffer, weakest, type Sameness } from './sameResponses.js';

type GatewayName = 'privacy' | 'plain' | 'hive';
const GATEWAYS: readonly GatewayName[] = ['privacy', 'plain', 'hive'];
const LABELS: Record<GatewayName, string> = {
  privacy: 'privacy gateway',
  plain: 'plain @apollo/gateway',
  hive: 'Hive Gateway',
};

/** One request shape, the persona sending it, and the gateways it compares. */
interface Workload extends Scenario {
  key: string;
  persona: PersonaName;
  gateways: readonly GatewayName[];
}

/** The staff listing of bench:privacy's scenario (a) and the catalog page of its scenario (c). */
const [LISTING, , CATALOG_PAGE] = SCENARIOS;

/**
 * About 64 kB of public data from the catalog and events subgraphs: works with their items and
 * branches, and events with their branches (resolved by the catalog). Events from a fixed date, so
 * every gateway and round gets the same ones.
 */
const PUBLIC_PAGE = `{
  works(first: 100) { nodes { id title creators isbn year format items { id barcode status branch { id name } } } }
  events(from: "2000-01-01T00:00:00Z", first: 50) { id title description startsAt endsAt capacity branch { id name } }
}`;

/**
 * The issue's workloads, each on all three gateways. Hive Gateway serves the staff listing from the
 * plain build's subgraphs with the caller's context passed on unsigned (hiveConfig, requestFor).
 */
const WORKLOADS: Workload[] = [
  {
    key: 'a4',
    name: '1,000 loans with patron fields, circulation staff, 4 connections',
    persona: 'circulation-staff',
    query: LISTING!.query,
    connections: 4,
    gateways: GATEWAYS,
  },
  {
    key: 'a20',
    name: '1,000 loans with patron fields, circulation staff, 20 connections',
    persona: 'circulation-staff',
    query: LISTING!.query,
    connections: 20,
    gateways: GATEWAYS,
  },
  {
    key: 'b',
    name: 'small catalog page, anonymous, 20 connections',
    persona: 'anonymous',
    query: CATALOG_PAGE!.query,
    connections: 20,
    gateways: GATEWAYS,
  },
  {
    key: 'c',
    name: '100 works with items and branches + 50 events, anonymous, 20 connections',
    persona: 'anonymous',
    query: PUBLIC_PAGE,
    connections: 20,
    gateways: GATEWAYS,
  },
];

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
};
const options = new Command()
  .name('bench:peers')
  .description(
    'The privacy gateway against a plain @apollo/gateway and Hive Gateway, in interleaved rounds.',
  )
  .option('--rounds <n>', 'interleaved rounds, each with fresh processes', positive, 6)
  .option('--duration <seconds>', 'seconds per measured window', positive, 10)
  .option('--warmup <seconds>', 'seconds of unrecorded load before each window', positive, 2)
  .option(
    '--response-cache <on|off>',
    "the privacy gateway's public response cache (RESPONSE_CACHE); on as shipped",
    'on',
  )
  .option(
    '--only <keys>',
    `workloads to run, comma-separated: ${WORKLOADS.map((w) => w.key).join(', ')}`,
  )
  .option(
    '--libraries <production|test>',
    'load the libraries (graphql-js) of every gateway and subgraph as deployed (NODE_ENV=production) or with their development checks',
    libraryMode,
    'production' as LibraryMode,
  )
  .option('--write', 'write the report to docs/benchmarks/peers.md')
  .parse()
  .opts<{
    rounds: number;
    duration: number;
    warmup: number;
    responseCache: string;
    only?: string;
    libraries: LibraryMode;
    write?: boolean;
  }>();
if (options.responseCache !== 'on' && options.responseCache !== 'off') {
  console.error('bench:peers: --response-cache is on or off');
  process.exit(2);
}

const keys = options.only?.split(',').map((k) => k.trim());
const unknown = keys?.find((k) => !WORKLOADS.some((w) => w.key === k));
if (unknown) {
  console.error(
    `bench:peers: unknown workload "${unknown}"; workloads are ${WORKLOADS.map((w) => w.key).join(', ')}`,
  );
  process.exit(2);
}
const workloads = WORKLOADS.filter((w) => !keys || keys.includes(w.key));
const needsHive = workloads.some((w) => w.gateways.includes('hive'));
const hive = needsHive ? findHive() : null;

/** The Hive Gateway binary and its version; exits 2 with what to do when it is missing. */
function findHive(): { bin: string; version: string } {
  const bin =
    process.env.HIVE_GATEWAY_BIN ?? path.join(REPO_ROOT, 'node_modules', '.bin', 'hive-gateway');
  if (!fs.existsSync(bin)) {
    console.error(
      `bench:peers: no Hive Gateway at ${bin}: install @graphql-hive/gateway (a devDependency) or set HIVE_GATEWAY_BIN`,
    );
    process.exit(2);
  }
  // The binary is <package>/dist/bin.js behind the .bin link.
  const manifest = path.join(path.dirname(fs.realpathSync(bin)), '..', 'package.json');
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string };
  return { bin, version };
}

/** The committed supergraph, routed to the given subgraphs: the schema every gateway here plans with. */
function supergraphFor(subgraphUrls: Record<string, string>, dir: string): string {
  let routed = 0;
  const sdl = fs
    .readFileSync(SUPERGRAPH_FILE, 'utf8')
    .replace(
      /(@join__graph\(name: "(\w+)", url: ")[^"]*(")/g,
      (_, head: string, name: string, tail: string) => {
        const url = subgraphUrls[name];
        if (!url)
          throw new Error(
            `the supergraph names a subgraph "${name}" the graph under test does not serve`,
          );
        routed++;
        return `${head}${url}${tail}`;
      },
    );
  if (routed !== Object.keys(subgraphUrls).length)
    throw new Error(
      `routed ${routed} subgraphs of the supergraph, expected ${Object.keys(subgraphUrls).length}`,
    );
  const file = path.join(dir, 'supergraph.graphql');
  fs.writeFileSync(file, sdl);
  return file;
}

/** A port free on the loopback now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Hive Gateway's configuration: as shipped, but that it passes the caller's disclosure context
 * header on to the subgraphs, as a Hive deployment passes its callers' identity on. The plain
 * build's subgraphs read the caller's roles from that header, unsigned: without it the staff
 * listing is refused (FORBIDDEN) to an anonymous caller.
 */
function hiveConfig(dir: string): string {
  const file = path.join(dir, 'gateway.config.mjs');
  fs.writeFileSync(
    file,
    `const header = ${JSON.stringify(CONTEXT_HEADER)};
export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const value = request.headers.get(header);
      return value ? { [header]: value } : {};
    },
  },
};
`,
  );
  return file;
}

/** Starts Hive Gateway on `supergraph` in its own process, as shipped but for its port, loopback host and `hiveConfig`. */
async function startHive(
  bin: string,
  supergraph: string,
  subgraphUrls: RunningVariant['subgraphUrls'],
): Promise<RunningVariant> {
  const port = await freePort();
  const config = hiveConfig(path.dirname(supergraph));
  // The same Node as the other gateways; its libraries in the same mode, the same log level.
  const child = spawn(
    process.execPath,
    [
      bin,
      'supergraph',
      supergraph,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--config-path',
      config,
    ],
    {
      env: { ...process.env, NODE_ENV: options.libraries, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('error', () => undefined);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`Hive Gateway exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readiness`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Hive Gateway did not start within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    variant: { name: 'hive', env: {} },
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    services: { gateway: child.pid! },
    subgraphUrls,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * What `gateway` is sent for workload `w`: Hive Gateway gets the caller's disclosure context as a
 * header too (hiveConfig), built from the persona's claims as our gateway builds it from the token,
 * but unsigned: Hive Gateway verifies no token, less work than our gateways do.
 */
function requestFor(w: Workload, gateway: GatewayName): Workload {
  if (gateway !== 'hive' || w.persona === 'anonymous') return w;
  const claims = PERSONAS[w.persona];
  const context: DisclosureContext = {
    ...anonymousContext('bench-peers'),
    principal: principalId(claims.sub),
    roles: claims.roles,
    duties: claims.duties ?? [],
    patronId: claims.patronId ? patronId(claims.patronId) : null,
  };
  return { ...w, headers: { ...w.headers, [CONTEXT_HEADER]: encodeContext(context) } };
}

/** The processes whose CPU a window of `gateway` counts: its gateway and the subgraphs it calls. */
const watched = (gateway: RunningVariant, subgraphs: RunningVariant): Record<string, number> => ({
  gateway: gateway.services.gateway!,
  catalog: subgraphs.services.catalog!,
  circulation: subgraphs.services.circulation!,
  events: subgraphs.services.events!,
});

/** The privacy gateway as it ships: no switch changed, but the response cache when asked. */
const shipped: Variant = {
  name: 'shipped',
  env: options.responseCache === 'off' ? { RESPONSE_CACHE: 'off' } : {},
};
const bare = ALL_VARIANTS.find((v) => v.name === 'bare')!;

/** What a build of our gateway runs with, read from the configuration its switches give (as `npm start` would read them). */
function features(variant: Variant): string {
  const c = withSwitches(loadConfig({ NODE_ENV: 'test', ...variant.env }), variant.switches ?? {});
  const onOff = (on: boolean) => (on ? 'on' : 'off');
  return [
    `subgraph enforcement ${onOff(c.privacyEnforcement)}`,
    `gateway pre-filter ${onOff(c.gatewayPrefilter)}`,
    `signed contexts ${onOff(c.contextSigning)}`,
    `disclosure audit ${onOff(c.audit.enabled)}`,
    `public response cache ${onOff(c.responseCache.enabled)}`,
    `in-flight deduplication of subgraph fetches ${onOff(c.subgraphDedup)}`,
  ].join(', ');
}
const loadAtStart = os.loadavg();
const seeded = await seedBenchData();
createLogger('bench', 'silent');
const started: RunningVariant[] = [];
const dirs: string[] = [seeded];
/** Per workload and gateway, one measurement per round. */
const figures = new Map<string, Measurement[]>();
/** Per workload, how alike the responses were (the weakest over rounds) and their size. */
const sameness = new Map<string, { how: Sameness; bytes: number }>();
const key = (w: Workload, g: GatewayName) => `${w.key}|${g}`;

try {
  const tokens = await tokensFor(workloads);
  for (let round = 0; round < options.rounds; round++) {
    const privacyDir = copyDataDir(seeded);
    const bareDir = copyDataDir(seeded);
    const hiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hive-'));
    const roundDirs = [privacyDir, bareDir, hiveDir];
    dirs.push(...roundDirs);
    const privacy = await startVariant(shipped, privacyDir, {
      supervise: true,
      libraries: options.libraries,
    });
    started.push(privacy);
    const plain = await startVariant(bare, bareDir, {
      supervise: true,
      libraries: options.libraries,
    });
    started.push(plain);
    const peer = hive
      ? await startHive(hive.bin, supergraphFor(plain.subgraphUrls, hiveDir), plain.subgraphUrls)
      : null;
    if (peer) started.push(peer);
    const targets: Record<
      GatewayName,
      { target: RunningVariant; watch: Record<string, number> } | null
    > = {
      privacy: { target: privacy, watch: watched(privacy, privacy) },
      plain: { target: plain, watch: watched(plain, plain) },
      hive: peer ? { target: peer, watch: watched(peer, plain) } : null,
    };

    for (const w of workloads) {
      const bodies: Record<string, string> = {};
      for (const g of w.gateways)
        bodies[LABELS[g]] = await probeText(
          targets[g]!.target,
          requestFor(w, g),
          tokens.get(w.persona)!,
        );
      const how = compareResponses(w.name, bodies);
      const before = sameness.get(w.key);
      sameness.set(w.key, {
        how: before ? weakest(before.how, how) : how,
        bytes: Buffer.byteLength(bodies[LABELS.privacy]!),
      });
    }

    for (const w of workloads) {
      // Each gateway of the workload takes each place in the order equally often over rounds.
      for (const g of w.gateways.map((_, i) => w.gateways[(i + round) % w.gateways.length]!)) {
        const { target, watch } = targets[g]!;
        const token = tokens.get(w.persona)!;
        const sent = requestFor(w, g);
        await measure(target, sent, token, options.warmup);
        const m = await measure(target, sent, token, options.duration, watch);
        if (!Number.isFinite(m.processCpuPerRequest.gateway!))
          throw new Error(
            `${w.key} on ${g}: no request completed in ${options.duration} s; lengthen --duration`,
          );
        const cpu = Object.entries(m.processCpuPerRequest)
          .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
          .join(', ');
        console.error(
          `round ${round + 1}/${options.rounds}: ${w.key} on ${g}: ${m.requestsPerSecond.toFixed(1)} req/s, p50 ${m.p50} ms; CPU ms/req ${cpu}`,
        );
        figures.set(key(w, g), [...(figures.get(key(w, g)) ?? []), m]);
      }
    }
    while (started.length) await started.pop()!.stop();
    for (const dir of roundDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
} catch (error) {
  if (error instanceof ResponsesDiffer) {
    console.error(
      `bench:peers: the gateways do not answer alike, so nothing was measured against each other.\n${error.message}`,
    );
    process.exitCode = 1;
  } else {
    throw error;
  }
} finally {
  while (started.length) await started.pop()!.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

if (process.exitCode === undefined) {
  const report = render();
  console.log(report);
  if (options.write) console.error(`written to ${writeReport('peers', report)}`);
}

/** The report: ratios with their ranges, each gateway's figures, the machine's load, the method. */
function render(): string {
  const list = (w: Workload, g: GatewayName) => figures.get(key(w, g))!;
  const range = (values: number[]) =>
    `${median(values).toFixed(2)}× (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
  /** Per round, the privacy gateway's req/s over the peer's, and its p50 over the peer's. */
  const ratios = (w: Workload, peer: GatewayName) => {
    if (!w.gateways.includes(peer)) return { rps: '— (not run: needs signed contexts)', p50: '—' };
    const [ours, theirs] = [list(w, 'privacy'), list(w, peer)];
    return {
      rps: range(ours.map((m, i) => m.requestsPerSecond / theirs[i]!.requestsPerSecond)),
      p50: range(ours.map((m, i) => m.p50 / theirs[i]!.p50)),
    };
  };
  const all = [...figures.values()].flat();
  const busy = all.map((m) => m.machineBusyCores);
  // The graph's cores: CPU per request of its processes times requests per second.
  const others = all.map(
    (m) =>
      m.machineBusyCores -
      m.loadGeneratorCores -
      (Object.values(m.processCpuPerRequest).reduce((a, b) => a + b, 0) * m.requestsPerSecond) /
        1000,
  );
  const loadAtEnd = os.loadavg();
  const only = keys ? ` --only ${keys.join(',')}` : '';
  const cacheFlag = options.responseCache === 'off' ? ' --response-cache off' : '';
  const librariesFlag = options.libraries === 'test' ? ' --libraries test' : '';
  const lines = [
    '# Peers: the privacy gateway, a plain @apollo/gateway and Hive Gateway',
    '',
    `Run ${new Date().toISOString()} on ${machine()}; Hive Gateway ${hive?.version ?? '(not run)'}; ${options.rounds} interleaved rounds,`,
    `${options.duration} s per measured window after ${options.warmup} s of unrecorded load.`,
    `Reproduce: \`npm run bench:peers -- --rounds ${options.rounds} --duration ${options.duration} --warmup ${options.warmup}${cacheFlag}${librariesFlag}${only} --write\`.`,
    `Libraries (graphql-js) loaded ${options.libraries === 'production' ? 'as deployed, with NODE_ENV=production' : 'with their development checks (NODE_ENV=test)'} in every process.`,
    '',
    `- privacy gateway: ${features(shipped)}${options.responseCache === 'on' ? ' (as shipped)' : ' (as shipped but for the response cache)'}.`,
    `- plain @apollo/gateway (our gateway with privacy switched off): ${features(bare)}.`,
    `- Hive Gateway ${hive?.version ?? '(not run)'}: its defaults (in-flight deduplication on, no response cache).`,
    '',
    `Machine load: load average ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at the start, ${loadAtEnd.map((l) => l.toFixed(1)).join(' / ')} at the end.`,
    `During the measured windows the machine kept ${median(busy).toFixed(2)} of its ${os.cpus().length} cores busy (median; ${Math.min(...busy).toFixed(2)}–${Math.max(...busy).toFixed(2)}),`,
    `of which processes other than the gateway and subgraphs under load and the load generator (other sessions' work, mostly) ${median(others).toFixed(2)} (${Math.min(...others).toFixed(2)}–${Math.max(...others).toFixed(2)}).`,
    '',
    "Ratios are the privacy gateway's over the peer's, per round: the median, then the lowest and highest round. For",
    'req/s, above 1 is faster than the peer; for p50, above 1 is slower.',
    '',
    '| workload | responses | vs plain @apollo/gateway: req/s | p50 | vs Hive Gateway: req/s | p50 |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const w of workloads) {
    const [plain, peer] = [ratios(w, 'plain'), ratios(w, 'hive')];
    const same = sameness.get(w.key)!;
    lines.push(
      `| ${w.name} | ${same.how}, ${(same.bytes / 1000).toFixed(1)} kB | ${plain.rps} | ${plain.p50} | ${peer.rps} | ${peer.p50} |`,
    );
  }
  lines.push(
    '',
    "Each gateway's figures, medians over rounds. CPU is milliseconds per request of each process: the gateway's and",
    "each subgraph's (Hive Gateway calls the plain build's subgraphs). Failed: requests over all rounds that timed",
    "out (autocannon's 10 s) or were answered with a status other than 2xx.",
    '',
    '| workload | gateway | req/s | p50 ms | p99 ms | CPU gateway | catalog | circulation | events | all | failed |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const w of workloads) {
    for (const g of GATEWAYS.filter((name) => w.gateways.includes(name))) {
      const l = list(w, g);
      const cpu = (name: string) => median(l.map((m) => m.processCpuPerRequest[name]!));
      const total = median(
        l.map((m) => Object.values(m.processCpuPerRequest).reduce((a, b) => a + b, 0)),
      );
      lines.push(
        `| ${w.key} | ${LABELS[g]} | ${median(l.map((m) => m.requestsPerSecond)).toFixed(1)} | ${median(l.map((m) => m.p50))} | ${median(l.map((m) => m.p99))} | ` +
          `${cpu('gateway').toFixed(2)} | ${cpu('catalog').toFixed(2)} | ${cpu('circulation').toFixed(2)} | ${cpu('events').toFixed(2)} | ${total.toFixed(2)} | ${l.reduce((n, m) => n + m.errors, 0)} |`,
      );
    }
  }
  lines.push(
    '',
    '## Method',
    '',
    '- `privacy` is the graph as it ships, every switch at its default (the features listed at the top): privacy',
    '  gateway, subgraph enforcement, signed contexts, the disclosure audit, the public response cache and in-flight',
    '  deduplication of anonymous subgraph fetches. With the cache on, repeated anonymous requests (b, c) are',
    '  answered from memory; `--response-cache off` measures the same gateway computing every answer.',
    "  `plain` is bench:privacy's `bare` build: a plain `@apollo/gateway` over the same subgraphs with",
    '  enforcement, signing, audit and the response cache off, so that they answer unsigned requests.',
    '  `Hive Gateway` runs `hive-gateway supergraph` on the committed supergraph (schema/supergraph.graphql,',
    "  routed to the plain build's subgraphs, by 127.0.0.1), with its defaults: one process, in-flight",
    '  deduplication of identical subgraph fetches on, watching the supergraph file for changes. It runs on the',
    "  same Node as the others, with LOG_LEVEL=error and NODE_ENV set to the libraries' mode. Our gateways and",
    '  subgraphs load graphql-js in that mode (bench/libraryModePreload.mjs) and read their own configuration with',
    '  NODE_ENV=test (development keys); `--libraries test` loads graphql-js with its development checks.',
    "- Every workload runs on all three. For the staff listing Hive Gateway passes the caller's disclosure context",
    "  header on to the plain build's subgraphs (a `propagateHeaders` configuration, as a Hive deployment passes",
    "  its callers' identity on); the benchmark sends it that context built from the persona's claims, unsigned:",
    '  Hive Gateway verifies no token and signs nothing, less work than our privacy gateway does.',
    '- Each graph runs as `npm start` runs it: a supervisor and one process per service, each over its own copy',
    '  of the seeded demo library. Every round starts all of them afresh (a process can run 30% slower than its',
    '  twin for its whole life) and measures the gateways workload by workload, in an order that rotates from',
    '  round to round (each gateway of a workload comes first equally often over a multiple of their number).',
    '- Before measuring, every round sends each workload once to each gateway and compares the bodies: byte-equal,',
    '  or else byte-equal but for trailing whitespace, or else JSON-equal (with object keys sorted if need be); the',
    "  responses column says which held in every round, and the body's size. Any other",
    '  difference, or a GraphQL error, stops the run with exit 1. Apollo Server ends its body with a newline and',
    '  Hive Gateway does not (the "trailing whitespace" of the responses column).',
    "- Load: autocannon in the benchmark's own process, POST with the workload's connections, on the same cores.",
    '  CPU per request: utime + stime of each process from /proc/<pid>/stat before and after the window, over the',
    '  requests autocannon completed. Machine load: /proc/stat busy time over the window.',
    '- The machine is shared (other sessions build and test on it meanwhile): absolute req/s move with that load;',
    '  ratios from the same round move less, and the range shows how far single rounds strayed.',
  );
  return lines.join('\n') + '\n';
}
