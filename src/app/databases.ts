import path from 'node:path';
import { openDatabase, openPostgres, openSqlite, type Database } from '../db/open.js';
import type { PostgresLocation, SubgraphName } from '../config/env.js';
import { catalogMigrations, type CatalogTables } from '../../subgraphs/catalog/migrations.js';
import {
  circulationMigrations,
  type CirculationTables,
} from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';
import {
  auditMigrations,
  type AuditDatabase,
  type AuditTables,
  type PostgresAuditTables,
} from '../privacy/audit/store/migrations.js';

/** The three subgraph databases. */
export interface Databases {
  catalog: Database<CatalogTables>;
  circulation: Database<CirculationTables>;
  events: Database<EventsTables>;
  /** The disclosure audit, shared by the subgraphs (one hash chain each): a SQLite file, or a schema on PostgreSQL (AUDIT_DATABASE_URL). */
  audit: AuditDatabase;
}

/** The SQLite file of each subgraph under the data directory (or all in memory). */
export const databaseFile = (dataDir: string, name: keyof Databases): string =>
  dataDir === ':memory:' ? ':memory:' : path.join(dataDir, `${name}.db`);

/** Where each subgraph store lives on PostgreSQL (null or absent: its SQLite file). */
export type PostgresLocations = Partial<Record<SubgraphName, PostgresLocation | null>>;

/**
 * Opens and migrates the three subgraph stores (each a SQLite file in WAL mode, or a schema on
 * PostgreSQL where `postgres` names one) and the audit (a SQLite file, or `auditPostgres`).
 */
export async function openDatabases(
  dataDir: string,
  postgres: PostgresLocations = {},
  auditPostgres: PostgresLocation | null = null,
): Promise<Databases> {
  const where = (name: SubgraphName) => postgres[name] ?? databaseFile(dataDir, name);
  const opened: { close(): Promise<void> }[] = [];
  const open = async <D extends { close(): Promise<void> }>(database: Promise<D>): Promise<D> => {
    const db = await database;
    opened.push(db);
    return db;
  };
  try {
    const catalog = await open(openDatabase<CatalogTables>(where('catalog'), catalogMigrations));
    const circulation = await open(
      openDatabase<CirculationTables>(where('circulation'), circulationMigrations),
    );
    const events = await open(openDatabase<EventsTables>(where('events'), eventsMigrations));
    const audit: AuditDatabase = auditPostgres
      ? await open(
          openPostgres<PostgresAuditTables>(
            auditPostgres.url,
            auditPostgres.schema,
            auditMigrations,
            auditPostgres.poolSize,
          ),
        )
      : await open(openSqlite<AuditTables>(databaseFile(dataDir, 'audit'), auditMigrations));
    return { catalog, circulation, events, audit };
  } catch (error) {
    for (const db of opened) await db.close();
    throw error;
  }
}
