import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../src/db/open.js';
import { AuditStore, type AuditCursor } from '../../../src/privacy/audit/store/auditStore.js';
import { AuditWriter } from '../../../src/privacy/audit/store/auditWriter.js';
import { auditMigrations, type AuditTables } from '../../../src/privacy/audit/store/migrations.js';
import { batchesOf, toWire, type DisclosureEntry } from '../../../src/privacy/audit/record.js';
import { FreshRecords } from '../../../src/privacy/audit/store/subjectIndex.js';
import { createLogger } from '../../../src/log/logger.js';

/**
 * "Who saw my record" must find every record of a patron, whether the writer thread has filed it
 * under the patron yet or not, and the writer must answer a request only once its records are
 * committed (or fail it, so the disclosure is redacted).
 */
const KEY = 'k'.repeat(40);
let dir: string;
let db: SqliteDatabase<AuditTables>;
let store: AuditStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-subjects-'));
  db = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
  store = new AuditStore(db, KEY);
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
const entry = (patronId: string, principal = 'staff:desk'): DisclosureEntry => ({
  at: new Date(Date.UTC(2026, 10, 1) + counter * 1000).toISOString(),
  requestId: `req-${++counter}`,
  principal,
  roles: ['staff'],
  exception: 'OPERATIONS',
  patronId,
  fields: ['Patron.name'],
  reference: null,
  purpose: null,
});

/** Records as the audit thread receives them. */
const wire = (entries: readonly DisclosureEntry[]) => batchesOf(entries).map(toWire);

const requestIdsOf = async (patronId: string) =>
  (await store.forPatrons([patronId], 1000))[0]!.map((r) => r.requestId);

