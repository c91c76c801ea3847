import fs from 'node:fs';
import type { Config, SubgraphName } from '../config/env.js';
import type { RunningServer } from '../http/serve.js';
import type { Logger } from '../log/logger.js';
import { createTokenIssuer } from '../privacy/authenticate/token.js';
import { RemoteFacts } from '../privacy/facts/factsEndpoint.js';
import { serveSubgraph } from '../subgraph/serveSubgraph.js';
import { auditLogOf } from '../privacy/audit/store/auditLog.js';
import { AuditWriter, type AuditAppender } from '../privacy/audit/store/auditWriter.js';
import { PostgresAuditStore } from '../privacy/audit/store/postgresAuditStore.js';
import { PostgresAuditWriter } from '../privacy/audit/store/postgresAuditWriter.js';
import {
  Anchorer,
  FileAnchorSink,
  startAnchoring,
  type Anchoring,
} from '../privacy/audit/store/anchor.js';
import { REPO_ROOT, type SubgraphService } from '../subgraph/service.js';
import { databaseFile, type Databases } from './databases.js';
import { prepareDatabases } from './prepare.js';
import { startPurgeSchedule, type PurgeSchedule } from '../retention/schedule.js';
import { openNonceStore } from '../privacy/verify/sharedNonceStore.js';
import type { NonceStore } from '../privacy/verify/nonceStore.js';
import { startMetricsServer, type MetricsServer } from '../observability/metricsAccess.js';
import { sql } from 'kysely';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ProcessMetrics } from '../observability/metrics.js';
import { startTracing } from '../observability/tracing.js';
import { releaseAllClosed } from '../analytics/release/releaseMonth.js';
import { releaseDb } from '../analytics/release/tally.js';
import { warmReleases } from '../analytics/release/releaseCache.js';
import { CIRCULATION_SCOPE, EVENTS_SCOPE } from '../analytics/release/scopes.js';
import { runEachAlone } from '../db/singleRun.js';

/** What `npm start` may run: everything, or one service for deployments that scale them apart. */
export type ServiceName = SubgraphName | 'gateway';

/** The running graph: each service's URL, and one stop for all (gateway first, then subgraphs). */
export interface RunningGraph {
  urls: Partial<Record<ServiceName, string>>;
  databases: Databases | null;
  /** The in-process retention purge (null: PURGE_SCHEDULE=off, or no database served here). */
  purge: PurgeSchedule | null;
  /** The loopback admin port's /metrics, one per process (empty: METRICS_PORT unset). */
  metricsUrls: string[];
  /** Settles when the months that closed while the graph was stopped are released (in the background) and every release is read into memory. */
  released: Promise<void>;
  stop(): Promise<void>;
}

/** The committed supergraph; the gateway never introspects subgraphs at run time. */
export const SUPERGRAPH_FILE = `${REPO_ROOT}schema/supergraph.graphql`;

/** What a caller may add to the graph's start beyond the configuration: tests' span exporter. */
export interface StartOptions {
  /** Receives every finished span (sanitized), whatever OTEL_TRACES_EXPORTER says. */
  spanExporter?: SpanExporter;
}

/**
 * Starts the services named in `only` (default: all four): opens, migrates and, on first start,
 * seeds the databases, then the subgraphs, then the gateway pointing at them. The process gets one
 * metrics registry and one tracer provider, shared by the services it runs.
 */
