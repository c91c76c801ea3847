import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, openSqlite, type PostgresDatabase } from '../../../src/db/open.js';
import { loadConfig } from '../../../src/config/env.js';
import {
  Anchorer,
  checkAnchors,
  FileAnchorSink,
  readAnchors,
} from '../../../src/privacy/audit/store/anchor.js';
import { AuditStore, type AuditCursor } from '../../../src/privacy/audit/store/auditStore.js';
import {
  auditMigrations,
  type AuditTables,
  type PostgresAuditTables,
} from '../../../src/privacy/audit/store/migrations.js';
import { PostgresAuditStore } from '../../../src/privacy/audit/store/postgresAuditStore.js';
import { PostgresAuditWriter } from '../../../src/privacy/audit/store/postgresAuditWriter.js';
import { batchesOf, toWire, type DisclosureEntry } from '../../../src/privacy/audit/record.js';
import { REPO_ROOT } from '../../../src/subgraph/service.js';
import { createTestPostgresDatabase, TEST_ON_POSTGRES } from '../../support/database.js';
import { admin } from '../../support/postgresTemplate.js';

/**
 * The disclosure audit on PostgreSQL (AUDIT_DATABASE_URL): replicas on several hosts append to the
 * same chains at once and every chain still verifies; a patron's log comes from a B-tree; purge,
 * checkpoints, anchors and tamper evidence answer as on SQLite. Runs under `npm run test:postgres`.
 */
const KEY = 'k'.repeat(40);
const run = promisify(execFile);

const entry = (
  n: number,
  patronId = `pat_${n % 5}`,
  at = `2026-11-${String(1 + (n % 27)).padStart(2, '0')}T10:00:00.000Z`,
): DisclosureEntry => ({
  at,
  requestId: `req-${n}`,
  principal: n % 2 ? 'staff:desk' : 'staff:back',
  roles: ['staff'],
  exception: n % 3 ? 'OPERATIONS' : 'CONSENT',
  patronId,
  fields: ['Patron.email', 'Patron.name'],
  reference: n % 3 ? null : `consent-${n}`,
  purpose: null,
});

