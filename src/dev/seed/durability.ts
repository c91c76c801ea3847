import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../../db/dialect.js';

/**
 * Turns off SQLite's sync-on-commit for the length of a bulk load and returns how to put back
 * each database's previous setting. A crash mid-seed loses only the seed, which is rerun with
 * --reset anyway. PostgreSQL's durability is the server's setting: nothing is changed there.
 */
export async function relaxDurability(
  dbs: ReadonlyArray<Kysely<unknown>>,
): Promise<() => Promise<void>> {
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
 * of rows. Recreated even when the load fails. On SQLite indexes behind a constraint (keys) stay;
 * on PostgreSQL keys are deferred too (withKeysDeferred).
 */
export async function withIndexesDeferred<T>(
  db: Kysely<unknown>,
  table: string,
  load: () => Promise<T>,
): Promise<T> {
  if (dialectOf(db) === 'postgres') return withKeysDeferred(db, [table], load);
  const found = await sql<{ name: string; sql: string | null }>`
    SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ${table} AND sql IS NOT NULL`.execute(
    db,
  );
  const indexes = found.rows.filter((r): r is { name: string; sql: string } => r.sql !== null);
  for (const index of indexes) await sql`DROP INDEX ${sql.id(index.name)}`.execute(db);
  try {
    return await load();
  } finally {
    for (const index of indexes) await sql.raw(index.sql).execute(db);
  }
}

/**
 * PostgreSQL: runs a bulk load (COPY) of `tables` of the current schema without their indexes,
 * primary keys and unique constraints, then adds each back from the definition the server stored
 * for it (sorting each key once instead of updating it row by row). Keys a foreign key points at stay. Restored even when the load fails (then a violated key fails
 * the restore, which reports it).
 */
export async function withKeysDeferred<T>(
  db: Kysely<unknown>,
  tables: readonly string[],
  load: () => Promise<T>,
): Promise<T> {
  const list = [...tables];
  const constraints = (
    await sql<{ table: string; name: string; def: string }>`
      SELECT t.relname AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE c.connamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u') AND t.relname = ANY(${list})
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = c.conrelid)
      ORDER BY c.conname`.execute(db)
  ).rows;
  const indexes = (
    await sql<{ name: string; def: string }>`
      SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = ANY(${list})
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = current_schema()::regnamespace)
      ORDER BY i.indexname`.execute(db)
  ).rows;
  for (const index of indexes) await sql`DROP INDEX ${sql.id(index.name)}`.execute(db);
  for (const c of constraints)
    await sql`ALTER TABLE ${sql.table(c.table)} DROP CONSTRAINT ${sql.id(c.name)}`.execute(db);
  try {
    return await load();
  } finally {
    // One connection, with room to sort each key in memory.
    await db.connection().execute(async (conn) => {
      await sql`SET maintenance_work_mem = '256MB'`.execute(conn);
      for (const c of constraints)
        await sql`ALTER TABLE ${sql.table(c.table)} ADD CONSTRAINT ${sql.id(c.name)} ${sql.raw(c.def)}`.execute(
          conn,
        );
      for (const index of indexes) await sql.raw(index.def).execute(conn);
      await sql`RESET maintenance_work_mem`.execute(conn);
    });
  }
}
