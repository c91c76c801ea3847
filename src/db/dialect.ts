import {
  PostgresAdapter,
  sql,
  type ColumnDefinitionBuilder,
  type Kysely,
  type RawBuilder,
  type Transaction,
} from 'kysely';

/** The SQL engines a store runs on: the embedded default, or a server for several hosts. */
export type DialectName = 'sqlite' | 'postgres';

/** Any Kysely handle or transaction, whatever its tables. */
type Handle = Pick<Kysely<unknown>, 'getExecutor'>;

/** Which engine a Kysely handle (or a transaction of one) talks to. */
export function dialectOf(db: Handle): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * An integer primary key the database numbers: SQLite's AUTOINCREMENT (never reuses an id), a
 * PostgreSQL identity column (a sequence, also never reused). "By default" so that a copy of a
 * table, and the seed, may still write explicit ids.
 */
export function identityKey(db: Handle): (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return dialectOf(db) === 'postgres'
    ? (c) => c.primaryKey().generatedByDefaultAsIdentity()
    : (c) => c.primaryKey().autoIncrement();
}

/**
 * A list of integer ids as one bound parameter, for `column IN <list>`: a batch of 10,000 ids
 * costs one variable, not 10,000 (SQLite: a JSON array, PostgreSQL: an integer array).
 */
export function idList(db: Handle, ids: readonly number[]): RawBuilder<unknown> {
  return dialectOf(db) === 'postgres'
    ? sql`(SELECT unnest(${[...ids]}::bigint[]))`
    : sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** SQLSTATEs of PostgreSQL after which a whole transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);
/** How many times a write transaction is run before its conflict is reported. */
const ATTEMPTS = 8;

/**
 * Runs a read-then-write transaction with the isolation the code was written for. SQLite runs one
 * write transaction at a time, so a count followed by an insert (a seat, a loan, a lockout) is never
 * interleaved with another. On PostgreSQL the same guarantee is SERIALIZABLE, where a transaction
 * that would have seen another's write fails with a serialization error instead and is run again
 * from the start here. `work` may therefore run more than once: it must only touch the database.
 */
export async function serializable<DB, T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  /** Told of every attempt that failed (rolled back), the last one included, before it is retried or thrown. */
  onAttemptFailed?: (error: unknown) => void,
): Promise<T> {
  if (dialectOf(db) !== 'postgres') {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      onAttemptFailed?.(error);
      throw error;
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().setIsolationLevel('serializable').execute(work);
    } catch (error) {
      onAttemptFailed?.(error);
      const code = (error as { code?: unknown }).code;
      if (attempt >= ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      // A short random pause, so the transactions that collided do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

/** True for a violated unique or primary key, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505'
  );
}
