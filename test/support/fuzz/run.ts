import { Writable } from 'node:stream';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../../../src/config/env.js';
import { startTestGraph, type TestGraph } from '../graph.js';
import { createCanary, needlesOf, type Canary, type CanaryKind, type Needle } from './canary.js';
import { GraphClient, type GraphRequest } from './client.js';
import {
  canaryKindsIn,
  findCanary,
  fuzzCallers,
  type Caller,
  type CallerName,
  type Finding,
} from './oracle.js';
import {
  DEFAULT_GENERATOR_OPTIONS,
  generateOperation,
  loadApiSchema,
  targetsFor,
  type GeneratorOptions,
  type Targets,
} from './operations.js';
import { Random } from './random.js';

/**
 * The privacy fuzz, shared by `npm run fuzz:privacy` and its 500-operation run in `npm test`:
 * start the graph in-process with every log line captured, make the canary through the API, send
 * generated operations as every caller in turn, and report every canary value found in a response
 * (body, errors, headers) the oracle does not allow that caller, or in any log line.
 */

/** Every log line the graph writes, kept until the fuzz reads it. */
export class LogTap extends Writable {
  private pending: string[] = [];

  override _write(
    chunk: unknown,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    for (const line of String(chunk).split('\n')) {
      if (line.length > 0) this.pending.push(line);
    }
    done();
  }

  /** The lines written since the last call. */
  drain(): string[] {
    const lines = this.pending;
    this.pending = [];
    return lines;
  }
}

/** A graph ready to fuzz: running, with its canary, callers, schema and log tap. */
export interface FuzzEnvironment {
  graph: TestGraph;
  client: GraphClient;
  canary: Canary;
  needles: Needle[];
  callers: Caller[];
  schema: GraphQLSchema;
  targets: Targets;
  logs: LogTap;
  /** Canary values found in log lines while the canary was being made. */
  setupFindings: Finding[];
  stop(): Promise<void>;
}

/**
 * Rate limits no fuzz run reaches: every caller of a persona shares its token, and the fuzz is
 * about what is disclosed, not about the limiter (a variable the graph does not know is ignored).
 */
const UNLIMITED_RATES: Record<string, string> = {
  RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000000',
  RATE_LIMIT_PRINCIPAL_BURST: '1000000000',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000000',
  RATE_LIMIT_ANONYMOUS_BURST: '1000000000',
};

/**
 * Starts the whole graph in-process on free ports over a fresh seeded directory, every log line
 * captured (level `trace`), and makes the canary for `seed`. `env` adds configuration (limits);
 * `configure` adjusts the configuration in code (the fuzz's `--without`, to see it fail).
 */
export async function prepareFuzz(
  seed: number,
  env: Record<string, string> = {},
  configure?: (config: Config) => Config,
): Promise<FuzzEnvironment> {
  const logs = new LogTap();
  const graph = await startTestGraph(
    { LOG_LEVEL: 'trace', PURGE_SCHEDULE: 'off', ...UNLIMITED_RATES, ...env },
    logs,
    {},
    configure,
  );
  try {
    const client = new GraphClient(graph.gatewayUrl, graph.config);
    const canary = await createCanary(client, seed);
    const needles = needlesOf(canary);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const setupFindings = logs.drain().flatMap((line) => findCanary(line, needles, []));
    return {
      graph,
      client,
      canary,
      needles,
      logs,
      setupFindings,
      callers: fuzzCallers(canary),
      schema: loadApiSchema(),
      targets: targetsFor(canary),
      stop: () => graph.stop(),
    };
  } catch (error) {
    await graph.stop();
    throw error;
  }
}

/** How a fuzz run goes. */
export interface FuzzOptions {
  seed: number;
  operations: number;
  /** Operations in flight at once. */
  concurrency: number;
  /** Run only these operation indexes (to reproduce one). */
  only?: number[];
  generator?: GeneratorOptions;
  /** Called after each operation with the number done. */
  onProgress?: (done: number) => void;
}

