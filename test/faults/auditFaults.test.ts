import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS } from '../../src/dev/personas.js';
import { DATABASE_BUSY_MESSAGE } from '../../src/errors/mask.js';
import { AuditStore } from '../../src/privacy/audit/store/auditStore.js';
import { startSplitGraph, type SplitGraph } from './support/splitGraph.js';
import { sqliteAudit } from '../../src/privacy/audit/store/migrations.js';

/**
 * The disclosure audit failing in the ways a disk fails: full, read-only, locked by another
 * writer. Each time the values that would have been disclosed are redacted and the failure is
 * counted in /metrics (fail closed), the rest of the answer is served, and once the disk is back
 * nothing recorded before is lost and the chain still verifies.
 */
const { patron } = PERSONA_PATRONS;
const NAME_AND_EMAIL = `{ patron(id: "${patron.id}") { name email } work(id: "wk_7") { title } }`;

/** The scraper's token: /metrics is served to it alone. */
const METRICS_TOKEN = 'metrics-scraper-token-for-the-audit-fault-tests';

async function auditFailures(g: SplitGraph): Promise<number> {
  const url = g.services.circulation.urls.circulation!.replace(/\/graphql$/, '/metrics');
  const text = await (
    await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  return Number(
    /library_privacy_audit_failures_total\{service="circulation"\} (\d+)/.exec(text)?.[1],
  );
}

/** Asks for the patron's name and email as circulation staff, under a request id. */
const ask = (g: SplitGraph, requestId: string) =>
  g.query('circulation-staff', NAME_AND_EMAIL, { 'x-request-id': requestId });

/** Disclosed, or redacted with only the confidential part missing. */
function expectDisclosed(res: Awaited<ReturnType<typeof ask>>): void {
  expect(res.errors).toBeUndefined();
  expect(res.data!.patron).toEqual({ name: patron.name, email: patron.email });
}
function expectRedacted(res: Awaited<ReturnType<typeof ask>>): void {
  expect(res.status).toBe(200);
  expect(res.data!.patron).toBeNull();
  expect((res.data!.work as { title: string }).title).toBeTruthy();
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['PRIVACY_REDACTED']);
  expect(res.text).not.toContain(patron.email);
  expect(res.text).not.toContain(patron.name);
}

/** The request ids the audit recorded for the patron, read from the file, and whether the chain holds. */
function audited(g: SplitGraph): { requestIds: string[]; intact: boolean } {
  const store = new AuditStore(
    sqliteAudit(g.services.circulation.databases!.audit),
    g.config.audit.key,
  );
  const verdict = store.verify('circulation');
  const db = new SQLite(path.join(g.dataDir, 'audit.db'), { readonly: true });
  try {
    const rows = db.prepare('select request_id from audit_batches').all() as {
      request_id: string;
    }[];
    return { requestIds: rows.map((r) => r.request_id), intact: verdict.broken === null };
  } finally {
    db.close();
  }
}

/** Mounts a tmpfs of `size` at `dir`; false where the test may not (not Linux, not root). */
function mountTmpfs(dir: string, size: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

/** Whether this machine lets the test mount a small filesystem (Linux as root, as in CI): tried once and undone. */
function canMount(): boolean {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'mount-probe-'));
  const mounted = mountTmpfs(probe, '1m');
  if (mounted) spawnSync('umount', [probe]);
  fs.rmSync(probe, { recursive: true, force: true });
  return mounted;
}

describe.skipIf(!canMount())('audit database full (a 64 MB filesystem, filled)', () => {
  let g: SplitGraph;
  let fullDir = '';
  let nonceDir = '';
  beforeAll(async () => {
    fullDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-full-'));
    expect(mountTmpfs(fullDir, '64m')).toBe(true);
    // The signature nonces live on another disk here, so that only the audit's disk is full: a full
    // nonce store refuses every signed call instead (the caller then sees SERVICE_UNAVAILABLE).
    nonceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-full-nonces-'));
    g = await startSplitGraph({
      dataDir: fullDir,
      env: { METRICS_TOKEN, NONCE_STORE_FILE: path.join(nonceDir, 'nonces.db') },
    });
  });
  afterAll(async () => {
    await g?.stop();
    if (!fullDir) return;
    spawnSync('umount', ['-l', fullDir]);
    fs.rmSync(fullDir, { recursive: true, force: true });
    if (nonceDir) fs.rmSync(nonceDir, { recursive: true, force: true });
  });

  it('redacts what it cannot record, counts it, and records again once there is room', async () => {
    expectDisclosed(await ask(g, 'full-before'));
    const failuresBefore = await auditFailures(g);

    // Fill the disk to the last byte.
    const filler = path.join(fullDir, 'filler');
    const fd = fs.openSync(filler, 'w');
    for (const chunk of [1 << 20, 1 << 12, 1]) {
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(chunk));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
    }
    fs.closeSync(fd);

    for (const id of ['full-1', 'full-2']) expectRedacted(await ask(g, id));
    expect(await auditFailures(g)).toBe(failuresBefore + 2);

    fs.rmSync(filler);
    expectDisclosed(await ask(g, 'full-after'));
    const { requestIds, intact } = audited(g);
    expect(requestIds).toEqual(expect.arrayContaining(['full-before', 'full-after']));
    expect(requestIds).not.toContain('full-1');
    expect(intact).toBe(true);
  });
});

