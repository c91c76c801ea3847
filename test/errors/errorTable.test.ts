/**
 * The README's table of error codes is generated from the registry (`npm run docs:errors`): a code
 * added, removed or reworded in src/errors/codes.ts without regenerating it fails here.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors/codes.js';
import { TABLE_END, TABLE_START, errorTable, withErrorTable } from '../../src/errors/errorTable.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';

const readme = fs.readFileSync(`${REPO_ROOT}README.md`, 'utf8');

describe("the README's error table", () => {
  it('is the registry as it is now', () => {
    expect(withErrorTable(readme)).toBe(readme);
  });

  it('has one row per registered code, with its HTTP status', () => {
    const rows = errorTable().split('\n').slice(2);
    expect(rows.map((row) => /^\| `([A-Z_]+)` /.exec(row)?.[1])).toEqual(Object.keys(ERRORS));
    expect(rows.find((row) => row.startsWith('| `RATE_LIMITED`'))).toContain('| 429 |');
  });

  it('replaces a stale table between its markers and leaves the rest alone', () => {
    const stale = `before\n${TABLE_START}\n| stale |\n${TABLE_END}\nafter\n`;
    expect(withErrorTable(stale)).toBe(
      `before\n${TABLE_START}\n${errorTable()}\n${TABLE_END}\nafter\n`,
    );
    expect(() => withErrorTable('no markers')).toThrow(/markers/);
  });
});
