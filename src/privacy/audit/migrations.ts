import { sql, type Kysely } from 'kysely';
import type { Migrations } from '../../db/open.js';

/**
 * The disclosure audit: one database written by every subgraph, one hash chain per subgraph.
 * Append-only by trigger: rows are never updated, and deleted only by the retention purge, which
 * opens the gate in its own transaction and leaves a signed checkpoint of the cut.
 */
export const auditMigrations: Migrations = {
  '0001_audit': {
    async up(db: Kysely<unknown>) {
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
      await db.schema.createIndex('audit_patron').on('audit_records').columns(['patron_id', 'at']).execute();
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
      await db.schema.createTable('audit_gate').addColumn('open', 'integer', (c) => c.notNull()).execute();
      await sql`insert into audit_gate (open) values (0)`.execute(db);
      await sql`create trigger audit_no_update before update on audit_records
        begin select raise(abort, 'the disclosure audit is append-only'); end`.execute(db);
      await sql`create trigger audit_no_delete before delete on audit_records
        when (select open from audit_gate) = 0
        begin select raise(abort, 'the disclosure audit is append-only; use the retention purge'); end`.execute(db);
      await sql`create trigger audit_checkpoints_no_update before update on audit_checkpoints
        begin select raise(abort, 'audit checkpoints are append-only'); end`.execute(db);
    },
  },
  '0002_subject_index': {
    // The per-patron index moves out of the append path: an index entry per record made the
    // write touch one random page per subject. Records now go in alone; the writer thread files
    // them under their patrons in bulk, sorted, and lookups read the unfiled tail directly.
    async up(db: Kysely<unknown>) {
      await sql`create table audit_subjects (
        patron_id text not null, chain text not null, seq integer not null,
        primary key (patron_id, chain, seq)) without rowid`.execute(db);
      await sql`create table audit_subjects_upto (chain text primary key, seq integer not null)`.execute(db);
      await sql`insert into audit_subjects select patron_id, chain, seq from audit_records order by patron_id`.execute(db);
      await sql`insert into audit_subjects_upto select chain, max(seq) from audit_records group by chain`.execute(db);
      await db.schema.dropIndex('audit_patron').execute();
    },
  },
};

/** Row shapes of the audit database. */
export interface AuditTables {
  audit_records: {
    chain: string;
    seq: number;
    at: string;
    request_id: string;
    principal: string | null;
    /** JSON array of roles. */
    roles: string;
    exception: string;
    patron_id: string;
    /** JSON array of `Type.field`. */
    fields: string;
    reference: string | null;
    purpose: string | null;
    prev_hash: string;
    hash: string;
  };
  audit_checkpoints: { chain: string; seq: number; hash: string; at: string; signature: string };
  /** Records filed under their patron: every record of a chain up to `audit_subjects_upto.seq`. */
  audit_subjects: { patron_id: string; chain: string; seq: number };
  /** Per chain, the last record filed in `audit_subjects`; later records are read from the chain. */
  audit_subjects_upto: { chain: string; seq: number };
  audit_gate: { open: number };
}
