import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Migration,
  type MigrationProvider,
  type SqliteDialectConfig,
} from 'kysely';
import type { DialectName } from './dialect.js';

/** Counts the SQL statements a database runs, so tests can prove batching (N+1 stays 1). */
export class StatementCounter {
  #count = 0;
  /** Statements run since the counter was made or last reset. */
  get count(): number {
    return this.#count;
  }
  /** Records one statement. */
  increment(): void {
    this.#count += 1;
  }
  /** Starts counting again from zero. */
  reset(): void {
    this.#count = 0;
  }
}

interface OpenDatabase<Tables> {
  db: Kysely<Tables>;
  statements: StatementCounter;
  dialect: DialectName;
  close(): Promise<void>;
}

/** A store in an embedded SQLite file (or in memory). */
export interface SqliteDatabase<Tables> extends OpenDatabase<Tables> {
  dialect: 'sqlite';
  /** The raw SQLite handle, for pragmas and maintenance that Kysely does not express. */
  sqlite: SQLite.Database;
}

/** A store in one schema of a PostgreSQL database. */
export interface PostgresDatabase<Tables> extends OpenDatabase<Tables> {
  dialect: 'postgres';
  /** The schema its tables live in (every connection of the pool has it as its search_path). */
  schema: string;
}

/** An open store: its Kysely handle, its statement counter and how to close it, on either engine. */
export type Database<Tables> = SqliteDatabase<Tables> | PostgresDatabase<Tables>;

/** The raw SQLite handle of a store that must be SQLite (test fixtures, SQLite maintenance); throws otherwise. */
export function sqliteOf<Tables>(database: Database<Tables>): SQLite.Database {
  if (database.dialect !== 'sqlite')
    throw new Error(`this needs a SQLite store; ${database.dialect} has no raw SQLite handle`);
  return database.sqlite;
}

/** Where a store lives: a `postgres://` URL (and the schema in it), or a SQLite file path (`:memory:`). */
export type StoreLocation = string | { url: string; schema: string; poolSize?: number };

/** True for a PostgreSQL connection URL (what DATABASE_URL takes). */
export const isPostgresUrl = (value: string): boolean => /^postgres(ql)?:\/\//.test(value);

/** Versioned migrations, in order: name -> migration. */
export type Migrations = Record<string, Migration>;

class StaticMigrations implements MigrationProvider {
  constructor(private readonly migrations: Migrations) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

/** How many distinct statements a SQLite store keeps prepared (batch reads vary with their number of keys). */
const PREPARED_STATEMENTS = 500;

/**
 * The SQLite handle as Kysely's dialect sees it, keeping each statement prepared for reuse: Kysely
 * prepares every query it runs, and compiling the SQL cost a subgraph more than running it. A
 * statement still iterating (busy) is not handed out again; a fresh one is prepared instead.
 */
function withPreparedStatements(sqlite: SQLite.Database): SqliteDialectConfig['database'] {
  const prepared = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = prepared.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(sql);
      if (!cached) {
        if (prepared.size >= PREPARED_STATEMENTS) prepared.clear();
        prepared.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Opens (creating if needed) one subgraph's SQLite file in WAL mode and brings its schema to the
 * newest migration; `pageSize` sets the page size of a file it creates. `secure_delete`
 * overwrites deleted rows, so purged personal data does not linger in free pages of the file
 * (policy #2).
 */
export async function openSqlite<Tables>(
  file: string,
  migrations: Migrations,
  options: { pageSize?: number } = {},
): Promise<SqliteDatabase<Tables>> {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // Takes effect only in a file still empty (SQLite ignores it once pages exist or WAL is on).
  if (options.pageSize) sqlite.pragma(`page_size = ${Math.trunc(options.pageSize)}`);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('secure_delete = ON');
  const statements = new StatementCounter();
  const db = new Kysely<Tables>({
    dialect: new SqliteDialect({ database: withPreparedStatements(sqlite) }),
    log: (event) => {
      if (event.level === 'query' || event.level === 'error') statements.increment();
    },
  });
  await migrate(db, migrations, file);
  statements.reset();
  return { db, statements, dialect: 'sqlite', sqlite, close: () => db.destroy() };
}

/** Brings a store to its newest migration (the migration table in `schema` on PostgreSQL); closes it on failure. */
async function migrate<Tables>(
  db: Kysely<Tables>,
  migrations: Migrations,
  where: string,
  schema?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new StaticMigrations(migrations),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`Migration ${failed?.migrationName ?? ''} of ${where} failed: ${reason}`);
  }
}

/** Connections per pool unless DATABASE_POOL_SIZE says otherwise. */
const POOL_SIZE = 10;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens one store in `schema` of the PostgreSQL database at `url` (creating the schema if needed)
 * and brings it to the newest migration. Every pooled connection starts with the schema as its
 * search_path, so the same unqualified Kysely queries run on both engines. Counts and sums come
 * back as JavaScript numbers, as they do from SQLite (every total here is far below 2^53).
 */
export async function openPostgres<Tables>(
  url: string,
  schema: string,
  migrations: Migrations,
  poolSize = POOL_SIZE,
): Promise<PostgresDatabase<Tables>> {
  if (!SCHEMA_NAME.test(schema))
    throw new Error(`PostgreSQL schema name '${schema}' must be lower-case letters, digits and _`);
  const toNumber = (value: string) => Number(value);
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
        ? toNumber
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Names the pool in pg_stat_activity, so an operator sees which store holds which connections.
    application_name: `library-graph/${schema}`,
    // Every commit waits for its write-ahead log to reach the disk, whatever the server's or the
    // role's default: what the graph acts on once committed (a disclosure's record, a nonce's
    // claim) must survive the server losing power.
    options: `-c search_path=${schema} -c synchronous_commit=on`,
    types,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const statements = new StatementCounter();
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query' || event.level === 'error') statements.increment();
    },
  });
  const where = `${redactUrl(url)} schema ${schema}`;
  try {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  } catch (error) {
    // Two processes creating the schema at once: one of them loses the race on the catalog.
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') {
      await db.destroy();
      throw new Error(
        `Cannot open PostgreSQL at ${where}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  await migrate(db, migrations, where, schema);
  statements.reset();
  pools.set(db, pool);
  return { db, statements, dialect: 'postgres', schema, close: () => db.destroy() };
}

const pools = new WeakMap<object, pg.Pool>();

/** The connection pool behind a PostgreSQL store's Kysely handle (for COPY, which Kysely does not speak); undefined on SQLite. */
export function postgresPoolOf(db: object): pg.Pool | undefined {
  return pools.get(db);
}

/** A connection URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Opens a store where `location` says: PostgreSQL for a URL and schema, SQLite for a file path. */
export async function openDatabase<Tables>(
  location: StoreLocation,
  migrations: Migrations,
): Promise<Database<Tables>> {
  if (typeof location === 'string') {
    if (isPostgresUrl(location))
      throw new Error('openDatabase: a PostgreSQL URL needs a schema ({ url, schema })');
    return openSqlite<Tables>(location, migrations);
  }
  return openPostgres<Tables>(location.url, location.schema, migrations, location.poolSize);
}
