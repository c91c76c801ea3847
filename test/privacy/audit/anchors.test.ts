import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../src/db/open.js';
import { createLogger } from '../../../src/log/logger.js';
import {
  Anchorer,
  checkAnchors,
  FileAnchorSink,
  readAnchors,
  startAnchoring,
} from '../../../src/privacy/audit/store/anchor.js';
import { AuditStore } from '../../../src/privacy/audit/store/auditStore.js';
import { auditMigrations, type AuditTables } from '../../../src/privacy/audit/store/migrations.js';
import type { DisclosureEntry } from '../../../src/privacy/audit/record.js';
import { REPO_ROOT } from '../../../src/subgraph/service.js';
import { DEV_JWT_SECRET } from '../../../src/config/env.js';

/**
 * Anchors: signed chain heads written outside the audit. The attack: delete a chain's newest
 * records, bypassing the append-only triggers. The shorter chain still holds together, so the
 * chain walk alone says "intact"; the anchors name the truncation.
 */
// The key the CLI derives in development (AUDIT_KEY unset), so both sign alike.
const KEY = `${DEV_JWT_SECRET}:audit-checkpoints`;
let dir: string;
let anchorFile: string;
let db: SqliteDatabase<AuditTables>;
let store: AuditStore;
let anchorer: Anchorer;

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
  fields: ['Patron.name'],
  reference: null,
  purpose: null,
});

/** Deletes a chain's newest records as someone with write access to the file would: the triggers do not stop them. */
const truncate = (chain: string, fromSeq: number) => {
  db.sqlite.exec('update audit_gate set open = 1');
  db.sqlite
    .prepare('delete from audit_batches where chain = ? and first_seq >= ?')
    .run(chain, fromSeq);
  db.sqlite.exec('update audit_gate set open = 0');
};

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anchors-'));
  anchorFile = path.join(dir, 'elsewhere', 'anchors.jsonl');
  db = await openSqlite<AuditTables>(path.join(dir, 'audit.db'), auditMigrations);
  store = new AuditStore(db, KEY);
  anchorer = new Anchorer(store, new FileAnchorSink(anchorFile), KEY);
  for (let n = 1; n <= 10; n++) store.append('circulation', [entry(n)]);
  store.append('events', [entry(100), entry(101)]);
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('anchoring the chain heads', () => {
  it('writes each chain head signed, and again only when it moved', async () => {
    expect((await anchorer.anchor()).map((a) => [a.chain, a.seq])).toEqual([
      ['circulation', 10],
      ['events', 2],
    ]);
    expect(await anchorer.anchor()).toEqual([]);
    store.append('circulation', [entry(11)]);
    expect((await anchorer.anchor()).map((a) => [a.chain, a.seq])).toEqual([['circulation', 11]]);
    const { anchors, problems } = readAnchors(anchorFile, KEY);
    expect(problems).toEqual([]);
    expect(anchors).toHaveLength(3);
  });

  it('runs periodically and once more on stop', async () => {
    const running = startAnchoring(anchorer, 20, createLogger('test', 'silent'));
    store.append('events', [entry(102)]);
    await expect
      .poll(
        () =>
          readAnchors(anchorFile, KEY)
            .anchors.filter((a) => a.chain === 'events')
            .map((a) => a.seq),
        { timeout: 15_000, interval: 20 },
      )
      .toEqual([2, 3]);
    store.append('events', [entry(103)]);
    await running.stop();
    expect(
      readAnchors(anchorFile, KEY)
        .anchors.filter((a) => a.chain === 'events')
        .map((a) => a.seq),
    ).toEqual([2, 3, 4]);
  });
});

