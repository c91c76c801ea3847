import { sql, type Generated, type Kysely } from 'kysely';
import { dialectOf } from '../../../db/dialect.js';
import type { Migrations, PostgresDatabase, SqliteDatabase } from '../../../db/open.js';
import { batchesOf, type DisclosureEntry } from '../record.js';

/** A row of the per-record table of migrations 0001 and 0002, as 0003 reads it. */
interface RecordRow {
  chain: string;
  seq: number;
  at: string;
  request_id: string;
  principal: string | null;
  roles: string;
  exception: string;
  patron_id: string;
  fields: string;
  reference: string | null;
  purpose: string | null;
  prev_hash: string;
  hash: string;
}

/** Rows moved per statement by migration 0003. */
const MOVE_CHUNK = 5000;

/**
 * The disclosure audit: one database written by every subgraph, one hash chain per subgraph.
 * Append-only by trigger: rows are never updated, and deleted only by the retention purge, which
 * opens the gate in its own transaction and leaves a signed checkpoint of the cut.
 */
export const auditMigrations: Migrations = {
  '0001_audit': {
    async up(db: Kysely<unknown>) {
      if (dialectOf(db) === 'postgres') return postgresAudit(db);
      await db.schema
        .createTable('audit_records')
        .addColumn('chain', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('principal', 'text')
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('exception', 'text', (c) => c.notNull())
        .addColumn('patron_id', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('reference', 'text')
        .addColumn('purpose', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_records_pk', ['chain', 'seq'])
        .execute();
      await db.schema
        .createIndex('audit_patron')
        .on('audit_records')
        .columns(['patron_id', 'at'])
        .execute();
      await db.schema.createIndex('audit_at').on('audit_records').column('at').execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('chain', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_checkpoints_pk', ['chain', 'seq'])
        .execute();
      await db.schema
        .createTable('audit_gate')
        .addColumn('open', 'integer', (c) => c.notNull())
        .execute();
      await sql`insert into audit_gate (open) values (0)`.execute(db);
      await sql`create trigger audit_no_update before update on audit_records
        begin select raise(abort, 'the disclosure audit is append-only'); end`.execute(db);
      await sql`create trigger audit_no_delete before delete on audit_records
        when (select open from audit_gate) = 0
        begin select raise(abort, 'the disclosure audit is append-only; use the retention purge'); end`.execute(
        db,
      );
      await sql`create trigger audit_checkpoints_no_update before update on audit_checkpoints
        begin select raise(abort, 'audit checkpoints are append-only'); end`.execute(db);
    },
  },
  '0002_subject_index': {
    // The per-patron index moves out of the append path: an index entry per record made the
    // write touch one random page per subject. Records now go in alone; the filing thread files
    // them under their patrons in bulk, sorted, and lookups read the unfiled tail directly.
    // (PostgreSQL starts at the schema 0003 leaves, its own way: see postgresAudit.)
    async up(db: Kysely<unknown>) {
      if (dialectOf(db) === 'postgres') return;
      await sql`create table audit_subjects (
        patron_id text not null, chain text not null, seq integer not null,
        primary key (patron_id, chain, seq)) without rowid`.execute(db);
      await sql`create table audit_subjects_upto (chain text primary key, seq integer not null)`.execute(
        db,
      );
      await sql`insert into audit_subjects select patron_id, chain, seq from audit_records order by patron_id`.execute(
        db,
      );
      await sql`insert into audit_subjects_upto select chain, max(seq) from audit_records group by chain`.execute(
        db,
      );
      await db.schema.dropIndex('audit_patron').execute();
    },
  },
  '0003_batches': {
    // One row per request's batch (its records for one chain, exception and reference) instead of
    // one row per record: a 1,000-loan listing discloses about 140 patrons, and 140 rows with
    // their index entries cost the writer several times the bytes and the CPU of one row. Each
    // record keeps its own place and hash in the chain, inside the batch's `records`.
    //
    // The patron index becomes a set of sorted runs (see AuditStore.fileSubjects): filing into one
    // B-tree keyed by patron rewrote pages all over it, more of them the larger the audit grew.
    // The filing thread refiles every record at its next start; until then lookups read them from
    // the chains.
    async up(db: Kysely<unknown>) {
      if (dialectOf(db) === 'postgres') return;
      await createBatches(db, 'integer primary key');
      let after = { chain: '', seq: 0 };
      for (;;) {
        const { rows } =
          await sql<RecordRow>`select * from audit_records where (chain, seq) > (${after.chain}, ${after.seq})
          order by chain, seq limit ${MOVE_CHUNK}`.execute(db);
        if (rows.length === 0) break;
        for (const run of runsOf(rows)) await moveRun(db, run);
        const last = rows[rows.length - 1]!;
        after = { chain: last.chain, seq: last.seq };
      }
      await sql`drop table audit_records`.execute(db);
      await sql`create trigger audit_no_update before update on audit_batches
        begin select raise(abort, 'the disclosure audit is append-only'); end`.execute(db);
      await sql`create trigger audit_no_delete before delete on audit_batches
        when (select open from audit_gate) = 0
        begin select raise(abort, 'the disclosure audit is append-only; use the retention purge'); end`.execute(
        db,
      );

      await sql`drop table audit_subjects`.execute(db);
      await sql`create table audit_subjects (
        run integer not null, chain text not null, patron_id text not null, seq integer not null,
        primary key (run, chain, patron_id, seq)) without rowid`.execute(db);
      await sql`create table audit_subject_runs (
        run integer primary key, level integer not null, entries integer not null, ranges text not null)`.execute(
        db,
      );
      await sql`update audit_subjects_upto set seq = 0`.execute(db);
    },
  },
  '0004_repeats': {
    // A request answered with another's execution (an identical request of the same caller, in
    // flight at once) discloses exactly what that one did. Its batch row may repeat the other's
    // records instead of holding its own copy: `repeats` names the repeated row's first seq in the
    // same chain (see repeatHash). Such a row holds no records, so nothing of it is filed under
    // patrons; a patron's lookup finds it through this index, from the row it repeats.
    async up(db: Kysely<unknown>) {
      await sql`alter table audit_batches add column repeats integer`.execute(db);
      await sql`create index audit_batches_repeats on audit_batches (chain, repeats) where repeats is not null`.execute(
        db,
      );
    },
  },
};

/**
 * The audit on PostgreSQL, which never held the per-record tables of 0001 and 0002: batch rows as
 * 0003 makes them, and the patron index as one B-tree, `audit_subjects (patron_id, batch_id, idx)`,
 * written in the append's own transaction. PostgreSQL keeps that B-tree up to date as rows arrive,
 * so the sorted runs SQLite needs (and their filing and merging) have no counterpart here, and a
 * patron's log is one backward index scan. Append-only by trigger as on SQLite; TRUNCATE too.
 */
async function postgresAudit(db: Kysely<unknown>): Promise<void> {
  await createBatches(db, 'bigint generated by default as identity primary key');
  await sql`create table audit_checkpoints (
    chain text not null, seq integer not null, hash text not null, at text not null, signature text not null,
    primary key (chain, seq))`.execute(db);
  await sql`create table audit_gate (open integer not null)`.execute(db);
  await sql`insert into audit_gate (open) values (0)`.execute(db);
  await sql`create table audit_subjects (
    patron_id text not null, batch_id bigint not null, idx integer not null, chain text not null, seq integer not null,
    primary key (patron_id, batch_id, idx))`.execute(db);
  await sql`create index audit_subjects_chain on audit_subjects (chain, seq)`.execute(db);
  // The functions resolve audit_gate in the schema they were made in, whatever the caller's path.
  await sql`create function audit_refuse() returns trigger language plpgsql set search_path from current as $$
    begin raise exception '%', tg_argv[0]; end $$`.execute(db);
  await sql`create function audit_delete_gate() returns trigger language plpgsql set search_path from current as $$
    begin
      if (select open from audit_gate) = 0 then raise exception 'the disclosure audit is append-only; use the retention purge'; end if;
      return old;
    end $$`.execute(db);
  await sql`create trigger audit_no_update before update on audit_batches
    for each row execute function audit_refuse('the disclosure audit is append-only')`.execute(db);
  await sql`create trigger audit_no_delete before delete on audit_batches for each row execute function audit_delete_gate()`.execute(
    db,
  );
  await sql`create trigger audit_no_truncate before truncate on audit_batches
    for each statement execute function audit_refuse('the disclosure audit is append-only; use the retention purge')`.execute(
    db,
  );
  await sql`create trigger audit_checkpoints_no_update before update on audit_checkpoints
    for each row execute function audit_refuse('audit checkpoints are append-only')`.execute(db);
  await sql`create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
    for each statement execute function audit_refuse('audit checkpoints are append-only')`.execute(
    db,
  );
}

/**
 * The batch rows' table and its index, as 0003_batches makes them on SQLite and postgresAudit on
 * PostgreSQL: only the id's type differs. SQLite keeps this text in its schema as written.
 */
async function createBatches(db: Kysely<unknown>, id: string): Promise<void> {
  await sql`create table audit_batches (
        id ${sql.raw(id)},
        chain text not null,
        first_seq integer not null,
        last_seq integer not null,
        at text not null,
        request_id text not null,
        principal text,
        roles text not null,
        exception text not null,
        reference text,
        purpose text,
        records text not null,
        prev_hash text not null,
        hash text not null,
        unique (chain, first_seq))`.execute(db);
  await sql`create index audit_batches_at on audit_batches (at)`.execute(db);
}

/** Consecutive rows of one chain, in order. */
function runsOf(rows: readonly RecordRow[]): RecordRow[][] {
  const runs: RecordRow[][] = [];
  for (const row of rows) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1]!.chain === row.chain) run.push(row);
    else runs.push([row]);
  }
  return runs;
}

/** Moves one chain's consecutive records into batch rows, keeping every record's seq and hash. */
async function moveRun(db: Kysely<unknown>, rows: readonly RecordRow[]): Promise<void> {
  const entries: DisclosureEntry[] = rows.map((r) => ({
    at: r.at,
    requestId: r.request_id,
    principal: r.principal,
    roles: JSON.parse(r.roles) as string[],
    exception: r.exception,
    reference: r.reference,
    purpose: r.purpose,
    patronId: r.patron_id,
    fields: JSON.parse(r.fields) as string[],
  }));
  let i = 0;
  for (const batch of batchesOf(entries)) {
    const part = rows.slice(i, i + batch.subjects.length);
    i += batch.subjects.length;
    const first = part[0]!;
    const last = part[part.length - 1]!;
    const records = JSON.stringify(
      batch.subjects.map((s, k) => [s.patronId, s.fields, part[k]!.hash]),
    );
    await sql`insert into audit_batches (chain, first_seq, last_seq, at, request_id, principal, roles, exception, reference, purpose, records, prev_hash, hash)
      values (${first.chain}, ${first.seq}, ${last.seq}, ${batch.at}, ${batch.requestId}, ${batch.principal}, ${first.roles}, ${batch.exception},
        ${batch.reference}, ${batch.purpose}, ${records}, ${first.prev_hash}, ${last.hash})`.execute(
      db,
    );
  }
}

/** The open audit: its SQLite file (the default), or its schema on PostgreSQL (AUDIT_DATABASE_URL). */
export type AuditDatabase = SqliteDatabase<AuditTables> | PostgresDatabase<PostgresAuditTables>;

/** The audit's SQLite database (tests and SQLite maintenance); throws for an audit on PostgreSQL. */
export function sqliteAudit(database: AuditDatabase): SqliteDatabase<AuditTables> {
  if (database.dialect !== 'sqlite')
    throw new Error(
      'this needs the audit in its SQLite file; it is on PostgreSQL (AUDIT_DATABASE_URL)',
    );
  return database;
}

/** Row shapes of the audit on PostgreSQL (postgresAudit): the patron index is one B-tree of every record. */
export interface PostgresAuditTables {
  audit_batches: AuditTables['audit_batches'];
  audit_checkpoints: AuditTables['audit_checkpoints'];
  /** Every record under its patron: `batch_id`/`idx` its place (the cursor), `chain`/`seq` its place in its chain. */
  audit_subjects: { patron_id: string; batch_id: number; idx: number; chain: string; seq: number };
  audit_gate: { open: number };
}

/** Row shapes of the audit database. */
export interface AuditTables {
  /** One request's records for one chain, exception and reference: seqs `first_seq..last_seq`. */
  audit_batches: {
    id: Generated<number>;
    chain: string;
    first_seq: number;
    last_seq: number;
    at: string;
    request_id: string;
    principal: string | null;
    /** JSON array of roles. */
    roles: string;
    exception: string;
    reference: string | null;
    purpose: string | null;
    /** JSON array, in seq order, of `[patronId, fields, hash]`: `fields` lists `Type.field`. */
    records: string;
    /** The hash of the record before the first. */
    prev_hash: string;
    /** The hash of the last record. */
    hash: string;
    /**
     * For a repeat (audit migration 0004_repeats): the `first_seq` of the row of the same chain
     * whose records it repeats, its `records` empty; else null.
     */
    repeats: number | null;
  };
  audit_checkpoints: { chain: string; seq: number; hash: string; at: string; signature: string };
  /** Records filed under their patron, in sorted runs: every record of a chain up to `audit_subjects_upto.seq`. */
  audit_subjects: { run: number; chain: string; patron_id: string; seq: number };
  /** The runs of the patron index; `ranges` is JSON `{ chain: [firstSeq, lastSeq] }`, the seqs a run may hold. */
  audit_subject_runs: { run: number; level: number; entries: number; ranges: string };
  /** Per chain, the last record filed in `audit_subjects`; later records are read from the chain. */
  audit_subjects_upto: { chain: string; seq: number };
  audit_gate: { open: number };
}
