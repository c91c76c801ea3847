import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../src/db/open.js';
import { AuditStore } from '../../../src/privacy/audit/store/auditStore.js';
import { auditMigrations, type AuditTables } from '../../../src/privacy/audit/store/migrations.js';
import type { DisclosureEntry, StoredRecord } from '../../../src/privacy/audit/record.js';

/** A patron's own log is read newest first in pages, filtered as it goes, and stops at the page limit. */
let dir: string;
let db: SqliteDatabase<AuditTables>;
let store: AuditStore;

const entry = (n: number, patronId = 'pat_1'): DisclosureEntry => ({
  at: new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString(),
  requestId: `req-${n}`,
  principal: 'staff:desk',
  roles: ['staff'],
  exception: 'OPERATIONS',
  patronId,
  fields: ['Patron.name'],
  reference: null,
  purpose: null,
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'for-patrons-'));
  db = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
  store = new AuditStore(db, 'test-key');
  for (let n = 1; n <= 600; n++)
    store.append(n % 2 === 0 ? 'registers' : 'circulation', [entry(n)]);
  store.append('circulation', [entry(601, 'pat_2')]);
});
afterAll(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('AuditStore.forPatrons', () => {
  it('keeps only what the filter accepts, newest first, up to the limit, without reading the whole log', async () => {
    const seen: StoredRecord[] = [];
    const [log, other] = await store.forPatrons(['pat_1', 'pat_2'], 200, (r) => {
      seen.push(r);
      return r.chain !== 'registers';
    });
    expect(log).toHaveLength(200);
    expect(log!.every((r) => r.chain === 'circulation')).toBe(true);
    expect(log![0]!.requestId).toBe('req-599');
    expect(log![199]!.requestId).toBe('req-201');
    expect(other!.map((r) => r.requestId)).toEqual(['req-601']);
    expect(seen.length).toBeLessThan(600);
  });
});
