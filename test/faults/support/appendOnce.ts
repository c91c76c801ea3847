/**
 * Appends one disclosure batch through the SQLite audit writer and says on stdout when the append
 * starts and when it resolves (`appending`, `appended`): the durability test (auditDurability)
 * runs this under strace and looks for the write-ahead log's sync between the two.
 */
import { writeSync } from 'node:fs';
import { AuditWriter } from '../../../src/privacy/audit/store/auditWriter.js';
import { createLogger } from '../../../src/log/logger.js';
import type { WireBatch } from '../../../src/privacy/audit/record.js';

const file = process.argv[2];
if (!file) throw new Error('usage: appendOnce.ts <audit file>');

const batch = (requestId: string): WireBatch => ({
  at: new Date().toISOString(),
  requestId,
  principal: 'staff:desk',
  roles: ['circulation-staff'],
  exception: 'OPERATIONS',
  reference: null,
  purpose: null,
  patrons: ['pat_a', 'pat_b'],
  fields: ['["Patron.name"]', '["Patron.email","Patron.name"]'],
});

const writer = new AuditWriter({
  file,
  key: 'k'.repeat(40),
  logger: createLogger('audit', 'silent'),
});
// The first append waits for the audit to open (its migrations write and sync too).
await writer.append('circulation', [batch('req-open')]);
writeSync(1, 'appending\n');
await writer.append('circulation', [batch('req-disclosed')]);
writeSync(1, 'appended\n');
await writer.close();
