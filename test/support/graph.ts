import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createLogger } from '../../src/log/logger.js';
import { startGraph, type RunningGraph, type StartOptions } from '../../src/app/graph.js';
import { PERSONAS, type PersonaName } from '../../src/dev/personas.js';
import { mintToken } from '../../src/privacy/authenticate/token.js';
import {
  createSeededTestPostgresDatabase,
  createTestPostgresDatabase,
  dropTestPostgresDatabase,
  TEST_ON_POSTGRES,
} from './database.js';

/** A GraphQL response as a client sees it. */
export interface GraphResponse {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** A running graph for tests: every service on a free port, over a fresh seeded data directory. */
export interface TestGraph {
  graph: RunningGraph;
  config: Config;
  gatewayUrl: string;
  dataDir: string;
  /** Runs an operation through the gateway as a persona. */
  query(
    persona: PersonaName,
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphResponse>;
  token(persona: PersonaName): Promise<string | null>;
  stop(): Promise<void>;
}

/**
 * Starts the whole graph (3 subgraphs + gateway) on free ports with demo data seeded. With
 * TEST_DATABASE=postgres the subgraph stores are in a PostgreSQL database of this graph's own.
 */
export async function startTestGraph(
  env: Record<string, string> = {},
  logSink?: NodeJS.WritableStream,
  options: StartOptions = {},
  /** Adjusts the configuration read from `env` (a benchmark's variant: bench/graphVariant.ts). */
  configure: (config: Config) => Config = (config) => config,
): Promise<TestGraph> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-graph-test-'));
  // A copy of the demo seed when the graph would seed it (the default in tests), else an empty database.
  const seeded = (env.SEED_ON_START ?? 'on') === 'on';
  const postgresUrl =
    TEST_ON_POSTGRES && env.DATABASE_URL === undefined
      ? await (seeded ? createSeededTestPostgresDatabase() : createTestPostgresDatabase())
      : null;
  const config = configure(
    loadConfig({
      ...(postgresUrl ? { DATABASE_URL: postgresUrl } : {}),
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      GATEWAY_PORT: '0',
      CATALOG_PORT: '0',
      CIRCULATION_PORT: '0',
      EVENTS_PORT: '0',
      LOG_LEVEL: logSink ? 'info' : 'silent',
      ...env,
    }),
  );
  const logger = createLogger('test', config.logLevel, logSink);
  let graph: RunningGraph;
  try {
    graph = await startGraph(config, logger, undefined, options);
  } catch (error) {
    if (postgresUrl) await dropTestPostgresDatabase(postgresUrl);
    throw error;
  }
  await graph.released;
  const gatewayUrl = graph.urls.gateway!;
  const tokens = new Map<PersonaName, string>();
  const token = async (persona: PersonaName) => {
    if (persona === 'anonymous') return null;
    if (!tokens.has(persona)) tokens.set(persona, await mintToken(PERSONAS[persona], config));
    return tokens.get(persona)!;
  };
  return {
    graph,
    config,
    gatewayUrl,
    dataDir,
    token,
    async query(persona, query, variables, headers = {}) {
      const bearer = await token(persona);
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async stop() {
      await graph.stop();
      if (postgresUrl) await dropTestPostgresDatabase(postgresUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The codes of a response's errors. */
export const codes = (response: GraphResponse): string[] =>
  (response.errors ?? []).map((e) => e.extensions?.code ?? '?');

/** The errors at one path (joined with dots). */
export const errorsAt = (response: GraphResponse, pathText: string) =>
  (response.errors ?? []).filter((e) => (e.path ?? []).join('.') === pathText);
