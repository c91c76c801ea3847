import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * "Nothing leaves before its audit record is durable": once the audit writer says a request's
 * records are committed, they must survive the machine losing power, not only the process
 * crashing. A commit survives power loss once the write-ahead log holding it is synced to the
 * disk, so a sync of the log must start after the commit's last write to it and end before the
 * append resolves, on whichever thread it runs. strace shows the calls as they happen (Linux;
 * strace is on the CI machine).
 */
const strace = spawnSync('strace', ['-V']).status === 0;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-durability-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One traced line: the thread that made the call, and the call. */
interface Call {
  tid: string;
  text: string;
}

describe.runIf(strace)('an audit record is on the disk before the disclosure leaves', () => {
  it('syncs the write-ahead log after the commit writes it and before the append resolves', () => {
    const file = path.join(dir, 'audit.db');
    const trace = path.join(dir, 'trace.txt');
    const run = spawnSync(
      'strace',
      [
        '-f',
        '-y',
        '-e',
        'trace=fsync,fdatasync,write,pwrite64',
        '-o',
        trace,
        process.execPath,
      ].concat(['--import', 'tsx', 'test/faults/support/appendOnce.ts', file]),
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('appending\nappended\n');

    const calls: Call[] = fs
      .readFileSync(trace, 'utf8')
      .split('\n')
      .map((line) => /^(\d+)\s+(.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => ({ tid: m[1]!, text: m[2]! }));
    const marker = (text: string) =>
      calls.findIndex((c) => c.text.startsWith(`write(1`) && c.text.includes(text));
    const start = marker('appending');
    const end = marker('appended\\n');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);

    const LOG = '<[^>]*audit\\.db-wal>';
    const writesTheLog = new RegExp(`^p?write(64)?\\(\\d+${LOG},`);
    let lastWrite = end - 1;
    while (lastWrite > start && !writesTheLog.test(calls[lastWrite]!.text)) lastWrite -= 1;
    expect(lastWrite).toBeGreaterThan(start);
    // A sync of the log that starts after that write and returns 0 before `appended` is written.
    // A call another thread interrupts is traced in two lines, `fdatasync(<fd> <unfinished ...>`
    // and later `<... fdatasync resumed>) = 0` on the same thread.
    const syncStart = new RegExp(`^f(data)?sync\\(\\d+${LOG}(\\) += 0| <unfinished \\.\\.\\.>)`);
    const synced = calls.slice(lastWrite + 1, end).some((c, i, after) => {
      const begun = syncStart.exec(c.text);
      if (!begun) return false;
      if (begun[2]!.startsWith(')')) return true;
      return after
        .slice(i + 1)
        .some((r) => r.tid === c.tid && /^<\.\.\. f(data)?sync resumed>\) += 0/.test(r.text));
    });
    expect(synced).toBe(true);
  });
});
