import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../db/dialect.js';

/**
 * Turns off SQLite's sync-on-commit for the length of a bulk load and returns how to put back
 * each database's previous setting. A crash mid-seed loses only the seed, which is rerun with
 * --reset anyway. PostgreSQL's durability is the server's setting: nothing is changed there.
 */
export async function relaxDurability(dbs: ReadonlyArray<Kysely<unknown>>): Promise<() => Promise<void>> {
  const restores: Array<() => Promise<void>> = [];
  for (const db of dbs) {
    if (dialectOf(db) !== 'sqlite') continue;
    const before = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db);
    const level = before.rows[0]?.synchronous;
    if (typeof level !== 'number') continue;
    await sql`PRAGMA synchronous = OFF`.execute(db);
    restores.push(async () => {
      await sql.raw(`PRAGMA synchronous = ${Math.trunc(level)}`).execute(db);
    });
  }
  return async () => {
    for (const restore of restores) await restore();
  };
}

/**
 * Runs a bulk load of `table` with its secondary indexes dropped, then recreates each from the
 * exact SQL the database stored for it (so whatever the migrations defined comes back unchanged).
 * Building an index once over sorted keys is far cheaper than updating it at random for millions
 * of rows. Recreated even when the load fails. Indexes behind a constraint (keys) stay.
 */
export async function withIndexesDeferred<T>(db: Kysely<unknown>, table: string, load: () => Promise<T>): Promise<T> {
  const found =
    dialectOf(db) === 'postgres'
      ? await sql<{ name: string; sql: string | null }>`
          SELECT indexname AS name, indexdef AS sql FROM pg_indexes i
          WHERE schemaname = current_schema() AND tablename = ${table}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = current_schema()::regnamespace)`.execute(db)
      : await sql<{ name: string; sql: string | null }>`
          SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ${table} AND sql IS NOT NULL`.execute(db);
  const indexes = found.rows.filter((r): r is { name: string; sql: string } => r.sql !== null);
  for (const index of indexes) await sql`DROP INDEX ${sql.id(index.name)}`.execute(db);
  try {
    return await load();
  } finally {
    for (const index of indexes) await sql.raw(index.sql).execute(db);
  }
}
