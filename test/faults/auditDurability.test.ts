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

/** Traces one append through the audit writer (support/appendOnce.ts) with `mode`. */
function traceAppend(mode: string): { calls: Call[]; start: number; end: number } {
  const file = path.join(dir, `audit-${mode}.db`);
  const trace = path.join(dir, `trace-${mode}.txt`);
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
    ].concat(['--import', 'tsx', 'test/faults/support/appendOnce.ts', file, mode]),
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
  return { calls, start: marker('appending'), end: marker('appended\\n') };
}

/**
 * The sync of the log that starts after the commit's last write to it and returns 0 before the
 * append resolves, or null. A call another thread interrupts is traced in two lines,
 * `fdatasync(<fd> <unfinished ...>` and later `<... fdatasync resumed>) = 0` on the same thread.
 */
function syncAfterCommit({ calls, start, end }: ReturnType<typeof traceAppend>): Call | null {
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  const LOG = '<[^>]*audit-[a-z-]+\\.db-wal>';
  const writesTheLog = new RegExp(`^p?write(64)?\\(\\d+${LOG},`);
  let lastWrite = end - 1;
  while (lastWrite > start && !writesTheLog.test(calls[lastWrite]!.text)) lastWrite -= 1;
  expect(lastWrite).toBeGreaterThan(start);
  const syncStart = new RegExp(`^f(data)?sync\\(\\d+${LOG}(\\) += 0| <unfinished \\.\\.\\.>)`);
  const after = calls.slice(lastWrite + 1, end);
  return (
    after.find((c, i) => {
      const begun = syncStart.exec(c.text);
      if (!begun) return false;
      if (begun[2]!.startsWith(')')) return true;
      return after
        .slice(i + 1)
        .some((r) => r.tid === c.tid && /^<\.\.\. f(data)?sync resumed>\) += 0/.test(r.text));
    }) ?? null
  );
}

describe.runIf(strace)('an audit record is on the disk before the disclosure leaves', () => {
  it.each([
    ['inline', 'on the request thread', true],
    ['pool', "on libuv's thread pool", false],
    ['auto-idle', 'on the request thread when it has been idle', true],
    ['auto-busy', 'on the pool when the request thread has been busy', false],
  ])(
    'syncs the write-ahead log after the commit writes it and before the append resolves (%s: %s)',
    (mode, _where, onRequestThread) => {
      const traced = traceAppend(mode);
      const sync = syncAfterCommit(traced);
      expect(sync).not.toBeNull();
      // The request thread is the one that writes the markers to stdout.
      const requestThread = traced.calls[traced.start]!.tid;
      expect(sync!.tid === requestThread).toBe(onRequestThread);
    },
  );
});
