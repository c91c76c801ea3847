import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, openSqlite, type PostgresDatabase } from '../../../src/db/open.js';
import { AuditStore, type AuditLog } from '../../../src/privacy/audit/store/auditStore.js';
import {
  auditMigrations,
  type AuditTables,
  type PostgresAuditTables,
} from '../../../src/privacy/audit/store/migrations.js';
import { PostgresAuditStore } from '../../../src/privacy/audit/store/postgresAuditStore.js';
import type { StoredRecord, WireBatch } from '../../../src/privacy/audit/record.js';
import { createTestPostgresDatabase, TEST_ON_POSTGRES } from '../../support/database.js';

/**
 * A request answered with another's execution (an identical request of the same caller, in flight
 * at once) is audited as a repeat of that request's batch: a row naming the batch, under its own
 * header. Whatever reads the audit must see the repeat's records as if they were stored in full:
 * a patron's log, the custodian's query, audit:verify, the retention purge and audit:copy, on
 * either engine.
 */
const KEY = 'k'.repeat(40);
const CHAIN = 'circulation';
const PATRONS = ['pat_a', 'pat_b', 'pat_c'];

/** The leader's batch: what an executing request's recorder writes. */
const leaderBatch = (at = '2026-11-20T10:00:00.000Z'): WireBatch => ({
  at,
  requestId: 'leader',
  principal: 'staff:desk',
  roles: ['circulation-staff'],
  exception: 'OPERATIONS',
  reference: null,
  purpose: 'circulation',
  patrons: [...PATRONS],
  fields: PATRONS.map((_, i) => JSON.stringify(i === 1 ? ['Patron.email'] : ['Patron.name'])),
});

/** A follower's batch, as its recorder writes it: the leader's very arrays, its own header. */
const followerOf = (leader: WireBatch, requestId: string, at: string): WireBatch => ({
  ...leader,
  at,
  requestId,
  repeats: leader,
});

/** What a record says, without its place and hashes. */
const said = (r: StoredRecord) => `${r.requestId} ${r.at} ${r.patronId} ${r.fields.join(',')}`;

/** The engine under test: a store, and a way to change its rows as an attacker with the table owner's rights. */
interface Engine {
  store: AuditLog & {
    appendAll(appends: { chain: string; batches: WireBatch[] }[]): void | Promise<void>;
  };
  rows(): Promise<
    { first_seq: number; last_seq: number; repeats: number | null; records: string }[]
  >;
  tamper(statement: string): Promise<void>;
  /** SQLite files records under their patrons on a thread; PostgreSQL as it appends. */
  file(): void;
}

const engines: [string, boolean, () => Promise<Engine>][] = [
  [
    'SQLite',
    true,
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-repeats-'));
      const database = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
      const store = new AuditStore(database, KEY);
      return {
        store,
        rows: async () =>
          database.sqlite
            .prepare('select first_seq, last_seq, repeats, records from audit_batches order by id')
            .all() as Awaited<ReturnType<Engine['rows']>>,
        tamper: async (statement) => {
          database.sqlite.exec(
            'drop trigger if exists audit_no_update; drop trigger if exists audit_no_delete;',
          );
          database.sqlite.exec(statement);
        },
        file: () => void store.fileSubjects(),
      };
    },
  ],
  [
    'PostgreSQL',
    TEST_ON_POSTGRES,
    async () => {
      const url = await createTestPostgresDatabase();
      const database: PostgresDatabase<PostgresAuditTables> = await openPostgres(
        url,
        `audit_repeats_${process.pid}_${Date.now()}`,
        auditMigrations,
      );
      opened.push(database);
      const store = new PostgresAuditStore(database, KEY);
      return {
        store,
        rows: async () =>
          (
            await sql<Awaited<ReturnType<Engine['rows']>>[number]>`
              select first_seq, last_seq, repeats, records from audit_batches order by id`.execute(
              database.db,
            )
          ).rows,
        tamper: async (statement) => {
          await sql`alter table audit_batches disable trigger user`.execute(database.db);
          await sql.raw(statement).execute(database.db);
          await sql`alter table audit_batches enable trigger user`.execute(database.db);
        },
        file: () => undefined,
      };
    },
  ],
];
const opened: PostgresDatabase<PostgresAuditTables>[] = [];
afterAll(async () => {
  for (const database of opened) await database.close();
});

