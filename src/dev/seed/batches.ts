import type { Kysely, Transaction } from 'kysely';

/**
 * Rows per INSERT statement and per transaction. SQLite binds at most 32,766 variables per
 * statement; the widest seeded table has 8 columns, so 1,000 rows (8,000 variables) stay well
 * under it, and measurements showed larger statements compile no faster through Kysely.
 */
export const ROWS_PER_STATEMENT = 1_000;
/** Rows per transaction: large enough that commits are rare, small enough to keep memory flat. */
export const ROWS_PER_TRANSACTION = 25_000;

/**
 * Splits a lazily generated stream of rows into chunks of statements (`Row[][]`, each inner array
 * one INSERT), handing each chunk to `write` before generating the next, so a 5 million row table
 * never sits in memory. Returns the number of rows written.
 */
export async function writeInChunks<Row>(
  rows: Iterable<Row>,
  write: (statements: Row[][]) => Promise<void>,
  onChunk?: (written: number) => void,
  rowsPerStatement = ROWS_PER_STATEMENT,
  rowsPerTransaction = ROWS_PER_TRANSACTION,
): Promise<number> {
  let chunk: Row[][] = [];
  let statement: Row[] = [];
  let inChunk = 0;
  let written = 0;
  const flush = async (): Promise<void> => {
    if (statement.length > 0) chunk.push(statement);
    statement = [];
    if (chunk.length === 0) return;
    await write(chunk);
    written += inChunk;
    chunk = [];
    inChunk = 0;
    onChunk?.(written);
  };
  for (const row of rows) {
    statement.push(row);
    inChunk += 1;
    if (statement.length >= rowsPerStatement) {
      chunk.push(statement);
      statement = [];
      if (inChunk >= rowsPerTransaction) await flush();
    }
  }
  await flush();
  return written;
}

/** Runs one INSERT per statement of a chunk inside a single transaction of `db`. */
export async function insertChunk<DB, Row>(
  db: Kysely<DB>,
  statements: Row[][],
  insert: (trx: Transaction<DB>, rows: Row[]) => Promise<unknown>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const rows of statements) await insert(trx, rows);
  });
}
