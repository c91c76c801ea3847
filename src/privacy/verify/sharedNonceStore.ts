import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { openPostgres, openSqlite, type Database, type StoreLocation } from '../../db/open.js';
import type { NonceStore } from './nonceStore.js';
import { SIGNATURE_WINDOW_MS } from '../sign/signature.js';

/** The one table of the shared nonce store. */
export interface NonceTables {
  signature_nonces: { audience: string; nonce: string; expires_at: number };
}

/**
 * Creates the nonce store's one table if it is missing: one row per accepted signature, keyed by
 * audience and nonce. Idempotent statements rather than a versioned migration, because replicas
 * starting together over one file all run it at once. On SQLite the table is `WITHOUT ROWID`
 * (the key is the table), which halves what each claim writes.
 */
export async function ensureNonceSchema(
  db: Kysely<NonceTables>,
  options: { sqlite: boolean },
): Promise<void> {
  if (!options.sqlite) {
    // PostgreSQL's IF NOT EXISTS is not atomic: two replicas creating the table at once can both
    // pass the check, and one fails on the catalog. One at a time, under a transaction lock.
    await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':signature_nonces schema'))`.execute(
        trx,
      );
      await createNonceTable(trx, false);
    });
    return;
  }
  await createNonceTable(db, true);
}

async function createNonceTable(db: Kysely<NonceTables>, sqlite: boolean): Promise<void> {
  const table = db.schema
    .createTable('signature_nonces')
    .ifNotExists()
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('signature_nonces_pk', ['audience', 'nonce']);
  await (sqlite ? table.modifyEnd(sql`without rowid`) : table).execute();
  await db.schema
    .createIndex('signature_nonces_expiry')
    .ifNotExists()
    .on('signature_nonces')
    .column('expires_at')
    .execute();
}

/**
 * A nonce store every replica reaches, over a database (Kysely: the embedded SQLite file here,
 * PostgreSQL through its dialect). A claim is one `INSERT ... ON CONFLICT DO NOTHING`, and the
 * database's change count says whether this replica was first: atomic across processes. Expired
 * rows are deleted at most once a second per process.
 */
export class SharedNonceStore implements NonceStore {
  #lastPrune = 0;
  /** The claim, compiled once for the dialect; each call binds its own values. */
  readonly #insert: CompiledQuery;

  constructor(
    private readonly db: Kysely<NonceTables>,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.#insert = db
      .insertInto('signature_nonces')
      .values({ audience: '', nonce: '', expires_at: 0 })
      .onConflict((oc) => oc.columns(['audience', 'nonce']).doNothing())
      .compile();
  }

  /** See NonceStore.claim. */
  async claim(audience: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    if (now - this.#lastPrune >= 1_000) {
      this.#lastPrune = now;
      // A nonce outlives its expiry by one more window: a replica whose clock runs ahead must not
      // forget it while a replica whose clock runs behind still accepts its signature.
      await this.db
        .deleteFrom('signature_nonces')
        .where('expires_at', '<=', now - SIGNATURE_WINDOW_MS)
        .execute();
    }
    const result = await this.db.executeQuery({
      ...this.#insert,
      parameters: [audience, nonce, expiresAt],
    });
    return Number(result.numAffectedRows ?? 0n) === 1;
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.onClose();
  }
}

/** Opens (creating if needed) the embedded shared nonce store in `file` (`NONCE_STORE_FILE`). */
export async function openSharedNonceStore(file: string): Promise<SharedNonceStore> {
  return openNonceStore(file);
}

/**
 * Opens (creating if needed) the nonce store where `location` says: a SQLite file every replica
 * on this host reaches, or a schema of a PostgreSQL database every replica on every host reaches
 * (Config.nonceStore: DATABASE_URL's, unless NONCE_STORE_FILE names a file).
 */
export async function openNonceStore(location: StoreLocation): Promise<SharedNonceStore> {
  const database: Database<NonceTables> =
    typeof location === 'string'
      ? await openSqlite<NonceTables>(location, {})
      : await openPostgres<NonceTables>(location.url, location.schema, {}, location.poolSize);
  try {
    await ensureNonceSchema(database.db, { sqlite: database.dialect === 'sqlite' });
  } catch (error) {
    await database.close();
    throw error;
  }
  return new SharedNonceStore(database.db, () => database.close());
}
