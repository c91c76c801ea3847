/**
 * The patron lookup of bench:production and bench:process-cpu: one patron's record, loans, holds
 * and fines by id, as circulation staff, cycling through patron ids of the seeded data.
 */
import { openDatabases } from '../src/app/databases.js';
import { loadConfig } from '../src/config/env.js';

export const LOOKUP_QUERY =
  'query ($id: ID!) { patron(id: $id) { id name email cardNumber loans { id dueAt } holds { id status } fines { amountCents } } }';

/** Patron ids to cycle through, read from a seeded circulation store. */
export async function patronIds(
  dataDir: string,
  postgresUrl?: string,
  count = 500,
): Promise<string[]> {
  const dbs = await openDatabases(
    dataDir,
    postgresUrl ? loadConfig({ NODE_ENV: 'test', DATABASE_URL: postgresUrl }).postgres : {},
  );
  try {
    // Ids are random hex, so the first ones in id order are a sample spread over the whole table.
    const rows = await dbs.circulation.db
      .selectFrom('patrons')
      .select('id')
      .orderBy('id')
      .limit(count)
      .execute();
    return rows.map((r) => r.id);
  } finally {
    for (const db of Object.values(dbs)) await db.close();
  }
}