describe("finding a patron's records", () => {
  it('finds them before filing, after filing and across the two, newest first and once each', async () => {
    store.append('circulation', [entry('pat_a'), entry('pat_b')]);
    store.append('events', [entry('pat_a')]);
    const before = await requestIdsOf('pat_a');
    expect(before).toHaveLength(2);

    expect(store.fileSubjects()).toBe(3);
    expect(await requestIdsOf('pat_a')).toEqual(before);

    store.append('circulation', [entry('pat_a')]);
    const mixed = await requestIdsOf('pat_a');
    expect(mixed).toHaveLength(3);
    expect(mixed.slice(1)).toEqual(before);
    expect(await requestIdsOf('pat_b')).toHaveLength(1);
    expect(await requestIdsOf('pat_nobody')).toEqual([]);
  });

  it("pages the custodian's query by patron across filed and unfiled records", async () => {
    for (let i = 0; i < 5; i++) store.append('circulation', [entry('pat_a'), entry('pat_b')]);
    store.fileSubjects();
    for (let i = 0; i < 4; i++)
      store.append('circulation', [entry('pat_a', i % 2 ? 'staff:desk' : 'staff:other')]);
    const seen: string[] = [];
    let after: AuditCursor | null = null;
    for (;;) {
      const page = await store.query({ patronId: 'pat_a' }, 2, after);
      seen.push(...page.records.map((r) => r.requestId));
      if (!page.more) break;
      after = page.cursors[page.cursors.length - 1]!;
    }
    expect(seen).toEqual(await requestIdsOf('pat_a'));
    expect(new Set(seen).size).toBe(9);
    const other = await store.query({ patronId: 'pat_a', principal: 'staff:other' }, 50, null);
    expect(other.records).toHaveLength(2);
  });

  it('agrees with a plain scan of the chains, whatever the order of appends and filings, and whoever appended', async () => {
    const step = fc.record({
      chain: fc.constantFrom('circulation', 'events'),
      patrons: fc.array(fc.constantFrom('pat_1', 'pat_2', 'pat_3'), { minLength: 1, maxLength: 4 }),
      // The writer thread files what it appended from memory; another process's appends leave a gap.
      by: fc.constantFrom('this writer', 'another'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(step, fc.constant('file' as const)), { maxLength: 30 }),
        async (steps) => {
          db.sqlite.exec(
            'delete from audit_subjects; delete from audit_subject_runs; delete from audit_subjects_upto; drop trigger audit_no_delete; delete from audit_batches;',
          );
          db.sqlite
            .exec(`create trigger audit_no_delete before delete on audit_batches when (select open from audit_gate) = 0
          begin select raise(abort, 'the disclosure audit is append-only; use the retention purge'); end`);
          const fresh = new FreshRecords();
          for (const s of steps) {
            if (s === 'file') {
              store.fileSubjects(fresh);
              fresh.clear();
            } else if (s.by === 'another')
              store.append(
                s.chain,
                s.patrons.map((p) => entry(p)),
              );
            else
              store.appendAll(
                [{ chain: s.chain, batches: wire(s.patrons.map((p) => entry(p))) }],
                fresh,
              );
          }
          const all = db.sqlite
            .prepare<[], { patron_id: string; request_id: string }>(
              'select r.value ->> 0 as patron_id, b.request_id from audit_batches b, json_each(b.records) r order by b.id desc, r.key desc',
            )
            .all();
          for (const patron of ['pat_1', 'pat_2', 'pat_3']) {
            expect(await requestIdsOf(patron)).toEqual(
              all.filter((r) => r.patron_id === patron).map((r) => r.request_id),
            );
          }
          // Every filed record is in the index under its own patron, and nothing else is.
          for (const chain of ['circulation', 'events'])
            expect(store.verify(chain).broken).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('files from memory only the records it knows, exactly', () => {
    const fresh = new FreshRecords();
    fresh.add('circulation', 5, ['pat_b', 'pat_a']);
    fresh.add('circulation', 7, ['pat_a']);
    expect(fresh.entries('circulation', 5, 7)).toEqual([
      ['pat_a', 6],
      ['pat_a', 7],
      ['pat_b', 5],
    ]);
    // Not exactly the records asked for, or a gap: filed from the batches instead.
    expect(fresh.entries('circulation', 4, 7)).toBeNull();
    expect(fresh.entries('circulation', 5, 8)).toBeNull();
    expect(fresh.entries('events', 1, 1)).toBeNull();
    // Another process appended seq 8: this writer's records no longer add up to the range.
    fresh.add('circulation', 9, ['pat_c']);
    expect(fresh.entries('circulation', 5, 9)).toBeNull();
  });
});

describe('the patron index is checked and purged with the chain', () => {
  it('audit:verify names a filed record that was taken out of the index', () => {
    store.append('circulation', [entry('pat_a'), entry('pat_b'), entry('pat_c')]);
    store.fileSubjects();
    expect(store.verify('circulation').broken).toBeNull();
    db.sqlite.prepare("delete from audit_subjects where patron_id = 'pat_b'").run();
    expect(store.verify('circulation').broken).toEqual({
      seq: 2,
      problem: 'it is missing from the patron index, so its patron would not see it',
    });
  });

  it("a retention purge removes the purged records' index entries too", () => {
    store.append('circulation', [{ ...entry('pat_old'), at: '2020-01-01T00:00:00.000Z' }]);
    store.append('circulation', [entry('pat_new')]);
    store.fileSubjects();
    store.purge('2021-01-01T00:00:00.000Z');
    const left = db.sqlite
      .prepare<[], { patron_id: string }>('select patron_id from audit_subjects')
      .all()
      .map((r) => r.patron_id);
    expect(left).toEqual(['pat_new']);
    expect(store.verify('circulation').broken).toBeNull();
  });
});

describe('the audit writer', () => {
  it('syncing on the thread pool, answers every append and closes only once the syncs are done', async () => {
    const writer = new AuditWriter({
      file: path.join(dir, 'audit.db'),
      key: KEY,
      logger: createLogger('test', 'silent'),
      sync: 'pool',
    });
    await writer.append('circulation', wire([entry('pat_a')]));
    // Two more appends while the first's sync may still run, then close at once: both are answered,
    // and close waits for the sync rather than closing the log under it.
    const appends = [
      writer.append('circulation', wire([entry('pat_b')])),
      writer.append('circulation', wire([entry('pat_c')])),
    ];
    const closed = writer.close();
    await expect(Promise.all(appends)).resolves.toBeDefined();
    await closed;
    await expect(writer.append('circulation', wire([entry('pat_d')]))).rejects.toThrow(/closed/);
    expect(await requestIdsOf('pat_c')).toHaveLength(1);
    expect(store.verify('circulation').broken).toBeNull();
  });

  it('answers once the records are committed, and fails (for redaction) when they cannot be', async () => {
    const writer = new AuditWriter({
      file: path.join(dir, 'audit.db'),
      key: KEY,
      logger: createLogger('test', 'silent'),
    });
    try {
      expect(writer.state).toBe('starting');
      await Promise.all([
        writer.append('circulation', wire([entry('pat_a')])),
        writer.append('events', wire([entry('pat_a'), entry('pat_b')])),
      ]);
      expect(writer.state).toBe('ready');
      expect(await requestIdsOf('pat_a')).toHaveLength(2);
      db.sqlite.exec(
        `create trigger outage before insert on audit_batches begin select raise(abort, 'disk full'); end`,
      );
      await expect(writer.append('circulation', wire([entry('pat_a')]))).rejects.toThrow(
        /disk full/,
      );
      db.sqlite.exec('drop trigger outage');
      await writer.append('circulation', wire([entry('pat_c')]));
      expect(store.verify('circulation').broken).toBeNull();
    } finally {
      await writer.close();
    }
    // Closing files what was still unfiled.
    expect(db.sqlite.prepare('select count(*) as n from audit_subjects').get()).toEqual({ n: 4 });
    await expect(writer.append('circulation', wire([entry('pat_a')]))).rejects.toThrow(/closed/);
  });

  it('files what it committed while it stays open, told in one message per moment', async () => {
    const writer = new AuditWriter({
      file: path.join(dir, 'audit.db'),
      key: KEY,
      logger: createLogger('test', 'silent'),
    });
    try {
      for (const patron of ['pat_a', 'pat_b', 'pat_c'])
        await writer.append('circulation', wire([entry(patron)]));
      const filed = () =>
        db.sqlite.prepare<[], { n: number }>('select count(*) as n from audit_subjects').get()!.n;
      // The filing thread starts, hears of the three commits together, and files them within its second.
      const deadline = Date.now() + 20_000;
      while (filed() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(filed()).toBe(3);
      expect(await requestIdsOf('pat_b')).toHaveLength(1);
    } finally {
      await writer.close();
    }
  });

  it("commits the appends of one turn of the event loop together, before the loop's next poll", async () => {
    const writer = new AuditWriter({
      file: path.join(dir, 'audit.db'),
      key: KEY,
      logger: createLogger('test', 'silent'),
    });
    try {
      await writer.append('circulation', wire([entry('pat_a')]));
      const transactions = vi.spyOn(AuditStore.prototype, 'appendAll');
      // Three requests' writes in one turn: one transaction, one sync, for all three.
      const writes = ['pat_b', 'pat_c', 'pat_d'].map((p) =>
        writer.append('circulation', wire([entry(p)])),
      );
      expect(transactions).not.toHaveBeenCalled();
      // A response waiting for its record must not wait behind the next turn's work: the
      // records are committed in this turn's check phase, before any timer or I/O of the next.
      await new Promise((r) => setImmediate(r));
      expect(transactions).toHaveBeenCalledTimes(1);
      expect(transactions.mock.calls[0]![0]).toHaveLength(3);
      for (const p of ['pat_b', 'pat_c', 'pat_d']) expect(await requestIdsOf(p)).toHaveLength(1);
      await Promise.all(writes);
    } finally {
      vi.restoreAllMocks();
      await writer.close();
    }
  });

  it('waits for a lock held by another writer without stalling the thread, and gives up in time', async () => {
    const writer = new AuditWriter({
      file: path.join(dir, 'audit.db'),
      key: KEY,
      logger: createLogger('test', 'silent'),
      timeoutMs: 400,
    });
    try {
      await writer.append('circulation', wire([entry('pat_a')]));
      // Another connection (the filing thread, another process) holds SQLite's write lock.
      db.sqlite.exec('begin immediate');
      let settled = false;
      const waiting = writer.append('circulation', wire([entry('pat_b')])).finally(() => {
        settled = true;
      });
      const ticks = Date.now();
      await new Promise((r) => setTimeout(r, 50));
      // The event loop went on (a blocked thread would have slept in SQLite's busy handler).
      expect(Date.now() - ticks).toBeLessThan(300);
      expect(settled).toBe(false);
      db.sqlite.exec('commit');
      await waiting;
      expect(await requestIdsOf('pat_b')).toHaveLength(1);

      // A lock that is never freed fails the write (so the caller redacts), within the timeout.
      db.sqlite.exec('begin immediate');
      const started = Date.now();
      await expect(writer.append('circulation', wire([entry('pat_c')]))).rejects.toThrow(/locked/);
      expect(Date.now() - started).toBeLessThan(2000);
      db.sqlite.exec('rollback');
      expect(await requestIdsOf('pat_c')).toHaveLength(0);
      expect(store.verify('circulation').broken).toBeNull();
    } finally {
      await writer.close();
    }
  });

  it('fails the writes of an audit that cannot be opened, so their disclosures are redacted', async () => {
    // A directory that is a file: the thread cannot create its database.
    fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
    const writer = new AuditWriter({
      file: path.join(dir, 'not-a-dir', 'audit.db'),
      key: KEY,
      logger: createLogger('test', 'silent'),
    });
    try {
      await expect(writer.append('circulation', wire([entry('pat_a')]))).rejects.toThrow(
        /EEXIST|ENOTDIR/,
      );
      expect(writer.state).toBe('failed');
      // The next write tries to open it again, and fails the same way: never a silent success.
      await expect(writer.append('circulation', wire([entry('pat_a')]))).rejects.toThrow(
        /EEXIST|ENOTDIR/,
      );
    } finally {
      await writer.close();
    }
  });
});
