import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../src/db/open.js';
import { AuditStore } from '../../../src/privacy/audit/store/auditStore.js';
import { auditMigrations, type AuditTables } from '../../../src/privacy/audit/store/migrations.js';
import {
  batchEncoder,
  GENESIS,
  recordHash,
  type DisclosureEntry,
} from '../../../src/privacy/audit/record.js';

/**
 * The audit stores a request's records as one batch row (migration 0003) and files them under
 * their patrons in sorted runs. Each record must still be checked, found and purged on its own,
 * and an audit written before the change must carry over intact.
 */
const KEY = 'k'.repeat(40);
let dir: string;
let db: SqliteDatabase<AuditTables>;
let store: AuditStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-batches-'));
  db = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
  store = new AuditStore(db, KEY);
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let requests = 0;
/** One request's records: one per patron, sharing the request's header. */
const request = (
  patrons: readonly string[],
  at = new Date(Date.UTC(2026, 10, 1) + requests * 60_000).toISOString(),
): DisclosureEntry[] => {
  requests += 1;
  return patrons.map((patronId) => ({
    at,
    requestId: `req-${requests}`,
    principal: 'staff:desk',
    roles: ['staff'],
    exception: 'OPERATIONS',
    patronId,
    fields: ['Patron.email', 'Patron.name'],
    reference: null,
    purpose: 'desk',
  }));
};

const asAttacker = (statement: string, ...params: unknown[]) => {
  db.sqlite.exec('drop trigger if exists audit_no_update; drop trigger if exists audit_no_delete;');
  db.sqlite.prepare(statement).run(...params);
};

