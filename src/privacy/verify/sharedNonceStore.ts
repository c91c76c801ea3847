import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { openPostgres, openSqlite, type Database, type StoreLocation } from '../../db/open.js';
import type { NonceStore } from './nonceStore.js';
import { SIGNATURE_WINDOW_MS } from '../sign/signature.js';

/** The one table of the shared nonce store. */
export interface NonceTables {
  signature_nonce_claims: { expires_at: number; audience: string; nonce: string };
}

/**
 * The page size of a nonce file SQLite creates. A claim commits the one page its row lands on,
 * and the write-ahead log takes whole pages: 1 KiB pages write a quarter of what 4 KiB ones do
 * (a row is some 60 bytes). Files created by earlier versions keep their 4 KiB pages.
 */
const NONCE_PAGE_SIZE = 1024;

/** The table earlier versions claimed nonces in, keyed by audience and nonce alone. */
const LEGACY_TABLE = 'signature_nonces';

/**
 * Creates the nonce store's one table if it is missing: one row per accepted signature, keyed by
 * expiry, audience and nonce. The expiry leads the key because it is derived from the signed
 * time, so a replay carries the same one, and because it orders the table by time: each claim
 * lands on the newest page rather than on a random one, and pruning deletes from the oldest end,
 * without a second index. On SQLite the table is `WITHOUT ROWID` (the key is the table).
 * Idempotent statements rather than a versioned migration, because replicas starting together
 * over one store all run it at once. The legacy table is dropped: a replica of an earlier version
 * still claiming there then refuses its signed calls (fails closed) until it is upgraded, rather
 * than remembering nonces the upgraded replicas do not see.
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
    .createTable('signature_nonce_claims')
    .ifNotExists()
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('signature_nonce_claims_pk', ['expires_at', 'audience', 'nonce']);
  await (sqlite ? table.modifyEnd(sql`without rowid`) : table).execute();
  await db.schema.dropTable(LEGACY_TABLE).ifExists().execute();
}

/** One dialect's two statements: claim a row (true when this call inserted it), delete expired rows. */
interface ClaimStatements {
  insert(expiresAt: number, audience: string, nonce: string): Promise<boolean> | boolean;
  prune(before: number): Promise<unknown> | unknown;
}

/**
 * On SQLite, the two statements prepared once on the raw handle: better-sqlite3 runs them
 * synchronously, so a claim costs no trip through Kysely's driver and its connection mutex.
 */
function sqliteStatements(sqlite: SQLite.Database): ClaimStatements {
  const insert = sqlite.prepare(
    'INSERT INTO signature_nonce_claims (expires_at, audience, nonce) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const prune = sqlite.prepare('DELETE FROM signature_nonce_claims WHERE expires_at <= ?');
  return {
    insert: (expiresAt, audience, nonce) => insert.run(expiresAt, audience, nonce).changes === 1,
    prune: (before) => prune.run(before),
  };
}

/** On PostgreSQL, through Kysely (the insert compiled once; each call binds its own values). */
function postgresStatements(db: Kysely<NonceTables>): ClaimStatements {
  const insert = db
    .insertInto('signature_nonce_claims')
    .values({ expires_at: 0, audience: '', nonce: '' })
    .onConflict((oc) => oc.doNothing())
    .compile();
  return {
    insert: async (expiresAt, audience, nonce) => {
      const result = await db.executeQuery({
        ...insert,
        parameters: [expiresAt, audience, nonce],
      });
      return Number(result.numAffectedRows ?? 0n) === 1;
    },
    prune: (before) =>
      db.deleteFrom('signature_nonce_claims').where('expires_at', '<=', before).execute(),
  };
}

/**
 * A nonce store every replica reaches, over a database (the embedded SQLite file here,
 * PostgreSQL through Kysely). A claim is one `INSERT ... ON CONFLICT DO NOTHING`, and the
 * database's change count says whether this replica was first: atomic across processes. Expired
 * rows are deleted at most once a second per process.
 */
export class SharedNonceStore implements NonceStore {
  #lastPrune = 0;
  readonly #statements: ClaimStatements;

  constructor(private readonly database: Database<NonceTables>) {
    this.#statements =
      database.dialect === 'sqlite'
        ? sqliteStatements(database.sqlite)
        : postgresStatements(database.db);
  }

  /** See NonceStore.claim. */
  async claim(audience: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    if (now - this.#lastPrune >= 1_000) {
      this.#lastPrune = now;
      // A nonce outlives its expiry by one more window: a replica whose clock runs ahead must not
      // forget it while a replica whose clock runs behind still accepts its signature.
      await this.#statements.prune(now - SIGNATURE_WINDOW_MS);
    }
    return this.#statements.insert(expiresAt, audience, nonce);
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.database.close();
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
      ? await openSqlite<NonceTables>(location, {}, { pageSize: NONCE_PAGE_SIZE })
      : await openPostgres<NonceTables>(location.url, location.schema, {}, location.poolSize);
  try {
    await ensureNonceSchema(database.db, { sqlite: database.dialect === 'sqlite' });
  } catch (error) {
    await database.close();
    throw error;
  }
  return new SharedNonceStore(database);
}
