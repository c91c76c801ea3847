import type { Insertable, Kysely, Transaction } from 'kysely';
import { copies, copyRows } from './copy.js';
import { withIndexesDeferred } from './durability.js';

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

/**
 * Writes a stream of rows into one table: one COPY when `db` is on PostgreSQL (with the table's
 * indexes built after the load when `deferIndexes`), else INSERTs in chunks (writeInChunks).
 * `onRows` hears the running total. Returns the number of rows written.
 */
export async function writeTable<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  table: T,
  rows: Iterable<Insertable<DB[T]>>,
  onRows: (written: number) => void,
  { deferIndexes = false }: { deferIndexes?: boolean } = {},
): Promise<number> {
  if (copies(db)) {
    const copy = () => copyRows(db, table, rows, onRows);
    return deferIndexes ? withIndexesDeferred(db as Kysely<unknown>, table, copy) : copy();
  }
  return writeInChunks(
    rows,
    (chunk) =>
      insertChunk(db, chunk, (trx, statement) => trx.insertInto(table).values(statement).execute()),
    onRows,
  );
}
