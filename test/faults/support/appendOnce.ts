/**
 * Appends one disclosure batch through the SQLite audit writer and says on stdout when the append
 * starts and when it resolves (`appending`, `appended`): the durability test (auditDurability)
 * runs this under strace and looks for the write-ahead log's sync between the two. The second
 * argument says where the writer syncs: `inline`, `pool`, or `auto` after the thread has been idle
 * (`auto-idle`) or busy (`auto-busy`) for a while.
 */
import { writeSync } from 'node:fs';
import { AuditWriter } from '../../../src/privacy/audit/store/auditWriter.js';
import { createLogger } from '../../../src/log/logger.js';
import type { WireBatch } from '../../../src/privacy/audit/record.js';

const [file, mode = 'auto-idle'] = process.argv.slice(2);
if (!file) throw new Error('usage: appendOnce.ts <audit file> [inline|pool|auto-idle|auto-busy]');
const sync = mode === 'inline' || mode === 'pool' ? mode : 'auto';

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
  sync,
});
// The first append waits for the audit to open (its migrations write and sync too).
await writer.append('circulation', [batch('req-open')]);
// Under `auto` the writer reads how busy the thread was since it last looked (at least 100 ms).
if (mode === 'auto-idle') await new Promise((resolve) => setTimeout(resolve, 250));
if (mode === 'auto-busy') {
  const until = Date.now() + 250;
  while (Date.now() < until);
}
writeSync(1, 'appending\n');
await writer.append('circulation', [batch('req-disclosed')]);
writeSync(1, 'appended\n');
await writer.close();