describe.each(engines)('repeats in the audit on %s', (_, enabled, open) => {
  let engine: Engine;
  let leader: WireBatch;

  /** A leader and two followers: one committed with it, one in a later transaction. */
  const appendShared = async () => {
    leader = leaderBatch();
    await engine.store.appendAll([
      { chain: CHAIN, batches: [leader] },
      { chain: CHAIN, batches: [followerOf(leader, 'follower-1', '2026-11-20T10:00:00.004Z')] },
    ]);
    await engine.store.appendAll([
      { chain: CHAIN, batches: [followerOf(leader, 'follower-2', '2026-11-20T10:00:00.009Z')] },
    ]);
  };

  beforeAll(async () => {
    if (enabled) engine = await open();
  });

  it.skipIf(!enabled)(
    'stores each follower as one row naming the batch, and reads its records back in full',
    async () => {
      await appendShared();
      const rows = await engine.rows();
      expect(rows.map((r) => [r.first_seq, r.last_seq, r.repeats, r.records === '[]'])).toEqual([
        [1, 3, null, false],
        [4, 6, 1, true],
        [7, 9, 1, true],
      ]);

      // The custodian's query: nine records, each with a place of its own, newest first.
      const page = await engine.store.query({}, 20, null);
      expect(page.records.map((r) => r.seq)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
      const expected = (requestId: string, at: string) =>
        PATRONS.map(
          (p, i) => `${requestId} ${at} ${p} ${i === 1 ? 'Patron.email' : 'Patron.name'}`,
        ).reverse();
      expect(page.records.map(said)).toEqual([
        ...expected('follower-2', '2026-11-20T10:00:00.009Z'),
        ...expected('follower-1', '2026-11-20T10:00:00.004Z'),
        ...expected('leader', '2026-11-20T10:00:00.000Z'),
      ]);
      expect(await engine.store.verify(CHAIN)).toEqual({ chain: CHAIN, records: 9, broken: null });
      expect(await engine.store.at(CHAIN, 9)).toEqual({
        kind: 'record',
        hash: page.records[0]!.hash,
      });
    },
  );

  it.skipIf(!enabled)(
    "gives each patron the followers' records, before and after filing, page by page",
    async () => {
      const logOf = async (patronId: string) => {
        const seen: string[] = [];
        let after = null;
        for (;;) {
          const page = await engine.store.query({ patronId }, 1, after);
          seen.push(...page.records.map(said));
          if (!page.more) return seen;
          after = page.cursors[page.cursors.length - 1]!;
        }
      };
      const unfiled = await logOf('pat_b');
      expect(unfiled).toEqual([
        'follower-2 2026-11-20T10:00:00.009Z pat_b Patron.email',
        'follower-1 2026-11-20T10:00:00.004Z pat_b Patron.email',
        'leader 2026-11-20T10:00:00.000Z pat_b Patron.email',
      ]);
      engine.file();
      expect(await logOf('pat_b')).toEqual(unfiled);
      const [a, c, nobody] = await engine.store.forPatrons(['pat_a', 'pat_c', 'pat_z'], 10);
      expect(a!.map((r) => r.requestId)).toEqual(['follower-2', 'follower-1', 'leader']);
      expect(c!.map((r) => r.requestId)).toEqual(['follower-2', 'follower-1', 'leader']);
      expect(nobody).toEqual([]);
      // A repeat appended after filing is found from its filed batch.
      await engine.store.appendAll([
        { chain: CHAIN, batches: [followerOf(leader, 'follower-3', '2026-11-20T10:00:01.000Z')] },
      ]);
      expect((await logOf('pat_c'))[0]).toBe(
        'follower-3 2026-11-20T10:00:01.000Z pat_c Patron.name',
      );
      expect((await engine.store.verify(CHAIN)).broken).toBeNull();
    },
  );

  it.skipIf(!enabled)(
    'stores a follower in full when the batch it names was not appended here, or differs',
    async () => {
      const stranger = leaderBatch('2026-11-21T10:00:00.000Z');
      const copied = { ...followerOf(leader, 'follower-copy', '2026-11-21T10:00:00.001Z') };
      copied.patrons = [...leader.patrons];
      await engine.store.appendAll([
        { chain: CHAIN, batches: [followerOf(stranger, 'follower-orphan', stranger.at)] },
        { chain: CHAIN, batches: [copied] },
        { chain: 'registers', batches: [followerOf(leader, 'follower-elsewhere', stranger.at)] },
      ]);
      const rows = (await engine.rows()).slice(-3);
      expect(rows.map((r) => [r.repeats, r.records === '[]'])).toEqual([
        [null, false],
        [null, false],
        [null, false],
      ]);
      expect((await engine.store.verify(CHAIN)).broken).toBeNull();
      expect((await engine.store.verify('registers')).broken).toBeNull();
    },
  );

  it.skipIf(!enabled)(
    'never lets a retention purge cut between a batch and a repeat of it it keeps',
    async () => {
      const fresh = await open();
      const early = leaderBatch('2026-11-01T10:00:00.000Z');
      const straddling = leaderBatch('2026-11-10T23:59:59.999Z');
      await fresh.store.appendAll([
        { chain: CHAIN, batches: [early] },
        {
          chain: CHAIN,
          batches: [followerOf(early, 'early-follower', '2026-11-01T10:00:00.001Z')],
        },
        { chain: CHAIN, batches: [straddling] },
      ]);
      await fresh.store.appendAll([
        {
          chain: CHAIN,
          batches: [followerOf(straddling, 'late-follower', '2026-11-11T00:00:00.001Z')],
        },
      ]);
      // The cut by age would fall after `straddling` (seq 9) and before its repeat: it moves back
      // before `straddling`, keeping it for the repeat that needs it.
      expect(await fresh.store.purge('2026-11-11T00:00:00.000Z')).toEqual([
        { chain: CHAIN, deleted: 6 },
      ]);
      expect(await fresh.store.verify(CHAIN)).toEqual({ chain: CHAIN, records: 6, broken: null });
      const left = await fresh.store.query({ patronId: 'pat_a' }, 10, null);
      expect(left.records.map((r) => r.requestId)).toEqual(['late-follower', 'leader']);
      // Once the repeat is old enough too, both go.
      expect(await fresh.store.purge('2026-11-12T00:00:00.000Z')).toEqual([
        { chain: CHAIN, deleted: 6 },
      ]);
      expect((await fresh.store.query({}, 10, null)).records).toEqual([]);
    },
  );

  it.skipIf(!enabled)(
    'audit:verify names a repeat that was changed, or the batch it names',
    async () => {
      const fresh = await open();
      const batch = leaderBatch();
      await fresh.store.appendAll([
        { chain: CHAIN, batches: [batch] },
        { chain: CHAIN, batches: [followerOf(batch, 'follower', '2026-11-20T10:00:00.004Z')] },
      ]);
      await fresh.tamper(
        "update audit_batches set request_id = 'someone-else' where request_id = 'follower'",
      );
      expect((await fresh.store.verify(CHAIN)).broken).toEqual({
        seq: 4,
        problem: 'its content does not match its hash',
      });
      await fresh.tamper("update audit_batches set request_id = 'follower' where first_seq = 4");
      expect((await fresh.store.verify(CHAIN)).broken).toBeNull();
      // Pointing the repeat at another batch (here, itself) breaks it too.
      await fresh.tamper('update audit_batches set repeats = 4 where first_seq = 4');
      expect((await fresh.store.verify(CHAIN)).broken).toEqual({
        seq: 4,
        problem: 'it repeats a batch of records that is not in the chain before it',
      });
    },
  );
});
