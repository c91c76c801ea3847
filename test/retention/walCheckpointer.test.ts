/**
 * WalCheckpointer (src/db/walCheckpoint.ts): requests within the delay share one checkpoint; a
 * reader in another connection postpones it without blocking, and it completes once the reader
 * is gone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/db/walCheckpoint.js';

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-wal-'));
  db = new Database(path.join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE t (v TEXT)');
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const walSize = () => fs.statSync(path.join(dir, 'x.db-wal')).size;
const write = () => db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(1000));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WalCheckpointer', () => {
  it('coalesces the requests of one delay into one checkpoint, which truncates the WAL', async () => {
    const checkpointer = new WalCheckpointer(db, { delayMs: 100 });
    let runs = 0;
    const checkpointNow = checkpointer.checkpointNow.bind(checkpointer);
    checkpointer.checkpointNow = () => ((runs += 1), checkpointNow());
    for (let i = 0; i < 50; i++) {
      write();
      checkpointer.request();
    }
    expect(walSize()).toBeGreaterThan(0);
    await sleep(50);
    expect(runs).toBe(0);
    await sleep(150);
    expect(runs).toBe(1);
    expect(walSize()).toBe(0);
  });

  it('a reader holding a snapshot postpones the checkpoint without blocking; it completes after', async () => {
    const checkpointer = new WalCheckpointer(db, { delayMs: 20, retryMs: 20 });
    write();
    const reader = new Database(path.join(dir, 'x.db'));
    reader.pragma('busy_timeout = 5000');
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    write();
    const started = Date.now();
    expect(checkpointer.checkpointNow()).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    checkpointer.request();
    await sleep(100);
    expect(walSize()).toBeGreaterThan(0);
    reader.exec('COMMIT');
    reader.close();
    await sleep(100);
    expect(walSize()).toBe(0);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });
});
