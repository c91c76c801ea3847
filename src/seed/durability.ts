import { type Kysely, sql } from 'kysely';

/**
 * Turns off SQLite's sync-on-commit for the length of a bulk load and returns how to put back
 * each database's previous setting. A crash mid-seed loses only the seed, which is rerun with
 * --reset anyway. On a database that is not SQLite the pragma fails and nothing is changed.
 */
export async function relaxDurability(dbs: ReadonlyArray<Kysely<unknown>>): Promise<() => Promise<void>> {
  const restores: Array<() => Promise<void>> = [];
  for (const db of dbs) {
    try {
      const before = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db);
      const level = before.rows[0]?.synchronous;
      if (typeof level !== 'number') continue;
      await sql`PRAGMA synchronous = OFF`.execute(db);
      restores.push(async () => {
        await sql.raw(`PRAGMA synchronous = ${Math.trunc(level)}`).execute(db);
      });
    } catch {
      // Not SQLite: nothing to relax.
    }
  }
  return async () => {
    for (const restore of restores) await restore();
  };
}