describe('verifying against the anchors', () => {
  it('attack: the newest records deleted; the chain walk still holds, the anchors name the truncation', async () => {
    await anchorer.anchor();
    truncate('circulation', 8);
    expect(store.verify('circulation')).toEqual({ chain: 'circulation', records: 7, broken: null });
    expect(await checkAnchors(store, readAnchors(anchorFile, KEY).anchors)).toEqual([
      {
        chain: 'circulation',
        problem: expect.stringMatching(
          /^truncated: the anchor of .* names record 10, but the chain ends at record 7/,
        ) as unknown,
      },
    ]);
  });

  it('a chain deleted whole is truncated too; new records written over the cut do not hide it', async () => {
    await anchorer.anchor();
    truncate('events', 1);
    expect((await checkAnchors(store, readAnchors(anchorFile, KEY).anchors))[0]?.problem).toMatch(
      /names record 2, but the chain ends at record 0/,
    );
    truncate('circulation', 9);
    store.append('circulation', [entry(50), entry(51)]);
    expect(await checkAnchors(store, readAnchors(anchorFile, KEY).anchors)).toContainEqual({
      chain: 'circulation',
      problem: expect.stringMatching(/^record 10 does not match its anchor/) as unknown,
    });
  });

  it('passes on intact chains and after a retention purge (a signed cut)', async () => {
    await anchorer.anchor();
    store.append('circulation', [entry(12, '2026-12-01T10:00:00.000Z')]);
    await anchorer.anchor();
    store.purge('2026-11-06T00:00:00.000Z');
    expect(await checkAnchors(store, readAnchors(anchorFile, KEY).anchors)).toEqual([]);
  });

  it('attack: the newest records deleted and covered by a fake (unsigned) retention cut; the cut is refused', async () => {
    await anchorer.anchor();
    const head = store.heads().find((h) => h.chain === 'circulation')!;
    truncate('circulation', 8);
    db.sqlite.exec('update audit_gate set open = 1');
    db.sqlite
      .prepare(
        'insert into audit_checkpoints (chain, seq, hash, at, signature) values (?, ?, ?, ?, ?)',
      )
      .run('circulation', 10, head.hash, '2026-11-30T00:00:00.000Z', 'not-a-signature');
    db.sqlite.exec('update audit_gate set open = 0');
    expect(await checkAnchors(store, readAnchors(anchorFile, KEY).anchors)).toEqual([
      {
        chain: 'circulation',
        problem: expect.stringMatching(
          /^record 10 is covered by a retention cut whose signature does not verify/,
        ) as unknown,
      },
    ]);
  });

  it('refuses an anchor line whose signature does not verify', async () => {
    await anchorer.anchor();
    const forged = fs.readFileSync(anchorFile, 'utf8').replace('"seq":10', '"seq":7');
    fs.writeFileSync(anchorFile, forged);
    expect(readAnchors(anchorFile, KEY).problems).toEqual([
      { chain: 'circulation', problem: 'anchor line 1: its signature does not verify' },
    ]);
  });
});

describe('npm run audit:verify -- --anchors', () => {
  /** Runs the CLI with the anchor files given as --anchors, or (`configured`) as AUDIT_ANCHOR_FILE. */
  const verify = (configured = false, files = [anchorFile]) => {
    const { AUDIT_KEY: _unset, ...env } = process.env;
    const args = [
      'tsx',
      'src/cli/audit.ts',
      'verify',
      '--data-dir',
      dir,
      ...(configured ? [] : ['--anchors', ...files]),
    ];
    try {
      return {
        code: 0,
        out: execFileSync('npx', args, {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          env: {
            ...env,
            NODE_ENV: 'test',
            JWT_SECRET: DEV_JWT_SECRET,
            AUDIT_ANCHOR_FILE: anchorFile,
          },
        }),
      };
    } catch (error) {
      const e = error as { status: number; stdout: string };
      return { code: e.status, out: e.stdout };
    }
  };

  it('passes, then fails naming the truncation once the newest records are deleted', async () => {
    await anchorer.anchor();
    const intact = verify();
    expect(intact.out).toContain('2 anchors, all records they name are present');
    expect(intact.code).toBe(0);
    truncate('circulation', 9);
    const result = verify();
    expect(result.code).toBe(1);
    expect(result.out).toContain('chain circulation: 8 records, intact');
    expect(result.out).toMatch(
      /chain circulation: BROKEN: truncated: the anchor of .* names record 10, but the chain ends at record 8/,
    );
  }, 60_000);

  it("checks every replica's anchor file together: the newest anchor of a chain, whoever wrote it, names a truncation", async () => {
    // Two circulation replicas on two hosts, each anchoring to a file of its own; the second
    // anchored after two more records.
    await anchorer.anchor();
    const otherFile = path.join(dir, 'other-host', 'anchors.jsonl');
    for (let n = 11; n <= 12; n++) store.append('circulation', [entry(n)]);
    await new Anchorer(store, new FileAnchorSink(otherFile), KEY).anchor();
    expect(verify(false, [anchorFile, otherFile]).code).toBe(0);
    truncate('circulation', 11);
    // The first replica's file alone cannot see it: its newest anchor names record 10.
    expect(verify(false, [anchorFile]).code).toBe(0);
    const both = verify(false, [anchorFile, otherFile]);
    expect(both.code).toBe(1);
    expect(both.out).toMatch(
      /chain circulation: BROKEN: truncated: the anchor of .* names record 12, but the chain ends at record 10/,
    );
    expect(verify(false, [anchorFile, path.join(dir, 'no-such.jsonl')]).code).toBe(2);
  }, 60_000);

  it('attack: the configured anchor file deleted (or emptied) to hide a truncation is itself broken', async () => {
    await anchorer.anchor();
    expect(verify(true).code).toBe(0);
    truncate('circulation', 9);
    fs.rmSync(anchorFile);
    const deleted = verify(true);
    expect(deleted.code).toBe(1);
    expect(deleted.out).toMatch(
      /anchors .*anchors\.jsonl: BROKEN: the anchor file is missing or empty/,
    );
    fs.writeFileSync(anchorFile, '');
    expect(verify(true).code).toBe(1);
  }, 60_000);
});