/** A canary value where it must not be. */
export interface FuzzFinding {
  /** Operation index: with the seed, enough to generate it again. */
  operation: number;
  caller: CallerName;
  where: 'response' | 'log';
  finding: Finding;
  request: GraphRequest;
}

/** An answer no correct graph gives a well-formed operation (a 5xx, an internal or validation error). */
export interface FuzzAnomaly {
  operation: number;
  caller: CallerName;
  status: number;
  codes: string[];
  request: GraphRequest;
  /** Error lines the graph logged while it was in flight (they name the cause of a masked error). */
  logged: string[];
  /** The gateway logged a subgraph connection reset meanwhile (see docs/benchmarks/soak-and-fuzz.md). */
  connectionReset: boolean;
}

/** A subgraph fetch that failed on its connection, as the gateway logs it. */
const CONNECTION_RESET = /socket hang up|ECONNRESET/;

/** What a run did and found. */
export interface FuzzReport {
  seed: number;
  operations: number;
  seconds: number;
  perCaller: Record<string, { operations: number; reachedCanary: number; kinds: CanaryKind[] }>;
  statuses: Record<string, number>;
  errorCodes: Record<string, number>;
  logLines: number;
  findings: FuzzFinding[];
  anomalies: FuzzAnomaly[];
}

/** Error codes a generated operation may legitimately get, limits included. */
export const EXPECTED_CODES = new Set([
  'PRIVACY_REDACTED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'OPERATION_TOO_COMPLEX',
  'RATE_LIMITED',
  'TIMEOUT',
  'PAYLOAD_TOO_LARGE',
]);
/** Statuses a generated operation may legitimately get: an answer, a refused limit, a rate limit. */
const EXPECTED_STATUSES = new Set([200, 400, 413, 429]);

/** The caller of operation `index`: every caller in turn, so each gets its share. */
export const callerOf = (callers: readonly Caller[], index: number): Caller =>
  callers[index % callers.length]!;

/** The operation `index` of the run seeded `seed`, as it is sent. */
export function operationOf(
  env: Pick<FuzzEnvironment, 'schema' | 'targets'>,
  seed: number,
  index: number,
  generator?: GeneratorOptions,
): GraphRequest {
  return generateOperation(
    env.schema,
    Random.forOperation(seed, index),
    env.targets,
    index,
    generator ?? DEFAULT_GENERATOR_OPTIONS,
  );
}