describe('audit database read-only', () => {
  let g: SplitGraph;
  const isRoot = process.getuid?.() === 0;
  // Root writes through file modes; the immutable attribute stops it too.
  const protect = (file: string, on: boolean) =>
    isRoot
      ? spawnSync('chattr', [on ? '+i' : '-i', file]).status === 0
      : (fs.chmodSync(file, on ? 0o444 : 0o644), true);
  let auditFile = '';
  beforeAll(async () => {
    g = await startSplitGraph({
      env: { METRICS_TOKEN },
      beforeStart: (dataDir) => {
        auditFile = path.join(dataDir, 'audit.db');
        expect(protect(auditFile, true), 'could not make audit.db read-only').toBe(true);
      },
    });
  });
  afterAll(async () => {
    if (auditFile) protect(auditFile, false);
    await g?.stop();
  });

  it('redacts every disclosed value and counts each failure; SELF and public data are still served', async () => {
    for (const id of ['ro-1', 'ro-2']) expectRedacted(await ask(g, id));
    expect(await auditFailures(g)).toBe(2);
    const listed = await g.query(
      'circulation-staff',
      '{ loans(first: 10, status: OPEN) { nodes { id patron { name } } } }',
    );
    const nodes = (listed.data!.loans as { nodes: { id: string; patron: unknown }[] }).nodes;
    expect(nodes.length).toBe(10);
    expect(nodes.every((n) => n.patron === null)).toBe(true);
    expect(await auditFailures(g)).toBe(3);
    expect((await g.query('patron', '{ me { name } }')).data).toEqual({
      me: { name: patron.name },
    });
  });
});

describe('audit database busy (another connection holds the write lock)', () => {
  let g: SplitGraph;
  let holder: SQLite.Database;
  beforeAll(async () => {
    // The audit writer gives up after 10 s; the gateway's deadline must not answer first.
    g = await startSplitGraph({ env: { METRICS_TOKEN, REQUEST_DEADLINE_MS: '30000' } });
    holder = new SQLite(path.join(g.dataDir, 'audit.db'));
  });
  afterAll(async () => {
    holder?.close();
    await g?.stop();
  });

  it('waits out a short lock and records; past the busy timeout redacts, counts, and loses nothing', async () => {
    const failuresBefore = await auditFailures(g);
    // A short hold: the write waits for the lock, then the answer is disclosed and recorded.
    holder.exec('begin immediate');
    const waiting = ask(g, 'busy-short');
    setTimeout(() => holder.exec('rollback'), 1000);
    expectDisclosed(await waiting);

    // Longer than SQLite's busy timeout (5 s): the write fails, the values are redacted.
    holder.exec('begin immediate');
    const started = Date.now();
    const redacted = await ask(g, 'busy-long').finally(() => holder.exec('rollback'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
    expectRedacted(redacted);
    expect(await auditFailures(g)).toBe(failuresBefore + 1);

    expectDisclosed(await ask(g, 'busy-after'));
    const { requestIds, intact } = audited(g);
    // Nothing recorded is lost. (The long write may still commit after its deadline: the audit then
    // shows a disclosure that was redacted, never the other way round.)
    expect(requestIds).toEqual(expect.arrayContaining(['busy-short', 'busy-after']));
    expect(intact).toBe(true);
  }, 30_000);
});

describe('circulation database busy', () => {
  let g: SplitGraph;
  let holder: SQLite.Database;
  beforeAll(async () => {
    g = await startSplitGraph({ env: { METRICS_TOKEN } });
    holder = new SQLite(path.join(g.dataDir, 'circulation.db'));
  });
  afterAll(async () => {
    holder?.close();
    await g?.stop();
  });

  it('a checkout that cannot get the write lock fails with a clear error and changes nothing; it succeeds once the lock is free', async () => {
    const checkout = `mutation { checkout(itemId: "it_42", cardNumber: "${patron.cardNumber}") { id dueAt } }`;
    const availability = async () =>
      (
        (await g.query('anonymous', '{ item(id: "it_42") { availability } }')).data!.item as {
          availability: string;
        }
      ).availability;
    const before = await availability();
    holder.exec('begin immediate');
    const refused = await g
      .query('circulation-staff', checkout)
      .finally(() => holder.exec('rollback'));
    expect(refused.status).toBe(200);
    expect(refused.data).toBeNull();
    expect(refused.errors).toEqual([
      {
        message: DATABASE_BUSY_MESSAGE,
        path: ['checkout'],
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      },
    ]);
    expect(await availability()).toBe(before);

    const done = await g.query('circulation-staff', checkout);
    expect(done.errors).toBeUndefined();
    expect(await availability()).toBe('ON_LOAN');
  }, 30_000);
});
