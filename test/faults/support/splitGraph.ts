import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGraph, type RunningGraph } from '../../../src/app/graph.js';
import { prepareDatabases } from '../../../src/app/prepare.js';
import { PERSONAS, type PersonaName } from '../../../src/dev/personas.js';
import { loadConfig, type Config, type SubgraphName } from '../../../src/config/env.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import { mintToken } from '../../../src/privacy/authenticate/token.js';
import type { GraphResponse } from '../../support/graph.js';
import { startFaultProxy, type FaultProxy } from './faultProxy.js';

/**
 * The graph as separate services, the way `npm start` runs it, but in this process so a test can
 * reach into each: every subgraph behind a fault proxy, which the gateway and (for circulation's
 * facts) catalog and events go through.
 */
export interface SplitGraph {
  dataDir: string;
  config: Config;
  services: Record<SubgraphName | 'gateway', RunningGraph>;
  proxies: Record<SubgraphName, FaultProxy>;
  gatewayUrl: string;
  query(
    persona: PersonaName,
    query: string,
    headers?: Record<string, string>,
  ): Promise<GraphResponse & { text: string }>;
  stop(): Promise<void>;
}

const origin = (url: string) => new URL(url).origin;

/** Where the split graph keeps its data, and what to do to it once seeded, before any service opens it. */
export interface SplitGraphOptions {
  logger?: Logger;
  dataDir?: string;
  beforeStart?(dataDir: string): Promise<void> | void;
  /** Extra environment for every service. */
  env?: Record<string, string>;
}

/** Starts the split graph over a seeded data directory (fresh unless given). */
export async function startSplitGraph(options: SplitGraphOptions = {}): Promise<SplitGraph> {
  const logger = options.logger ?? createLogger('test', 'silent');
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'faults-'));
  const base = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    GATEWAY_PORT: '0',
    CATALOG_PORT: '0',
    CIRCULATION_PORT: '0',
    EVENTS_PORT: '0',
    LOG_LEVEL: 'silent',
    SEED_ON_START: 'off',
    ...options.env,
  };
  // Seeded once, as the supervisor does, so a test can change the files before a service opens them.
  const databases = await prepareDatabases(loadConfig({ ...base, SEED_ON_START: 'on' }), logger);
  for (const db of Object.values(databases)) await db.close();
  await options.beforeStart?.(dataDir);
  const circulation = await startGraph(loadConfig(base), logger, 'circulation');
  const proxies = {
    circulation: await startFaultProxy(origin(circulation.urls.circulation!)),
  } as Record<SubgraphName, FaultProxy>;
  const withFacts = { ...base, CIRCULATION_URL: `${proxies.circulation.url}/graphql` };
  const catalog = await startGraph(loadConfig(withFacts), logger, 'catalog');
  const events = await startGraph(loadConfig(withFacts), logger, 'events');
  proxies.catalog = await startFaultProxy(origin(catalog.urls.catalog!));
  proxies.events = await startFaultProxy(origin(events.urls.events!));
  const config = loadConfig({
    ...withFacts,
    CATALOG_URL: `${proxies.catalog.url}/graphql`,
    EVENTS_URL: `${proxies.events.url}/graphql`,
  });
  const gateway = await startGraph(config, logger, 'gateway');
  const gatewayUrl = gateway.urls.gateway!;
  return {
    dataDir,
    config,
    services: { circulation, catalog, events, gateway },
    proxies,
    gatewayUrl,
    async query(persona, query, headers = {}) {
      const token = persona === 'anonymous' ? null : await mintToken(PERSONAS[persona], config);
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query }),
      });
      const text = await response.text();
      return { status: response.status, text, ...(JSON.parse(text) as object) };
    },
    async stop() {
      await gateway.stop();
      for (const proxy of Object.values(proxies)) await proxy.close();
      await Promise.all([catalog.stop(), events.stop()]);
      await circulation.stop();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
