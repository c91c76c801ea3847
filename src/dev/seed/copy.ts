import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { postgresPoolOf } from '../../db/open.js';

/** Characters COPY's text format escapes, and their escapes. */
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const SPECIAL = /[\\\t\n\r]/g;
/** Bytes of text handed to the connection at a time. */
const FLUSH_AT = 1 << 17;

/** One value in COPY's text format: \N for null, and a backslash before the characters that delimit. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value as number);
  return text.replace(SPECIAL, (c) => ESCAPES[c] ?? c);
}

/** True when `db` is a PostgreSQL store's handle, whose bulk loads go through COPY. */
export const copies = (db: object): boolean => postgresPoolOf(db) !== undefined;

/**
 * A `COPY table (columns) FROM STDIN` on a connection of its own from the store's pool. Rows are
 * buffered as text and handed to the server in large pieces; `drained` waits while the server is
 * behind, so a generator feeding millions of rows keeps memory flat. The rows commit at `end`.
 * Durability of the load is relaxed (`synchronous_commit = off`): a crash loses only the seed.
 */
export class CopyWriter<Row extends object> {
  #buffer = '';
  #rows = 0;
  #error: unknown = undefined;
  #closed = false;

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly stream: CopyStreamQuery,
    private readonly columns: ReadonlyArray<keyof Row & string>,
    private readonly table: string,
  ) {
    stream.on('error', (error) => {
      this.#error ??= error;
    });
  }

  /** Opens a COPY into `table` of the store behind `db` (a PostgreSQL store's Kysely handle). */
  static async open<Row extends object>(
    db: object,
    table: string,
    columns: ReadonlyArray<keyof Row & string>,
  ): Promise<CopyWriter<Row>> {
    const pool = postgresPoolOf(db);
    if (!pool) throw new Error(`COPY into ${table}: not a PostgreSQL store`);
    const client = await pool.connect();
    try {
      await client.query('SET synchronous_commit = off');
      const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
      const stream = client.query(
        copyFrom(`COPY ${quoted(table)} (${columns.map(quoted).join(', ')}) FROM STDIN`),
      );
      return new CopyWriter<Row>(client, stream, columns, quoted(table));
    } catch (error) {
      client.release(true);
      throw error;
    }
  }

  /** Rows written so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Queues one row. */
  write(row: Row): void {
    let line = '';
    for (let i = 0; i < this.columns.length; i++) {
      line += (i === 0 ? '' : '\t') + copyValue(row[this.columns[i]!]);
    }
    this.#buffer += line + '\n';
    this.#rows += 1;
    if (this.#buffer.length >= FLUSH_AT) this.#flush();
  }

  #flush(): void {
    if (this.#error) throw this.#error;
    if (this.#buffer.length === 0) return;
    this.stream.write(this.#buffer);
    this.#buffer = '';
  }

  /** Resolves once the connection has taken what was written (at once when it is not behind). */
  async drained(): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
  }

  /**
   * Sends the rest, ends the COPY (the server commits it), ANALYZEs the table so the planner knows
   * its new size before the next query, and returns the connection; resolves to the rows written.
   */
  async end(): Promise<number> {
    this.#flush();
    this.#closed = true;
    this.stream.end();
    try {
      await finished(this.stream);
      await this.client.query(`ANALYZE ${this.table}`);
    } catch (error) {
      this.client.release(true);
      throw error;
    }
    this.client.release();
    return this.#rows;
  }

  /** Cancels the COPY (nothing of it is kept) and drops its connection. */
  abort(reason: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stream.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    this.client.release(true);
  }
}

/** Rows between progress reports and back-pressure checks. */
const REPORT_EVERY = 5_000;

/**
 * Loads a stream of rows into `table` with one COPY (columns: the first row's keys) and returns
 * how many it wrote; `onRows` hears the running total every few thousand rows and at the end.
 */
export async function copyRows<Row extends object>(
  db: object,
  table: string,
  rows: Iterable<Row> | AsyncIterable<Row>,
  onRows?: (written: number) => void,
): Promise<number> {
  let writer: CopyWriter<Row> | undefined;
  try {
    for await (const row of rows) {
      writer ??= await CopyWriter.open<Row>(
        db,
        table,
        Object.keys(row) as Array<keyof Row & string>,
      );
      writer.write(row);
      if (writer.rows % REPORT_EVERY === 0) {
        await writer.drained();
        onRows?.(writer.rows);
      }
    }
    const written = writer ? await writer.end() : 0;
    onRows?.(written);
    return written;
  } catch (error) {
    writer?.abort(error);
    throw error;
  }
}
