import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * "Nothing leaves before its audit record is durable": once the audit writer says a request's
 * records are committed, they must survive the machine losing power, not only the process
 * crashing. A commit survives power loss once the write-ahead log holding it is synced to the
 * disk, so the writer's thread must sync the log between starting the append and resolving it.
 * strace shows the syncs as they happen (Linux; strace is on the CI machine).
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
  it("syncs the write-ahead log on the writer's thread before the append resolves", () => {
    const file = path.join(dir, 'audit.db');
    const trace = path.join(dir, 'trace.txt');
    const run = spawnSync(
      'strace',
      ['-f', '-y', '-e', 'trace=fsync,fdatasync,write', '-o', trace, process.execPath].concat([
        '--import',
        'tsx',
        'test/faults/support/appendOnce.ts',
        file,
      ]),
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
    const writer = calls[start]!.tid;
    // A call another thread interrupts is traced in two lines, `fsync(<fd> <unfinished ...>` then
    // `<... fsync resumed>`; it started between the markers either way, and `appended` is written
    // only once the append resolved, after the commit (and its sync) returned.
    const syncsOfTheLog = calls
      .slice(start, end)
      .filter(
        (c) =>
          c.tid === writer &&
          /^f(data)?sync\(\d+<[^>]*audit\.db-wal>(\)| <unfinished \.\.\.>)/.test(c.text),
      );
    expect(syncsOfTheLog.length).toBeGreaterThan(0);
  });
});
