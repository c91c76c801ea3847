import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../src/db/open.js';
import { AuditStore } from '../../../src/privacy/audit/store/auditStore.js';
import { auditMigrations, type AuditTables } from '../../../src/privacy/audit/store/migrations.js';
import type { DisclosureEntry } from '../../../src/privacy/audit/record.js';
import { REPO_ROOT } from '../../../src/subgraph/service.js';

/** The audit's tamper evidence: each kind of tampering is named at the record where it starts. */
const KEY = 'k'.repeat(40);
let dir: string;
let db: SqliteDatabase<AuditTables>;
let store: AuditStore;

const entry = (
  n: number,
  at = `2026-11-${String(1 + (n % 27)).padStart(2, '0')}T10:00:00.000Z`,
): DisclosureEntry => ({
  at,
  requestId: `req-${n}`,
  principal: 'staff:desk',
  roles: ['staff'],
  exception: 'OPERATIONS',
  patronId: `pat_${n}`,
  fields: ['Patron.email', 'Patron.name'],
  reference: null,
  purpose: null,
});

/** What someone with write access to the file could do: the triggers do not stop them. */
const asAttacker = (statement: string, ...params: unknown[]) => {
  db.sqlite.exec('drop trigger if exists audit_no_update; drop trigger if exists audit_no_delete;');
  db.sqlite.prepare(statement).run(...params);
};

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-'));
  db = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
  store = new AuditStore(db, KEY);
  for (let n = 1; n <= 10; n++) store.append('circulation', [entry(n)]);
  store.append('events', [entry(100), entry(101)]);
});

describe('the hash chains', () => {
  it('verify intact, one chain per subgraph', () => {
    expect(store.verify('circulation')).toEqual({
      chain: 'circulation',
      records: 10,
      broken: null,
    });
    expect(store.verify('events')).toEqual({ chain: 'events', records: 2, broken: null });
  });

  it('refuse updates and deletes through SQL (append-only triggers)', () => {
    expect(() =>
      db.sqlite.prepare("update audit_batches set principal = 'x' where first_seq = 3").run(),
    ).toThrow(/append-only/);
    expect(() => db.sqlite.prepare('delete from audit_batches where first_seq = 3').run()).toThrow(
      /append-only/,
    );
  });

  it('name an edited record', () => {
    asAttacker(
      "update audit_batches set principal = 'someone-else' where chain = 'circulation' and first_seq = 4",
    );
    expect(store.verify('circulation').broken).toEqual({
      seq: 4,
      problem: 'its content does not match its hash',
    });
  });

  it('name a deleted record', () => {
    asAttacker("delete from audit_batches where chain = 'circulation' and first_seq = 6");
    expect(store.verify('circulation').broken).toEqual({
      seq: 7,
      problem: 'record 6 is missing (next is 7)',
    });
  });

  it('name reordered records', () => {
    const move = (from: number, to: number) =>
      asAttacker(
        'update audit_batches set first_seq = ?, last_seq = ? where chain = ? and first_seq = ?',
        to,
        to,
        'circulation',
        from,
      );
    move(5, -1);
    move(8, 5);
    move(-1, 8);
    expect(store.verify('circulation').broken).toEqual({
      seq: 5,
      problem: 'its previous-hash does not match the record before it',
    });
  });

  it('name a record rewritten with a recomputed hash (the next link breaks)', () => {
    asAttacker(`update audit_batches set records = json_replace(records, '$[0][0]', 'pat_x', '$[0][2]', 'f'||substr(hash, 2)), hash = 'f'||substr(hash, 2)
      where chain = 'circulation' and first_seq = 2`);
    expect(store.verify('circulation').broken?.seq).toBe(2);
  });
});

describe('retention of the audit', () => {
  it('purges old records and the rest still verifies from a signed checkpoint', () => {
    const results = store.purge('2026-11-06T00:00:00.000Z');
    expect(results.find((r) => r.chain === 'circulation')!.deleted).toBe(4);
    expect(store.verify('circulation')).toEqual({ chain: 'circulation', records: 6, broken: null });
    store.append('circulation', [entry(11)]);
    expect(store.verify('circulation')).toEqual({ chain: 'circulation', records: 7, broken: null });
  });

  it('detects a forged or moved checkpoint', () => {
    store.purge('2026-11-06T00:00:00.000Z');
    db.sqlite.exec('drop trigger audit_checkpoints_no_update');
    db.sqlite
      .prepare("update audit_checkpoints set seq = seq + 1 where chain = 'circulation'")
      .run();
    expect(store.verify('circulation').broken?.problem).toBe(
      'checkpoint signature does not verify',
    );
  });

  it('cannot be verified with another key (the checkpoint is signed)', () => {
    store.purge('2026-11-06T00:00:00.000Z');
    expect(new AuditStore(db, 'x'.repeat(40)).verify('circulation').broken?.problem).toBe(
      'checkpoint signature does not verify',
    );
  });
});

describe('npm run audit:verify', () => {
  const verify = () => {
    try {
      return {
        code: 0,
        out: execFileSync('npx', ['tsx', 'src/cli/audit.ts', 'verify', '--data-dir', dir], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          env: { ...process.env, NODE_ENV: 'test', AUDIT_ANCHOR_FILE: 'off' },
        }),
      };
    } catch (error) {
      const e = error as { status: number; stdout: string };
      return { code: e.status, out: e.stdout };
    }
  };

  it('passes on intact chains and fails, naming the first broken link, on a tampered one', async () => {
    // The CLI signs checkpoints with the configured key; with no purge, the key is not involved.
    await db.close();
    const intact = verify();
    expect(intact.code).toBe(0);
    expect(intact.out).toContain(
      'chain circulation: 10 records, intact\nchain events: 2 records, intact\n',
    );
    db = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
    asAttacker(
      "update audit_batches set records = json_replace(records, '$[0][1]', json('[]')) where chain = 'events' and first_seq = 2",
    );
    await db.close();
    const result = verify();
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      'chain events: BROKEN at record 2: its content does not match its hash',
    );
  }, 60_000);
});
