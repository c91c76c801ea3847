import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/env.js';
import { openPostgres, openSqlite } from '../db/open.js';
import { databaseFile } from '../app/databases.js';
import { AuditStore, type AuditLog } from '../privacy/audit/store/auditStore.js';
import {
  checkAnchors,
  readAnchors,
  type Anchor,
  type AnchorProblem,
} from '../privacy/audit/store/anchor.js';
import {
  auditMigrations,
  type AuditTables,
  type PostgresAuditTables,
} from '../privacy/audit/store/migrations.js';
import { PostgresAuditStore } from '../privacy/audit/store/postgresAuditStore.js';

/**
 * Opens the audit: on PostgreSQL when AUDIT_DATABASE_URL is set, else the SQLite file of a data
 * directory (whose anchor file is the default one, unless AUDIT_ANCHOR_FILE names another).
 */
async function openAudit(dataDir: string): Promise<{
  config: ReturnType<typeof loadConfig>;
  database: { close(): Promise<void> };
  store: AuditLog;
}> {
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir });
  const pg = config.audit.postgres;
  if (pg) {
    const database = await openPostgres<PostgresAuditTables>(
      pg.url,
      pg.schema,
      auditMigrations,
      pg.poolSize,
    );
    return { config, database, store: new PostgresAuditStore(database, config.audit.key) };
  }
  const database = await openSqlite<AuditTables>(
    databaseFile(path.resolve(dataDir), 'audit'),
    auditMigrations,
  );
  return { config, database, store: new AuditStore(database, config.audit.key) };
}

const program = new Command()
  .name('audit')
  .description('The disclosure audit: verify its hash chains, purge old records.');

program
  .command('verify')
  .description(
    'walk every chain and name the first broken link, and check the newest records against the anchors; exits 1 if anything is broken',
  )
  .option('--data-dir <dir>', 'data directory', process.env.DATA_DIR ?? 'data')
  .option(
    '--anchors <files...>',
    "the anchor files (default: AUDIT_ANCHOR_FILE): one per process that anchors, e.g. each circulation replica's; missing or empty while the audit holds records is broken",
  )
  .action(async (options: { dataDir: string; anchors?: string[] }) => {
    const { config, database, store } = await openAudit(options.dataDir);
    const chains = await store.chains();
    if (chains.length === 0) console.log('The audit holds no records yet; nothing to verify.');
    let broken = 0;
    const missing = options.anchors?.find((file) => !fs.existsSync(file));
    if (missing) {
      console.error(`audit verify: no anchor file at ${missing}`);
      await database.close();
      process.exit(2);
    }
    const anchorFiles =
      options.anchors ?? (config.audit.anchorFile ? [config.audit.anchorFile] : []);
    if (anchorFiles.length > 0) {
      // Every file's anchors are checked together: the newest anchor of a chain, whichever
      // replica wrote it, tells whether the chain was truncated.
      const anchors: Anchor[] = [];
      const problems: AnchorProblem[] = [];
      for (const file of anchorFiles) {
        const read = fs.existsSync(file)
          ? readAnchors(file, config.audit.key)
          : { anchors: [], problems: [] };
        anchors.push(...read.anchors);
        problems.push(...read.problems);
      }
      const named = anchorFiles.join(', ');
      // A deleted or emptied anchor file would hide a truncation: with records to anchor, that is broken.
      if (anchors.length === 0 && problems.length === 0 && chains.length > 0) {
        console.log(
          `anchors ${named}: BROKEN: the anchor file is missing or empty, but the audit holds records; it may have been deleted to hide a truncation`,
        );
        broken += 1;
      } else {
        problems.push(...(await checkAnchors(store, anchors)));
        for (const p of problems) console.log(`chain ${p.chain}: BROKEN: ${p.problem}`);
        broken += problems.length;
        if (problems.length === 0)
          console.log(
            `anchors ${named}: ${anchors.length} anchors, all records they name are present`,
          );
      }
    } else {
      console.log(
        'anchoring is off (AUDIT_ANCHOR_FILE=off): truncation of the newest records cannot be detected',
      );
    }
    for (const chain of chains) {
      const verdict = await store.verify(chain);
      if (verdict.broken) {
        broken += 1;
        console.log(
          `chain ${chain}: BROKEN at record ${verdict.broken.seq}: ${verdict.broken.problem}`,
        );
      } else {
        console.log(`chain ${chain}: ${verdict.records} records, intact`);
      }
    }
    await database.close();
    process.exitCode = broken ? 1 : 0;
  });

program
  .command('purge')
  .description(
    'delete records older than the retention period, leaving a signed checkpoint of each cut',
  )
  .option('--data-dir <dir>', 'data directory', process.env.DATA_DIR ?? 'data')
  .option('--older-than-days <n>', 'override AUDIT_RETENTION_DAYS')
  .action(async (options: { dataDir: string; olderThanDays?: string }) => {
    const { config, database, store } = await openAudit(options.dataDir);
    const days =
      options.olderThanDays === undefined
        ? config.audit.retentionDays
        : Number(options.olderThanDays);
    if (!Number.isInteger(days) || days < 1) {
      console.error('audit purge: --older-than-days must be a whole number of days, at least 1.');
      process.exit(2);
    }
    const before = new Date(Date.now() - days * 86_400_000).toISOString();
    const results = await store.purge(before);
    for (const r of results)
      console.log(
        `chain ${r.chain}: ${r.deleted} records older than ${before.slice(0, 10)} deleted${r.deleted ? ', checkpoint signed' : ''}`,
      );
    await database.close();
  });

program
  .command('copy-to-postgres')
  .description(
    'copy the SQLite audit of --data-dir, as it is, into the empty audit on PostgreSQL (DATABASE_URL or AUDIT_DATABASE_URL), then verify it there',
  )
  .option('--data-dir <dir>', 'data directory', process.env.DATA_DIR ?? 'data')
  .action(async (options: { dataDir: string }) => {
    const config = loadConfig({ ...process.env, DATA_DIR: options.dataDir });
    const pg = config.audit.postgres;
    if (!pg) {
      console.error(
        'audit copy-to-postgres: set DATABASE_URL (or AUDIT_DATABASE_URL) to the audit on PostgreSQL.',
      );
      process.exit(2);
    }
    const file = databaseFile(path.resolve(options.dataDir), 'audit');
    if (!fs.existsSync(file)) {
      console.error(`audit copy-to-postgres: no SQLite audit at ${file}`);
      process.exit(2);
    }
    const source = await openSqlite<AuditTables>(file, auditMigrations);
    const target = await openPostgres<PostgresAuditTables>(
      pg.url,
      pg.schema,
      auditMigrations,
      pg.poolSize,
    );
    try {
      const store = new PostgresAuditStore(target, config.audit.key);
      for (const r of await store.copyFrom(new AuditStore(source, config.audit.key)))
        console.log(`chain ${r.chain}: ${r.records} records copied`);
      let broken = 0;
      for (const chain of await store.chains()) {
        const verdict = await store.verify(chain);
        if (verdict.broken) broken += 1;
        console.log(
          verdict.broken
            ? `chain ${chain}: BROKEN at record ${verdict.broken.seq}: ${verdict.broken.problem}`
            : `chain ${chain}: ${verdict.records} records, intact on PostgreSQL`,
        );
      }
      process.exitCode = broken ? 1 : 0;
    } finally {
      await source.close();
      await target.close();
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `audit: ${(error as Error).message}`,
  );
  process.exit(2);
}
