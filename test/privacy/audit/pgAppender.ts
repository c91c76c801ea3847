/**
 * One replica's audit writer, in a process of its own (test/privacy/audit/postgres.test.ts starts several
 * at once): appends REQUESTS requests' records to the chains of the audit at AUDIT_DATABASE_URL,
 * all in flight together, then prints how many it wrote.
 */
import { loadConfig } from '../../../src/config/env.js';
import { openPostgres } from '../../../src/db/open.js';
import {
  auditMigrations,
  type PostgresAuditTables,
} from '../../../src/privacy/audit/store/migrations.js';
import { PostgresAuditStore } from '../../../src/privacy/audit/store/postgresAuditStore.js';
import { PostgresAuditWriter } from '../../../src/privacy/audit/store/postgresAuditWriter.js';
import { batchesOf, toWire } from '../../../src/privacy/audit/record.js';

const config = loadConfig(process.env);
const where = config.audit.postgres;
if (!where) throw new Error('pgAppender needs AUDIT_DATABASE_URL');
const replica = process.env.REPLICA ?? 'r';
const requests = Number(process.env.REQUESTS ?? '50');
const database = await openPostgres<PostgresAuditTables>(where.url, where.schema, auditMigrations);
const writer = new PostgresAuditWriter(new PostgresAuditStore(database, config.audit.key));
let records = 0;
await Promise.all(
  Array.from({ length: requests }, (_, n) => {
    const patrons = Array.from({ length: 1 + (n % 4) }, (_, i) => `pat_${replica}_${(n + i) % 7}`);
    records += patrons.length;
    const entries = patrons.map((patronId) => ({
      at: new Date().toISOString(),
      requestId: `${replica}-${n}`,
      principal: `staff:${replica}`,
      roles: ['staff'],
      exception: 'OPERATIONS',
      reference: null,
      purpose: null,
      patronId,
      fields: ['Patron.name'],
    }));
    return writer.append(n % 3 === 0 ? 'registers' : 'circulation', batchesOf(entries).map(toWire));
  }),
);
await writer.close();
await database.close();
console.log(`${replica}: ${records} records`);
