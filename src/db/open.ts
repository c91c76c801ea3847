import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';

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

/** An open subgraph database: its Kysely handle, its statement counter and how to close it. */
export interface Database<Tables> {
  db: Kysely<Tables>;
  statements: StatementCounter;
  /** The raw SQLite handle, for pragmas and maintenance that Kysely does not express. */
  sqlite: SQLite.Database;
  close(): Promise<void>;
}

/** Versioned migrations, in order: name -> migration. */
export type Migrations = Record<string, Migration>;

class StaticMigrations implements MigrationProvider {
  constructor(private readonly migrations: Migrations) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

/**
 * Opens (creating if needed) one subgraph's SQLite file in WAL mode and brings its schema to the
 * newest migration. `secure_delete` overwrites deleted rows, so purged personal data does not
 * linger in free pages of the file (policy #2).
 */
export async function openSqlite<Tables>(file: string, migrations: Migrations): Promise<Database<Tables>> {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('secure_delete = ON');
  const statements = new StatementCounter();
  const db = new Kysely<Tables>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => {
      if (event.level === 'query' || event.level === 'error') statements.increment();
    },
  });
  const migrator = new Migrator({ db, provider: new StaticMigrations(migrations) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`Migration ${failed?.migrationName ?? ''} of ${file} failed: ${reason}`);
  }
  statements.reset();
  return { db, statements, sqlite, close: () => db.destroy() };
}