const rowCount = (table: string) =>
  (db.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

describe('one row per request', () => {
  it("stores a request's records as one row, and reads each record back with its own place and hash", async () => {
    store.append('circulation', request(['pat_a', 'pat_b', 'pat_c']));
    store.append('circulation', request(['pat_b']));
    expect(rowCount('audit_batches')).toBe(2);
    const records = (await store.query({}, 10, null)).records;
    expect(records.map((r) => [r.seq, r.patronId])).toEqual([
      [4, 'pat_b'],
      [3, 'pat_c'],
      [2, 'pat_b'],
      [1, 'pat_a'],
    ]);
    expect(records[3]!.prevHash).toBe(GENESIS);
    for (let i = 0; i < 3; i++) expect(records[i]!.prevHash).toBe(records[i + 1]!.hash);
    expect(records[1]!.hash).toBe(
      recordHash('circulation', 3, records[2]!.hash, records[1]!, records[1]!),
    );
  });

  it("hashes as recordHash does, whatever the text (the writer's encoder and the verifier agree)", () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.record({
          chain: text,
          at: text,
          requestId: text,
          principal: fc.option(text),
          roles: fc.array(text, { maxLength: 3 }),
          exception: text,
          reference: fc.option(text),
          purpose: fc.option(text),
        }),
        fc.array(fc.record({ patronId: text, fields: fc.array(text, { maxLength: 3 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        ({ chain, ...header }, subjects, first) => {
          const encode = batchEncoder(chain, header);
          let prev = GENESIS;
          subjects.forEach((subject, i) => {
            const { hash, json } = encode(
              first + i,
              prev,
              subject.patronId,
              JSON.stringify(subject.fields),
            );
            expect(hash).toBe(recordHash(chain, first + i, prev, header, subject));
            expect(JSON.parse(json)).toEqual([subject.patronId, subject.fields, hash]);
            prev = hash;
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the record edited inside a batch, and a batch whose records were reordered or mangled', () => {
    store.append('circulation', request(['pat_a', 'pat_b', 'pat_c']));
    store.append('circulation', request(['pat_d', 'pat_e']));
    asAttacker(
      `update audit_batches set records = json_replace(records, '$[1][1]', json('["Patron.name"]')) where first_seq = 1`,
    );
    expect(store.verify('circulation').broken).toEqual({
      seq: 2,
      problem: 'its content does not match its hash',
    });

    asAttacker(
      `update audit_batches set records = json_replace(records, '$[1][1]', json('["Patron.email","Patron.name"]')) where first_seq = 1`,
    );
    expect(store.verify('circulation').broken).toBeNull();
    asAttacker(
      `update audit_batches set records = json_array(records -> '$[1]', records -> '$[0]') where first_seq = 4`,
    );
    expect(store.verify('circulation').broken).toEqual({
      seq: 4,
      problem: 'its content does not match its hash',
    });

    asAttacker(`update audit_batches set records = 'not json' where first_seq = 4`);
    expect(store.verify('circulation').broken).toEqual({
      seq: 4,
      problem: 'its batch of records cannot be read',
    });
  });

  it('pages through the records of one batch and across batches without a gap or a repeat', async () => {
    for (let i = 0; i < 4; i++) store.append('circulation', request(['pat_a', 'pat_b', 'pat_c']));
    const seen: number[] = [];
    let after = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof store.query>> = await store.query({}, 5, after);
      seen.push(...page.records.map((r) => r.seq));
      if (!page.more) break;
      after = page.cursors[page.cursors.length - 1]!;
    }
    expect(seen).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });
});

describe('the patron index, in runs', () => {
  it('merges runs as they accumulate, and every record stays findable', async () => {
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      const entries = request(['pat_a', `pat_${i}`]);
      store.append(i % 2 ? 'events' : 'circulation', entries);
      expected.unshift(entries[0]!.requestId);
      store.fileSubjects();
    }
    while (store.mergeRuns());
    // 40 filings: five merges of eight runs at level 0, which do not yet make eight at level 1.
    expect(rowCount('audit_subject_runs')).toBe(5);
    expect(rowCount('audit_subjects')).toBe(80);
    expect((await store.forPatrons(['pat_a'], 1000))[0]!.map((r) => r.requestId)).toEqual(expected);
    expect((await store.forPatrons(['pat_7'], 1000))[0]!.map((r) => r.patronId)).toEqual(['pat_7']);
    expect(store.verify('circulation').broken).toBeNull();
    expect(store.verify('events').broken).toBeNull();
  });

  it('merges in quiet moments (mergeRuns), and while filing only once runs pile up', () => {
    const file = (n: number) => {
      for (let i = 0; i < n; i++) {
        store.append('circulation', request([`pat_${i}`]));
        store.fileSubjects();
      }
    };
    file(8);
    expect(rowCount('audit_subject_runs')).toBe(8);
    expect(store.mergeRuns()).toBe(true);
    expect(rowCount('audit_subject_runs')).toBe(1);
    expect(store.mergeRuns()).toBe(false);
    file(40);
    // Never quiet: each filing that brings level 0 to 32 runs merges the oldest eight.
    expect(
      db.sqlite.prepare('select count(*) as n from audit_subject_runs where level = 0').get(),
    ).toEqual({ n: 24 });
    expect(store.verify('circulation').broken).toBeNull();
  });

  it('leaves runs unmerged once a merge would exceed its bound, so that no merge stalls the writer for long', async () => {
    store = new AuditStore(db, KEY, { maxMerge: 40 });
    for (let i = 0; i < 64; i++) {
      store.append('circulation', request(['pat_a', `pat_${i}`, `pat_x${i}`]));
      store.fileSubjects();
    }
    while (store.mergeRuns());
    // Runs of 3 merge by eight into runs of 24; eight of those (192 entries) would exceed 40.
    const runs = db.sqlite
      .prepare<[], { level: number; entries: number }>(
        'select level, entries from audit_subject_runs order by run',
      )
      .all();
    expect(runs).toEqual(Array.from({ length: 8 }, () => ({ level: 1, entries: 24 })));
    expect((await store.forPatrons(['pat_a'], 100))[0]).toHaveLength(64);
    expect(store.verify('circulation').broken).toBeNull();
  });

  it("audit:verify names an index entry that points at another patron's record, and lookups do not follow it", async () => {
    store.append('circulation', request(['pat_a', 'pat_b']));
    store.fileSubjects();
    db.sqlite
      .prepare("update audit_subjects set patron_id = 'pat_z' where patron_id = 'pat_b'")
      .run();
    expect(store.verify('circulation').broken).toEqual({
      seq: 2,
      problem: 'it is missing from the patron index, so its patron would not see it',
    });
    expect((await store.forPatrons(['pat_z'], 10))[0]).toEqual([]);
  });

  it('a purge takes whole runs and cuts through the run that straddles it', async () => {
    const old = '2020-01-01T00:00:00.000Z';
    for (let i = 0; i < 9; i++) {
      store.append('circulation', request(['pat_old', `pat_o${i}`], old));
      store.fileSubjects();
    }
    store.append('circulation', request(['pat_old'], old));
    store.append('circulation', request(['pat_new']));
    store.fileSubjects();
    const results = store.purge('2021-01-01T00:00:00.000Z');
    expect(results).toEqual([{ chain: 'circulation', deleted: 19 }]);
    const left = db.sqlite
      .prepare<[], { patron_id: string }>('select patron_id from audit_subjects')
      .all()
      .map((r) => r.patron_id);
    expect(left).toEqual(['pat_new']);
    expect(store.verify('circulation')).toEqual({ chain: 'circulation', records: 1, broken: null });
    expect((await store.forPatrons(['pat_old', 'pat_new'], 10)).map((list) => list.length)).toEqual(
      [0, 1],
    );
  });
});

describe('an audit written before batches (migration 0003)', () => {
  it('carries every record over with its hash, verifies, and is refiled under its patrons', async () => {
    await db.close();
    fs.rmSync(path.join(dir, 'audit.db'));
    const before = Object.fromEntries(
      Object.entries(auditMigrations).filter(([name]) => name < '0003'),
    );
    const old = await openSqlite<Record<string, never>>(path.join(dir, 'audit.db'), before);
    const insert = old.sqlite.prepare(
      `insert into audit_records (chain, seq, at, request_id, principal, roles, exception, patron_id, fields, reference, purpose, prev_hash, hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let prev = GENESIS;
    const entries = [
      ...request(['pat_a', 'pat_b']),
      ...request(['pat_a']),
      ...request(['pat_c', 'pat_a', 'pat_d']),
    ];
    entries.forEach((e, i) => {
      const hash = recordHash('circulation', i + 1, prev, e, e);
      insert.run(
        'circulation',
        i + 1,
        e.at,
        e.requestId,
        e.principal,
        JSON.stringify(e.roles),
        e.exception,
        e.patronId,
        JSON.stringify(e.fields),
        e.reference,
        e.purpose,
        prev,
        hash,
      );
      prev = hash;
    });
    old.sqlite.exec(
      "insert into audit_subjects select patron_id, chain, seq from audit_records; insert into audit_subjects_upto values ('circulation', 6)",
    );
    await old.close();

    db = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
    store = new AuditStore(db, KEY);
    expect(rowCount('audit_batches')).toBe(3);
    expect(store.verify('circulation')).toEqual({ chain: 'circulation', records: 6, broken: null });
    expect((await store.forPatrons(['pat_a'], 10))[0]!.map((r) => r.seq)).toEqual([5, 3, 1]);
    expect(store.fileSubjects()).toBe(6);
    expect((await store.forPatrons(['pat_a'], 10))[0]!.map((r) => r.seq)).toEqual([5, 3, 1]);
    store.append('circulation', request(['pat_a']));
    expect(store.verify('circulation')).toEqual({ chain: 'circulation', records: 7, broken: null });
  });
});