/** Runs the fuzz against a prepared graph. */
export async function runFuzz(env: FuzzEnvironment, options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const report: FuzzReport = {
    seed: options.seed,
    operations: 0,
    seconds: 0,
    perCaller: {},
    statuses: {},
    errorCodes: {},
    logLines: 0,
    findings: [],
    anomalies: [],
  };
  for (const caller of env.callers)
    report.perCaller[caller.name] = { operations: 0, reachedCanary: 0, kinds: [] };
  const indexes = options.only ?? Array.from({ length: options.operations }, (_, i) => i);
  const inFlight = new Map<
    string,
    { index: number; caller: Caller; request: GraphRequest; errorLines: string[] }
  >();
  const requestId = (index: number) => `fuzz-${options.seed}-${index}`;

  const readLogs = () => {
    for (const line of env.logs.drain()) {
      report.logLines++;
      if (/"level":(5\d|60)/.test(line))
        for (const op of inFlight.values()) op.errorLines.push(line.slice(0, 500));
      const found = findCanary(line, env.needles, []);
      if (found.length === 0) continue;
      const owner = [...inFlight.entries()].find(([id]) => line.includes(`"${id}"`));
      const suspects: { index: number; caller: Caller; request: GraphRequest }[] = owner
        ? [owner[1]]
        : [...inFlight.values()];
      for (const s of suspects.length
        ? suspects
        : [
            { index: -1, caller: env.callers[0]!, request: { query: '(no operation in flight)' } },
          ]) {
        for (const finding of found)
          report.findings.push({
            operation: s.index,
            caller: s.caller.name,
            where: 'log',
            finding,
            request: s.request,
          });
      }
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < indexes.length) {
      const index = indexes[next++]!;
      const caller = callerOf(env.callers, index);
      const request = operationOf(env, options.seed, index, options.generator);
      const id = requestId(index);
      const op = { index, caller, request, errorLines: [] as string[] };
      inFlight.set(id, op);
      const reply = await env.client.send(caller, request, id);
      readLogs();
      inFlight.delete(id);

      const stats = report.perCaller[caller.name]!;
      stats.operations++;
      report.operations++;
      report.statuses[reply.status] = (report.statuses[reply.status] ?? 0) + 1;
      const codes = (reply.json?.errors ?? []).map((e) => e.extensions?.code ?? 'NO_CODE');
      for (const code of codes) report.errorCodes[code] = (report.errorCodes[code] ?? 0) + 1;
      if (!EXPECTED_STATUSES.has(reply.status) || codes.some((c) => !EXPECTED_CODES.has(c))) {
        report.anomalies.push({
          operation: index,
          caller: caller.name,
          status: reply.status,
          codes,
          request,
          logged: op.errorLines,
          connectionReset: op.errorLines.some((line) => CONNECTION_RESET.test(line)),
        });
      }
      const text = `${reply.headers}\n${reply.body}`;
      for (const finding of findCanary(text, env.needles, caller.allowed)) {
        report.findings.push({
          operation: index,
          caller: caller.name,
          where: 'response',
          finding,
          request,
        });
      }
      const kinds = canaryKindsIn(text, env.needles);
      if (kinds.size > 0) {
        stats.reachedCanary++;
        stats.kinds = [...new Set([...stats.kinds, ...kinds])];
      }
      options.onProgress?.(report.operations);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  // Lines written after the last answer (the audit writer, closing requests).
  await new Promise((resolve) => setTimeout(resolve, 100));
  readLogs();
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

const count = (record: Record<string, number>) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** A human summary of a run: operations, per caller, statuses, error codes, ops/s, findings. */
export function formatReport(report: FuzzReport): string {
  const lines = [
    `privacy fuzz, seed ${report.seed}: ${report.operations} operations in ${report.seconds.toFixed(1)} s (${(report.operations / report.seconds).toFixed(1)} ops/s), ${report.logLines} log lines searched`,
    '  caller                            ops  reached canary  (kinds seen)',
    ...Object.entries(report.perCaller).map(
      ([name, s]) =>
        `  ${name.padEnd(32)} ${String(s.operations).padStart(5)}  ${String(s.reachedCanary).padStart(14)}  ${s.kinds.length ? `(${s.kinds.join(', ')})` : ''}`,
    ),
    `  statuses: ${count(report.statuses)}`,
    `  errors by code: ${count(report.errorCodes)}`,
    `  findings: ${report.findings.length}, unexpected answers: ${report.anomalies.length} (of which during a subgraph connection reset: ${report.anomalies.filter((a) => a.connectionReset).length})`,
  ];
  return lines.join('\n');
}

/** One finding or anomaly, with what is needed to reproduce it (`replay`: further options of the run, such as `--graph-env`). */
export function describeFailure(
  item: FuzzFinding | FuzzAnomaly,
  seed: number,
  replay = '',
): string {
  const head =
    'finding' in item
      ? `canary ${item.finding.kind} "${item.finding.needle}" in a ${item.where === 'log' ? 'log line' : 'response'}: operation ${item.operation} as ${item.caller}\n    ...${item.finding.excerpt}...`
      : `unexpected answer (HTTP ${item.status}, ${item.codes.join(', ') || 'no error code'}): operation ${item.operation} as ${item.caller}${item.logged.map((l) => `\n    logged meanwhile: ${l}`).join('')}`;
  return `${head}\n    ${item.request.query.replace(/\n/g, '\n    ')}\n    variables ${JSON.stringify(item.request.variables ?? {})}\n    reproduce: npm run fuzz:privacy -- --seed ${seed} ${item.operation < 0 ? '--operations 1' : `--only ${item.operation}`}${replay}`;
}