describe.skipIf(!TEST_ON_POSTGRES)('the audit on PostgreSQL', () => {
  let url: string;
  const open: PostgresDatabase<PostgresAuditTables>[] = [];
  let schemas = 0;
  /** A replica's own connection pool to the audit in `schema`. */
  const replica = async (schema: string) => {
    const database = await openPostgres<PostgresAuditTables>(url, schema, auditMigrations);
    open.push(database);
    return { database, store: new PostgresAuditStore(database, KEY) };
  };
  const fresh = () => replica(`audit_t${++schemas}`);
  /** As someone with the table owner's rights: the triggers do not stop them. */
  const asAttacker = async (
    database: PostgresDatabase<PostgresAuditTables>,
    statement: ReturnType<typeof sql>,
  ) => {
    await sql`alter table audit_batches disable trigger user`.execute(database.db);
    await sql`alter table audit_subjects disable trigger user`.execute(database.db);
    await statement.execute(database.db);
    await sql`alter table audit_batches enable trigger user`.execute(database.db);
  };

  beforeAll(async () => {
    url = await createTestPostgresDatabase();
  });
  afterAll(async () => {
    for (const database of open) await database.close();
  });

  it('commits wait for the disk even where the server is told not to (synchronous_commit off for the database)', async () => {
    const name = new URL(url).pathname.slice(1);
    await admin((client) => client.query(`ALTER DATABASE ${name} SET synchronous_commit = off`));
    try {
      const { database, store } = await fresh();
      await store.append('circulation', [entry(1)]);
      const setting = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(
        database.db,
      );
      expect(setting.rows[0]!.synchronous_commit).toBe('on');
    } finally {
      await admin((client) => client.query(`ALTER DATABASE ${name} RESET synchronous_commit`));
    }
  });

  it('attack: three replicas append to the same chains at once; every append commits and every chain verifies, seqs contiguous', async () => {
    const replicas = await Promise.all(
      [1, 2, 3].map(async () => {
        const { database, store } = await replica('audit_race');
        return { database, store, writer: new PostgresAuditWriter(store) };
      }),
    );
    let expected = { circulation: 0, registers: 0 };
    const writes: Promise<void>[] = [];
    for (let n = 0; n < 90; n++) {
      const chain = n % 4 === 0 ? 'registers' : 'circulation';
      const entries = Array.from({ length: 1 + (n % 3) }, (_, i) => entry(n * 10 + i));
      expected = { ...expected, [chain]: expected[chain] + entries.length };
      writes.push(replicas[n % 3]!.writer.append(chain, batchesOf(entries).map(toWire)));
    }
    const outcomes = await Promise.allSettled(writes);
    expect(
      outcomes
        .filter((o) => o.status === 'rejected')
        .map((o) => String((o as PromiseRejectedResult).reason)),
    ).toEqual([]);
    const { store, database } = replicas[0]!;
    expect(await store.verify('circulation')).toEqual({
      chain: 'circulation',
      records: expected.circulation,
      broken: null,
    });
    expect(await store.verify('registers')).toEqual({
      chain: 'registers',
      records: expected.registers,
      broken: null,
    });
    const seqs = await database.db
      .selectFrom('audit_subjects')
      .select('seq')
      .where('chain', '=', 'circulation')
      .orderBy('seq')
      .execute();
    expect(seqs.map((s) => s.seq)).toEqual(
      Array.from({ length: expected.circulation }, (_, i) => i + 1),
    );
    for (const r of replicas) await r.writer.close();
  });

  it('replicas in separate processes append at once, and `audit:verify` passes every chain', async () => {
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      AUDIT_KEY: KEY,
      AUDIT_DATABASE_URL: url,
      AUDIT_ANCHOR_FILE: 'off',
      REQUESTS: '60',
    };
    const outputs = await Promise.all(
      ['a', 'b', 'c'].map((replicaName) =>
        run('npx', ['tsx', 'test/privacy/audit/pgAppender.ts'], {
          cwd: REPO_ROOT,
          env: { ...env, REPLICA: replicaName },
        }),
      ),
    );
    const written = outputs.reduce((n, o) => n + Number(/: (\d+) records/.exec(o.stdout)![1]), 0);
    const { stdout } = await run('npx', ['tsx', 'src/cli/audit.ts', 'verify'], {
      cwd: REPO_ROOT,
      env,
    });
    const counts = [...stdout.matchAll(/chain (\w+): (\d+) records, intact/g)].map((m) =>
      Number(m[2]),
    );
    expect(stdout).not.toMatch(/BROKEN/);
    expect(counts).toHaveLength(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(written);
  }, 120_000);

  it("a patron's log, its pages and the custodian's filters answer as on SQLite", async () => {
    const { store } = await fresh();
    const sqlite = new AuditStore(await openSqlite<AuditTables>(':memory:', auditMigrations), KEY);
    for (let n = 1; n <= 60; n++) {
      const entries = [entry(n), entry(n + 1000, `pat_${(n + 2) % 5}`)];
      await store.append(n % 2 ? 'circulation' : 'events', entries);
      sqlite.append(n % 2 ? 'circulation' : 'events', entries);
    }
    const pages = async (
      log: AuditStore | PostgresAuditStore,
      filter: Parameters<AuditStore['query']>[0],
    ) => {
      const all: unknown[] = [];
      let after: AuditCursor | null = null;
      for (;;) {
        const page: Awaited<ReturnType<AuditStore['query']>> = await log.query(filter, 7, after);
        all.push(...page.records);
        if (!page.more) return all;
        after = page.cursors[page.cursors.length - 1]!;
      }
    };
    for (const filter of [
      { patronId: 'pat_3' },
      { patronId: 'pat_3', exception: 'CONSENT' },
      { principal: 'staff:desk' },
      { from: '2026-11-10', to: '2026-11-20' },
      { patronId: 'nobody' },
    ]) {
      const mine = await pages(store, filter);
      expect(mine).toEqual(await pages(sqlite, filter));
    }
    const own = await pages(store, { patronId: 'pat_3' });
    expect(own.length).toBeGreaterThan(10);
    expect(own.every((r) => (r as { patronId: string }).patronId === 'pat_3')).toBe(true);
    const keep = (r: { exception: string }) => r.exception !== 'CONSENT';
    expect(await store.forPatrons(['pat_1', 'pat_4', 'nobody'], 5, keep)).toEqual(
      await sqlite.forPatrons(['pat_1', 'pat_4', 'nobody'], 5, keep),
    );
  });

  it("the patron's log is read through the B-tree on (patron_id, batch_id, idx), not by scanning the audit (1,000 records)", async () => {
    const { database, store } = await fresh();
    for (let n = 0; n < 40; n++)
      await store.append(
        'circulation',
        Array.from({ length: 25 }, (_, i) => entry(n * 25 + i, `pat_${(n * 25 + i) % 200}`)),
      );
    await sql`analyze`.execute(database.db);
    const { rows } = await sql<{
      'QUERY PLAN': string;
    }>`explain select batch_id, idx from audit_subjects
      where patron_id = ${'pat_1'} order by batch_id desc, idx desc limit 10`.execute(database.db);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index (Only )?Scan( Backward)? (using|on) audit_subjects_pkey/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it("purge leaves a signed cut: the rest verifies, anchors still check, purged records leave the patron's log, and the chain goes on", async () => {
    const { store, database } = await fresh();
    for (let n = 1; n <= 20; n++)
      await store.append('circulation', [
        entry(n, 'pat_1', `2026-0${n <= 10 ? 1 : 6}-${String(n).padStart(2, '0')}T10:00:00.000Z`),
      ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-pg-'));
    const anchorer = new Anchorer(store, new FileAnchorSink(path.join(dir, 'anchors.jsonl')), KEY);
    expect((await anchorer.anchor()).map((a) => [a.chain, a.seq])).toEqual([['circulation', 20]]);
    expect(await store.purge('2026-03-01T00:00:00.000Z')).toEqual([
      { chain: 'circulation', deleted: 10 },
    ]);
    expect(await store.verify('circulation')).toEqual({
      chain: 'circulation',
      records: 10,
      broken: null,
    });
    expect(await database.db.selectFrom('audit_checkpoints').select(['seq']).execute()).toEqual([
      { seq: 10 },
    ]);
    const log = (await store.query({ patronId: 'pat_1' }, 100, null)).records.map((r) => r.seq);
    expect(log).toEqual([20, 19, 18, 17, 16, 15, 14, 13, 12, 11]);
    expect(await store.at('circulation', 10)).toMatchObject({ kind: 'purged' });
    await store.append('circulation', [entry(21, 'pat_1')]);
    expect(await store.verify('circulation')).toEqual({
      chain: 'circulation',
      records: 11,
      broken: null,
    });
    expect(
      await checkAnchors(store, readAnchors(path.join(dir, 'anchors.jsonl'), KEY).anchors),
    ).toEqual([]);

    // Truncation: the newest records deleted by someone who can drop the triggers.
    await anchorer.anchor();
    await asAttacker(
      database,
      sql`delete from audit_batches where chain = 'circulation' and first_seq >= 19`,
    );
    expect(await store.verify('circulation')).toMatchObject({
      broken: { problem: 'the patron index files a record that is not in the chain' },
    });
    expect(
      (await checkAnchors(store, readAnchors(path.join(dir, 'anchors.jsonl'), KEY).anchors))[0]
        ?.problem,
    ).toMatch(/names record 21, but the chain ends at record 18/);
  });

  it('refuses updates, deletes and truncation; names an edited record and a record filed under another patron', async () => {
    const { store, database } = await fresh();
    for (let n = 1; n <= 8; n++) await store.append('circulation', [entry(n, `pat_${n}`)]);
    await expect(
      sql`update audit_batches set principal = 'x' where first_seq = 3`.execute(database.db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from audit_batches where first_seq = 3`.execute(database.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_batches cascade`.execute(database.db)).rejects.toThrow(
      /append-only/,
    );
    expect(await store.verify('circulation')).toEqual({
      chain: 'circulation',
      records: 8,
      broken: null,
    });

    await asAttacker(
      database,
      sql`update audit_subjects set patron_id = 'pat_7' where chain = 'circulation' and seq = 5`,
    );
    expect((await store.verify('circulation')).broken).toEqual({
      seq: 5,
      problem: 'it is missing from the patron index, so its patron would not see it',
    });
    // pat_7 is not shown pat_5's record, whatever the index says.
    expect(
      (await store.query({ patronId: 'pat_7' }, 10, null)).records.map((r) => r.patronId),
    ).toEqual(['pat_7']);

    await asAttacker(
      database,
      sql`update audit_batches set principal = 'someone-else' where chain = 'circulation' and first_seq = 4`,
    );
    expect((await store.verify('circulation')).broken).toEqual({
      seq: 4,
      problem: 'its content does not match its hash',
    });
  });

  it('`audit copy-to-postgres` moves a SQLite audit (its cuts too) as it is: it verifies there and patrons keep their logs; only into an empty audit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-copy-'));
    const source = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
    const sqlite = new AuditStore(source, KEY);
    for (let n = 1; n <= 30; n++) {
      const at = n <= 10 ? '2026-10-01T10:00:00.000Z' : '2026-11-20T10:00:00.000Z';
      sqlite.append(n % 3 ? 'circulation' : 'registers', [
        entry(n, `pat_${n % 5}`, at),
        entry(n + 500, `pat_${(n + 1) % 5}`, at),
      ]);
    }
    sqlite.purge('2026-11-01T00:00:00.000Z');
    // A request answered with another's execution: its batch is a repeat of the other's.
    const led = toWire(batchesOf([entry(40, 'pat_2'), entry(40, 'pat_3')])[0]!);
    sqlite.appendAll([
      { chain: 'circulation', batches: [led] },
      { chain: 'circulation', batches: [{ ...led, requestId: 'req-40-shared', repeats: led }] },
    ]);
    const before = await sqlite.query({ patronId: 'pat_2' }, 100, null);
    expect(before.records[0]).toMatchObject({ requestId: 'req-40-shared', patronId: 'pat_2' });
    await source.close();
    // A database of its own: the CLI's schema `audit` of this file's database holds the process test's chains.
    const copyUrl = await createTestPostgresDatabase();
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      AUDIT_KEY: KEY,
      AUDIT_DATABASE_URL: copyUrl,
      AUDIT_ANCHOR_FILE: 'off',
    };
    const copy = () =>
      run('npx', ['tsx', 'src/cli/audit.ts', 'copy-to-postgres', '--data-dir', dir], {
        cwd: REPO_ROOT,
        env,
      });
    const { stdout } = await copy();
    expect(stdout).toMatch(/chain circulation: \d+ records, intact on PostgreSQL/);
    expect(stdout).not.toMatch(/BROKEN/);
    const target = await openPostgres<PostgresAuditTables>(copyUrl, 'audit', auditMigrations);
    open.push(target);
    const store = new PostgresAuditStore(target, KEY);
    expect(before.records.length).toBeGreaterThan(3);
    expect(
      (await target.db.selectFrom('audit_checkpoints').select('seq').execute()).length,
    ).toBeGreaterThan(0);
    expect(await store.query({ patronId: 'pat_2' }, 100, null)).toMatchObject({
      records: before.records,
    });
    expect(
      await target.db
        .selectFrom('audit_batches')
        .select('request_id')
        .where('repeats', 'is not', null)
        .execute(),
    ).toEqual([{ request_id: 'req-40-shared' }]);
    expect((await store.verify('circulation')).broken).toBeNull();
    expect((await store.verify('registers')).broken).toBeNull();
    await expect(copy()).rejects.toMatchObject({
      stderr: expect.stringMatching(/already holds records/) as unknown,
    });
  }, 120_000);

  it('fails closed: a write the audit refuses rejects (the caller redacts) and leaves no record', async () => {
    const { store, database } = await fresh();
    const writer = new PostgresAuditWriter(store);
    await sql`create function audit_outage() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`.execute(
      database.db,
    );
    await sql`create trigger audit_outage before insert on audit_subjects for each row execute function audit_outage()`.execute(
      database.db,
    );
    const wire = batchesOf([entry(1), entry(2)]).map(toWire);
    await expect(writer.append('circulation', wire)).rejects.toThrow(/disk full/);
    expect(writer.state).toBe('failed');
    expect(await database.db.selectFrom('audit_batches').select('id').execute()).toEqual([]);
    await sql`drop trigger audit_outage on audit_subjects`.execute(database.db);
    await writer.append('circulation', wire);
    expect(writer.state).toBe('ready');
    await expect(writer.ensureReady()).resolves.toBeUndefined();
    expect(await store.verify('circulation')).toEqual({
      chain: 'circulation',
      records: 2,
      broken: null,
    });
    await writer.close();
    await expect(writer.append('circulation', wire)).rejects.toThrow(/closed/);
    await expect(writer.ensureReady()).rejects.toThrow(/closed/);
  });
});

describe("the audit's PostgreSQL configuration", () => {
  it('DATABASE_URL puts the audit in schema `audit`, AUDIT_DATABASE_URL elsewhere; neither keeps its SQLite file', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).audit.postgres).toBeNull();
    expect(
      loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://db/library' }).audit.postgres,
    ).toEqual({ url: 'postgres://db/library', schema: 'audit', poolSize: 10 });
    expect(
      loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: 'postgres://db/library',
        AUDIT_DATABASE_URL: 'postgres://audit/log',
      }).audit.postgres,
    ).toEqual({ url: 'postgres://audit/log', schema: 'audit', poolSize: 10 });
    expect(
      loadConfig({ NODE_ENV: 'test', AUDIT_DATABASE_URL: 'postgres://db/library' }).audit.postgres,
    ).toEqual({ url: 'postgres://db/library', schema: 'audit', poolSize: 10 });
    expect(() => loadConfig({ NODE_ENV: 'test', AUDIT_DATABASE_URL: 'data/audit.db' })).toThrow(
      /AUDIT_DATABASE_URL/,
    );
  });
});
