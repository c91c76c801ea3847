import path from 'node:path';
import { openSqlite, type Database } from '../db/open.js';
import { catalogMigrations, type CatalogTables } from '../../subgraphs/catalog/migrations.js';
import { circulationMigrations, type CirculationTables } from '../../subgraphs/circulation/migrations.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';
import { auditMigrations, type AuditTables } from '../privacy/audit/migrations.js';

/** The three subgraph databases. */
export interface Databases {
  catalog: Database<CatalogTables>;
  circulation: Database<CirculationTables>;
  events: Database<EventsTables>;
  /** The disclosure audit, shared by the subgraphs (one hash chain each). */
  audit: Database<AuditTables>;
}

/** The SQLite file of each subgraph under the data directory (or all in memory). */
export const databaseFile = (dataDir: string, name: keyof Databases): string =>
  dataDir === ':memory:' ? ':memory:' : path.join(dataDir, `${name}.db`);

/** Opens and migrates the three databases (one file each, WAL). */
export async function openDatabases(dataDir: string): Promise<Databases> {
  const catalog = await openSqlite<CatalogTables>(databaseFile(dataDir, 'catalog'), catalogMigrations);
  const circulation = await openSqlite<CirculationTables>(databaseFile(dataDir, 'circulation'), circulationMigrations);
  const events = await openSqlite<EventsTables>(databaseFile(dataDir, 'events'), eventsMigrations);
  const audit = await openSqlite<AuditTables>(databaseFile(dataDir, 'audit'), auditMigrations);
  return { catalog, circulation, events, audit };
}
