/**
 * No patron link lingers on disk: once a return anonymizes a loan, the SQLite WAL is checkpointed
 * (TRUNCATE) within the configured delay, and a byte scan of circulation.db, its -wal and -shm
 * finds no trace of the loan's former link to its borrower, in live or freed pages.
 */
import { sqliteOf } from '../../src/db/open.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGraph, type TestGraph } from '../support/graph.js';

const DELAY_MS = 150;

let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph({ WAL_CHECKPOINT_DELAY_MS: String(DELAY_MS), PURGE_SCHEDULE: 'off' });
});
afterAll(async () => t?.stop());

const FILES = ['circulation.db', 'circulation.db-wal', 'circulation.db-shm'];
const walSize = () => {
  const file = path.join(t.dataDir, 'circulation.db-wal');
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
};

/** The big-endian two's-complement body of an SQLite record integer, as its serial type stores it. */
function recordInteger(value: number): Buffer {
  for (const bytes of [1, 2, 3, 4, 6]) {
    if (value < 2 ** (8 * bytes - 1))
      return Buffer.from(value.toString(16).padStart(bytes * 2, '0'), 'hex');
  }
  throw new Error('id too large for this test');
}

async function staff<T>(query: string): Promise<T> {
  const response = await t.query('circulation-staff', query);
  expect(response.errors).toBeUndefined();
  return response.data as T;
}

describe('after a return anonymizes a loan', () => {
  it('the WAL is checkpointed within the delay, and no byte of the files links the loan to its former borrower', async () => {
    const { registerPatron } = await staff<{ registerPatron: { id: string; cardNumber: string } }>(
      'mutation { registerPatron(input: { name: "Wren Okafor", birthDate: "1990-04-02", homeBranchId: "br_01", pin: "4821" }) { id cardNumber } }',
    );
    const patronId = registerPatron.id;
    const circulation = sqliteOf(t.graph.databases!.circulation);
    const itemId = (
      circulation
        .prepare(
          `SELECT id FROM items WHERE id NOT IN (SELECT item_id FROM loans WHERE returned_at IS NULL)
      AND id NOT IN (SELECT item_id FROM holds WHERE item_id IS NOT NULL AND status = 'READY') ORDER BY id DESC LIMIT 1`,
        )
        .get() as { id: string }
    ).id;
    const { checkout } = await staff<{ checkout: { id: string } }>(
      `mutation { checkout(itemId: "${itemId}", cardNumber: "${registerPatron.cardNumber}") { id } }`,
    );
    const loanId = Number(checkout.id);
    const linked = circulation
      .prepare('SELECT patron_id, checked_out_at FROM loans WHERE id = ?')
      .get(loanId) as { patron_id: string; checked_out_at: string };
    expect(linked.patron_id).toBe(patronId);
    // A write that anonymizes nothing schedules no checkpoint: the WAL keeps its frames.
    await new Promise((r) => setTimeout(r, DELAY_MS * 4));
    expect(walSize()).toBeGreaterThan(0);

    await staff(`mutation { returnItem(itemId: "${itemId}") { returnedAt } }`);
    expect(circulation.prepare('SELECT patron_id FROM loans WHERE id = ?').get(loanId)).toEqual({
      patron_id: null,
    });

    const deadline = Date.now() + DELAY_MS + 3_000;
    while (walSize() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(walSize()).toBe(0);

    // What linked loan and borrower: the loan row (item id, then patron id, adjacent in its record),
    // the borrower's index entry (patron id, then the loan's rowid), and the checkout time to the
    // millisecond, which only the linked row held (anonymizing cuts it to the day).
    const traces = {
      'loan row': Buffer.from(itemId + patronId),
      'patron index entry': Buffer.concat([Buffer.from(patronId), recordInteger(loanId)]),
      'exact checkout time': Buffer.from(linked.checked_out_at),
    };
    const found: string[] = [];
    for (const name of FILES) {
      const file = path.join(t.dataDir, name);
      if (!fs.existsSync(file)) continue;
      const bytes = fs.readFileSync(file);
      for (const [trace, needle] of Object.entries(traces))
        if (bytes.includes(needle)) found.push(`${trace} in ${name}`);
    }
    expect(found).toEqual([]);
    // The borrower is still a patron: their own record stays, only the loan lost them.
    expect(
      fs.readFileSync(path.join(t.dataDir, 'circulation.db')).includes(Buffer.from(patronId)),
    ).toBe(true);
  });
});
