import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, SubgraphName } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import type { ServiceName } from '../app/graph.js';
import { prepareDatabases } from '../app/prepare.js';
import { SUPERVISED_VARIABLE } from './childChannel.js';
import { ServiceProcess } from './serviceProcess.js';

/** The whole graph under supervision: each service's URL and process, and one stop for all. */
export interface SupervisedGraph {
  /** In start order: circulation, catalog, events, gateway (the order of the banner). */
  urls: Record<ServiceName, string>;
  services: Record<ServiceName, ServiceProcess>;
  /** Each process's loopback admin `/metrics`: catalog, circulation, events, gateway (empty: METRICS_PORT unset). */
  metricsUrls: string[];
  /** Stops the gateway first (its in-flight requests still reach the subgraphs), then the subgraphs. */
  stop(): Promise<void>;
}

/** Where a service's port is configured; pinned once it has one, so a restart keeps its URL. */
const PORT_VARIABLES: Record<ServiceName, string> = {
  gateway: 'GATEWAY_PORT',
  catalog: 'CATALOG_PORT',
  circulation: 'CIRCULATION_PORT',
  events: 'EVENTS_PORT',
};

const URL_VARIABLES: Record<SubgraphName, string> = {
  catalog: 'CATALOG_URL',
  circulation: 'CIRCULATION_URL',
  events: 'EVENTS_URL',
};

/** This module's extension: `.ts` when run from source (tsx, vitest), `.js` when compiled. */
const OWN_EXTENSION = path.extname(fileURLToPath(import.meta.url));

/** The per-service start of `npm run start:<service>`: each process runs it with `--only`. */
const START_SCRIPT = fileURLToPath(new URL(`../cli/start${OWN_EXTENSION}`, import.meta.url));

/** From source, each process loads TypeScript through tsx, as `npm start` itself does. */
const EXEC_ARGV = OWN_EXTENSION === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];

/**
 * Starts the graph as `npm start` runs it: the databases are migrated and, the first time, seeded
 * here, once; then each service starts in its own process with a heap cap (the three subgraphs side
 * by side, then the gateway pointing at them, its code loaded meanwhile), and any that dies is
 * started again. A service that cannot start at all stops everything with its reason. `script`
 * is what each service's process runs with `--only <service>` (a benchmark passes its own).
 */
export async function superviseGraph(
  config: Config,
  logger: Logger,
  environment: NodeJS.ProcessEnv = process.env,
  script = START_SCRIPT,
): Promise<SupervisedGraph> {
  const databases = await prepareDatabases(config, logger);
  for (const db of Object.values(databases)) await db.close();

  // Seeded above, so no process seeds, and none races another to do it.
  const shared: NodeJS.ProcessEnv = {
    ...environment,
    SEED_ON_START: 'off',
    [SUPERVISED_VARIABLE]: '1',
  };
  const services = {} as Record<ServiceName, ServiceProcess>;
  const urls = {} as Record<ServiceName, string>;
  const make = (name: ServiceName, env: NodeJS.ProcessEnv, listenAfter?: Promise<void>) =>
    (services[name] = new ServiceProcess({
      name,
      script,
      args: ['--only', name],
      execArgv: EXEC_ARGV,
      env: { ...env },
      portVariable: PORT_VARIABLES[name],
      heapMb: config.supervisor.heapMb,
      semiSpaceMb: config.supervisor.semiSpaceMb,
      backoff: config.supervisor,
      logger,
      listenAfter,
    }));

  const stop = async () => {
    await services.gateway?.stop();
    await Promise.all(Object.values(services).map((s) => s.stop()));
  };
  // A supervisor that exits by any path takes its services with it.
  const killAll = () => Object.values(services).forEach((s) => s.killNow());
  process.once('exit', killAll);

  try {
    // Every subgraph's port is known before any starts (a free one where 0 is configured), so the
    // three start side by side, each told where circulation's facts are; then the gateway.
    const ports = Object.fromEntries(
      await Promise.all(
        (['catalog', 'circulation', 'events'] as const).map(
          async (n) => [n, config.ports[n] || (await freePort(config.host))] as const,
        ),
      ),
    ) as Record<SubgraphName, number>;
    const own = (n: SubgraphName) => `http://${shownHost(config.host)}:${ports[n]}/graphql`;
    const subgraphEnv = {
      ...shared,
      ...Object.fromEntries(
        (['catalog', 'circulation', 'events'] as const).map((n) => [
          PORT_VARIABLES[n],
          String(ports[n]),
        ]),
      ),
      CIRCULATION_URL: own('circulation'),
    };
    // Each service is its own process, so each serves its own admin port: METRICS_PORT, +1, +2, +3.
    const metricsPorts = adminPorts(config.metrics.port);
    const envOf = (n: SubgraphName): NodeJS.ProcessEnv =>
      metricsPorts ? { ...subgraphEnv, METRICS_PORT: String(metricsPorts[n]) } : subgraphEnv;
    // The gateway loads its code meanwhile, and listens once the subgraphs answer.
    let subgraphsUp!: () => void;
    const routing = Object.fromEntries(
      (['catalog', 'circulation', 'events'] as const).map((n) => [URL_VARIABLES[n], own(n)]),
    );
    const { METRICS_PORT: _adminPort, ...gatewayEnv } = shared;
    const gatewayAdmin = metricsPorts ? { METRICS_PORT: String(metricsPorts.gateway) } : {};
    const gateway = make(
      'gateway',
      { ...gatewayEnv, ...gatewayAdmin, ...routing },
      new Promise<void>((resolve) => (subgraphsUp = resolve)),
    ).start();
    gateway.catch(() => undefined);
    const started = await Promise.all(
      (['circulation', 'catalog', 'events'] as const).map((n) => make(n, envOf(n)).start()),
    );
    [urls.circulation, urls.catalog, urls.events] = started as [string, string, string];
    subgraphsUp();
    urls.gateway = await gateway;
  } catch (error) {
    await stop();
    process.removeListener('exit', killAll);
    throw error;
  }
  const metricsPorts = adminPorts(config.metrics.port);
  return {
    urls,
    services,
    metricsUrls: metricsPorts
      ? (['catalog', 'circulation', 'events', 'gateway'] as const).map(
          (n) => `http://127.0.0.1:${metricsPorts[n]}/metrics`,
        )
      : [],
    stop: async () => {
      await stop();
      process.removeListener('exit', killAll);
    },
  };
}

/** The admin ports of the four service processes, from METRICS_PORT on (null: no admin port). */
function adminPorts(first: number | null): Record<ServiceName, number> | null {
  return first
    ? { catalog: first, circulation: first + 1, events: first + 2, gateway: first + 3 }
    : null;
}

/** The host name URLs show: `localhost` for the loopback and wildcard addresses, as the services do. */
const shownHost = (host: string): string =>
  host === '127.0.0.1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;

/** A port free on `host` now, for a service configured with port 0 whose URL others need before it starts. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