export async function startGraph(
  config: Config,
  logger: Logger,
  only?: ServiceName,
  options: StartOptions = {},
): Promise<RunningGraph> {
  const wants = (name: ServiceName) => only === undefined || only === name;
  const running: { name: ServiceName; server: RunningServer }[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  let databases: Databases | null = null;
  let purge: PurgeSchedule | null = null;
  let auditWriter: AuditAppender | null = null;
  let nonces: NonceStore | undefined;
  let metricsServer: MetricsServer | null = null;
  const metrics = new ProcessMetrics();
  const tracing = await startTracing(config.tracing, {
    service: only ?? 'all',
    ...(options.spanExporter ? { exporter: options.spanExporter } : {}),
  });
  let released: Promise<void> = Promise.resolve();
  let anchoring: Anchoring | null = null;
  const stop = async () => {
    await released;
    await purge?.stop();
    await metricsServer?.stop();
    for (const { server } of running.reverse()) await server.stop();
    await auditWriter?.close();
    await nonces?.close();
    await anchoring?.stop();
    if (databases) for (const db of Object.values(databases)) await db.close();
    await tracing?.shutdown();
  };
  try {
    if (only !== 'gateway') {
      databases = await prepareDatabases(config, logger);
    }
    // The audit in its SQLite file, written by a thread; or on PostgreSQL (AUDIT_DATABASE_URL or DATABASE_URL), written from here.
    const audit = databases?.audit;
    const auditStore = audit ? auditLogOf(audit, config.audit.key) : null;
    if (audit && config.audit.enabled) {
      auditWriter =
        auditStore instanceof PostgresAuditStore
          ? new PostgresAuditWriter(auditStore)
          : new AuditWriter({
              file: databaseFile(config.dataDir, 'audit'),
              key: config.audit.key,
              timerScale: config.audit.timerScale,
              logger: logger.child({ service: 'audit' }),
            });
    }
    // Signature nonces, shared by every replica: over this data directory, or on every host over PostgreSQL.
    if (databases) nonces = await openNonceStore(config.nonceStore);
    // Signed chain heads, written out periodically to a sink outside the audit (anchor.ts). Every
    // chain lives in the one audit database, so one process anchors them all: the one serving
    // circulation (under the supervisor, one process per subgraph would otherwise each write them).
    if (auditStore && config.audit.enabled && config.audit.anchorFile && wants('circulation')) {
      const anchorer = new Anchorer(
        auditStore,
        new FileAnchorSink(config.audit.anchorFile),
        config.audit.key,
      );
      anchoring = startAnchoring(
        anchorer,
        config.audit.anchorIntervalMs,
        logger.child({ service: 'audit' }),
      );
    }
    const circulationUrl = () =>
      urls.circulation ??
      config.subgraphUrls.circulation ??
      `http://localhost:${config.ports.circulation}/graphql`;
    const remoteFacts = new RemoteFacts(
      circulationUrl,
      config.contextSecret,
      config.factsTimeoutMs,
    );
    const services: (() => SubgraphService)[] = [];
    // Each service's code is loaded only where it runs: a process of `npm start` serves one.
    if (databases && wants('circulation')) {
      const issuer = await createTokenIssuer(config);
      const { createCirculationService } = await import('../../subgraphs/circulation/service.js');
      services.push(() =>
        createCirculationService(databases!.circulation, {
          config,
          logger: logger.child({ service: 'circulation' }),
          issuer,
          audit: auditStore,
          nonces,
        }),
      );
    }
    if (databases && wants('catalog')) {
      const { createCatalogService } = await import('../../subgraphs/catalog/service.js');
      services.push(() => createCatalogService(databases!.catalog, { config, facts: remoteFacts }));
    }
    if (databases && wants('events')) {
      const { createEventsService } = await import('../../subgraphs/events/service.js');
      services.push(() =>
        createEventsService(databases!.events, {
          config,
          facts: remoteFacts,
          logger: logger.child({ service: 'events' }),
        }),
      );
    }
    for (const build of services) {
      const service = build();
      const db = databases![service.name].db;
      const server = await serveSubgraph(service, {
        config,
        logger: logger.child({ service: service.name }),
        port: config.ports[service.name],
        audit: auditWriter,
        nonces,
        metrics,
        tracing,
        database: async () => void (await sql`select 1`.execute(db)),
      });
      running.push({ name: service.name, server });
      urls[service.name] = server.url;
    }
    // Retention: each process purges the databases of the subgraphs it serves, on a schedule.
    const purgeTargets = {
      circulation: wants('circulation') ? databases?.circulation.db : undefined,
      events: wants('events') ? databases?.events.db : undefined,
    };
    if (config.retention.schedule && (purgeTargets.circulation || purgeTargets.events)) {
      purge = startPurgeSchedule(
        purgeTargets,
        {
          rules: config.retention.rules,
          schedule: config.retention.schedule,
          release: { k: config.analytics.minCellSize, dp: config.analytics.dp },
        },
        logger.child({ service: 'retention' }),
      );
    }
    // Statistics are answered from releases of closed months only: release, in the background,
    // any month that closed while the graph was stopped (answers list it as unreleased meanwhile),
    // then read every release into memory so that no answer waits for its cells to be read.
    if (databases && (wants('circulation') || wants('events'))) {
      const served = databases;
      const targets = {
        circulation: wants('circulation') ? releaseDb(served.circulation.db) : undefined,
        events: wants('events') ? releaseDb(served.events.db) : undefined,
      };
      // On PostgreSQL one replica releases a store's months at a time (src/db/singleRun.ts); the others skip it.
      const stores = {
        circulation: targets.circulation && served.circulation.db,
        events: targets.events && served.events.db,
      };
      released = runEachAlone(
        stores,
        (name) => [`release:${name}`],
        (mine) =>
          releaseAllClosed(
            {
              circulation: mine.circulation && targets.circulation,
              events: mine.events && targets.events,
            },
            { k: config.analytics.minCellSize, dp: config.analytics.dp },
          ),
      )
        .then(
          ({ value: done, skipped }) => {
            if (skipped.length)
              logger.info(
                { stores: skipped },
                'statistics release skipped: another replica runs it',
              );
            if (done.length) logger.info({ months: done.length }, 'statistics released');
          },
          (error: unknown) =>
            logger.error(
              { err: error instanceof Error ? error.message : String(error) },
              'statistics release failed',
            ),
        )
        .then(async () => {
          if (targets.circulation) await warmReleases(targets.circulation, CIRCULATION_SCOPE);
          if (targets.events) await warmReleases(targets.events, EVENTS_SCOPE);
        })
        // Answers read what is missing themselves; reading ahead only spares them the wait.
        .catch((error: unknown) =>
          logger.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'statistics releases not read ahead',
          ),
        );
    }
    if (wants('gateway')) {
      const { startGateway } = await import('../gateway/gateway.js');
      const server = await startGateway({
        config,
        logger: logger.child({ service: 'gateway' }),
        supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
        subgraphUrls: { ...config.subgraphUrls, ...urls } as Partial<Record<SubgraphName, string>>,
        port: config.gatewayPort,
        metrics,
        tracing,
      });
      running.push({ name: 'gateway', server });
      urls.gateway = server.url;
    }
    // Every service of the process on one loopback port, for a scraper on the same host.
    if (config.metrics.port !== null && running.length > 0)
      metricsServer = await startMetricsServer(config.metrics.port, () => metrics.render());
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls,
    databases,
    purge,
    metricsUrls: metricsServer ? [metricsServer.url] : [],
    released,
    stop,
  };
}
