import { AuditStore, type AuditLog } from './auditStore.js';
import type { AuditDatabase } from './migrations.js';
import { PostgresAuditStore } from './postgresAuditStore.js';

/** The audit store for an open audit, on whichever engine it is. */
export function auditLogOf(database: AuditDatabase, key: string): AuditStore | PostgresAuditStore {
  return database.dialect === 'postgres'
    ? new PostgresAuditStore(database, key)
    : new AuditStore(database, key);
}

export type { AuditLog };
