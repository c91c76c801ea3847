import { sql, type Generated, type Kysely } from 'kysely';
import { dialectOf, identityKey } from '../../src/db/dialect.js';
import type { Migrations } from '../../src/db/open.js';
import {
  createReleaseTables,
  unlinkTally,
  type ReleaseTables,
} from '../../src/analytics/release/tables.js';

/** Circulation tables, versioned: add a new entry for every change, never edit a shipped one. */
export const circulationMigrations: Migrations = {
  '0001_circulation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('patrons')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('card_number', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('address', 'text')
        .addColumn('birth_date', 'text', (c) => c.notNull())
        .addColumn('home_branch_id', 'text', (c) => c.notNull())
        .addColumn('pin_hash', 'text')
        .addColumn('reading_history', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // Circulation's own projection of catalog items: what lending rules need (work, format).
      await db.schema
        .createTable('items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('work_id', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('branch_id', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('items_work').on('items').column('work_id').execute();
      await db.schema
        .createTable('loans')
        .addColumn('id', 'integer', identityKey(db))
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('patron_id', 'text')
        .addColumn('branch_id', 'text', (c) => c.notNull())
        .addColumn('checked_out_at', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addColumn('returned_at', 'text')
        .addColumn('renewals', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('loans_patron')
        .on('loans')
        .columns(['patron_id', 'returned_at'])
        .execute();
      await db.schema
        .createIndex('loans_item')
        .on('loans')
        .columns(['item_id', 'returned_at'])
        .execute();
      await db.schema
        .createTable('holds')
        .addColumn('id', 'integer', identityKey(db))
        .addColumn('work_id', 'text', (c) => c.notNull())
        .addColumn('patron_id', 'text')
        .addColumn('pickup_branch_id', 'text', (c) => c.notNull())
        .addColumn('placed_at', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text')
        .addColumn('closed_at', 'text')
        .execute();
      await db.schema
        .createIndex('holds_work')
        .on('holds')
        .columns(['work_id', 'status'])
        .execute();
      await db.schema.createIndex('holds_patron').on('holds').column('patron_id').execute();
      await db.schema
        .createTable('fines')
        .addColumn('id', 'integer', identityKey(db))
        .addColumn('patron_id', 'text', (c) => c.notNull())
        .addColumn('loan_id', 'integer')
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('paid_at', 'text')
        .execute();
      await db.schema.createIndex('fines_patron').on('fines').column('patron_id').execute();
      // The registers behind the statute's exceptions (b), (c) and (d).
      await db.schema
        .createTable('consents')
        .addColumn('id', 'integer', identityKey(db))
        .addColumn('patron_id', 'text', (c) => c.notNull())
        .addColumn('grantee', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('document_ref', 'text', (c) => c.notNull())
        .addColumn('valid_from', 'text', (c) => c.notNull())
        .addColumn('valid_until', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('consents_patron')
        .on('consents')
        .columns(['patron_id', 'grantee'])
        .execute();
      await db.schema
        .createTable('legal_orders')
        .addColumn('id', 'integer', identityKey(db))
        .addColumn('reference', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('authority', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('valid_from', 'text', (c) => c.notNull())
        .addColumn('valid_until', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('legal_order_patrons')
        .addColumn('order_id', 'integer', (c) => c.notNull().references('legal_orders.id'))
        .addColumn('patron_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('legal_order_patrons_pk', ['order_id', 'patron_id'])
        .execute();
      await db.schema
        .createTable('guardianships')
        .addColumn('id', 'integer', identityKey(db))
        .addColumn('guardian_id', 'text', (c) => c.notNull())
        .addColumn('minor_id', 'text', (c) => c.notNull())
        .addColumn('evidence_ref', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('guardianships_pair', ['guardian_id', 'minor_id'])
        .execute();
    },
  },
  // Failed card logins, for the lockouts of authenticateWithCard: per card, per PIN across cards and
  // per client, one row each. Keyed by an HMAC of the card number (or PIN, or client key): the raw
  // value is never stored here, and a row says nothing about who the card is.
  '0002_card_login': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('card_login_attempts')
        .addColumn('card_key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'text')
        .execute();
    },
  },
  // What a loan keeps of its borrower once anonymized (and what statistics group by): the age
  // band at checkout and the home branch, never a birth date, postcode or pseudonym.
  '0003_loan_borrower_attributes': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('loans').addColumn('patron_age_band', 'text').execute();
      await db.schema.alterTable('loans').addColumn('patron_home_branch_id', 'text').execute();
    },
  },
  // Retention (src/retention): a paid fine is anonymized with its loan, so `fines.patron_id`
  // becomes nullable (SQLite rebuilds the table to drop NOT NULL), and the purge finds a loan's
  // fines, and whether any is unpaid, through an index instead of a scan.
  '0004_retention': {
    async up(db: Kysely<unknown>) {
      if (dialectOf(db) === 'postgres') {
        await db.schema
          .alterTable('fines')
          .alterColumn('patron_id', (c) => c.dropNotNull())
          .execute();
        await db.schema
          .createIndex('fines_loan')
          .on('fines')
          .columns(['loan_id', 'paid_at'])
          .execute();
        return;
      }
      await sql`CREATE TABLE fines_0004 (
        id integer PRIMARY KEY AUTOINCREMENT,
        patron_id text,
        loan_id integer,
        amount_cents integer NOT NULL,
        reason text NOT NULL,
        created_at text NOT NULL,
        paid_at text)`.execute(db);
      await sql`INSERT INTO fines_0004 (id, patron_id, loan_id, amount_cents, reason, created_at, paid_at)
        SELECT id, patron_id, loan_id, amount_cents, reason, created_at, paid_at FROM fines ORDER BY id`.execute(
        db,
      );
      await sql`DROP TABLE fines`.execute(db);
      await sql`ALTER TABLE fines_0004 RENAME TO fines`.execute(db);
      await db.schema.createIndex('fines_patron').on('fines').column('patron_id').execute();
      await db.schema
        .createIndex('fines_loan')
        .on('fines')
        .columns(['loan_id', 'paid_at'])
        .execute();
    },
  },
  // Two people for a legal order: who registered it, who approved it (a different custodian; until
  // then it discloses nothing), and until when its subject must not learn of it (sealed). An order
  // registered before this migration has neither: it discloses nothing until one custodian confirms
  // it (standing as its registrar) and a different one approves it (Registers.approveLegalOrder).
  '0005_legal_order_approval': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('legal_orders').addColumn('registered_by', 'text').execute();
      await db.schema.alterTable('legal_orders').addColumn('approved_by', 'text').execute();
      await db.schema.alterTable('legal_orders').addColumn('approved_at', 'text').execute();
      await db.schema.alterTable('legal_orders').addColumn('sealed_until', 'text').execute();
    },
  },
  // Statistics releases (src/analytics/release): the per-month tally of distinct borrowers and
  // the frozen, versioned releases every statistics answer is computed from.
  '0006_stats_releases': {
    async up(db: Kysely<unknown>) {
      await createReleaseTables(db);
    },
  },
  // Refused on-behalf card lookups per principal, so a staff token cannot enumerate card -> patron.
  '0007_on_behalf_refusals': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('on_behalf_refusals')
        .addColumn('principal', 'text', (c) => c.primaryKey())
        .addColumn('refusals', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // The tally keyed from configuration (TALLY_KEY), entries with a random identity, a row marked
  // once tallied: a copy of the database cannot link an anonymized row back to its patron.
  '0008_unlinkable_tally': {
    async up(db: Kysely<unknown>) {
      await unlinkTally(db);
    },
  },
};

/** Row shapes of the circulation database. Dates are ISO 8601 strings (UTC). */
export interface CirculationTables extends ReleaseTables {
  patrons: {
    id: string;
    card_number: string;
    name: string;
    email: string | null;
    phone: string | null;
    address: string | null;
    birth_date: string;
    home_branch_id: string;
    pin_hash: string | null;
    reading_history: number;
    created_at: string;
  };
  items: { id: string; work_id: string; format: string; branch_id: string };
  loans: {
    id: Generated<number>;
    item_id: string;
    /** Null once the loan is anonymized. */
    patron_id: string | null;
    branch_id: string;
    checked_out_at: string;
    due_at: string;
    returned_at: string | null;
    renewals: number;
    /** The borrower's age band on the day of checkout (see src/privacy/enforce/deidentify.ts). */
    patron_age_band: string | null;
    /** The borrower's home branch at checkout. */
    patron_home_branch_id: string | null;
  };
  holds: {
    id: Generated<number>;
    work_id: string;
    patron_id: string | null;
    pickup_branch_id: string;
    placed_at: string;
    status: string;
    item_id: string | null;
    closed_at: string | null;
  };
  fines: {
    id: Generated<number>;
    /** Null once the fine is paid and anonymized with its loan (migration 0004). */
    patron_id: string | null;
    loan_id: number | null;
    amount_cents: number;
    reason: string;
    created_at: string;
    paid_at: string | null;
  };
  consents: {
    id: Generated<number>;
    patron_id: string;
    grantee: string;
    /** JSON array of PatronDataCategory names. */
    scope: string;
    document_ref: string;
    valid_from: string;
    valid_until: string;
    revoked_at: string | null;
    created_at: string;
  };
  legal_orders: {
    id: Generated<number>;
    reference: string;
    kind: string;
    authority: string;
    /** JSON array of PatronDataCategory names. */
    scope: string;
    valid_from: string;
    valid_until: string;
    created_at: string;
    /** The custodian's principal who registered it (migration 0005). */
    registered_by: string | null;
    /** The different custodian who approved it; null until then, and the order discloses nothing. */
    approved_by: string | null;
    approved_at: string | null;
    /** Until this instant the order's disclosures stay out of its subjects' own logs. */
    sealed_until: string | null;
  };
  legal_order_patrons: { order_id: number; patron_id: string };
  guardianships: {
    id: Generated<number>;
    guardian_id: string;
    minor_id: string;
    evidence_ref: string;
    created_at: string;
  };
  card_login_attempts: CardLoginAttemptsTable;
  /** Refused on-behalf card lookups of one principal in its current window (migration 0006); never a card number. */
  on_behalf_refusals: { principal: string; refusals: number; window_start: string };
}

/** Recent failed card logins of one card, one PIN (across cards) or one client (migration 0002). */
export interface CardLoginAttemptsTable {
  /**
   * A keyed HMAC-SHA-256 (hex): of the card number (bare), of a PIN (`pin:`) or of the gateway's
   * client key (`client:`); never the number, the PIN or the address itself.
   */
  card_key: string;
  /** Failures counted in the current window, including attempts still being checked. */
  failures: number;
  /** ISO 8601 instant the current window began. */
  window_start: string;
  /** ISO 8601 instant until which the card is locked; null when it is not. */
  locked_until: string | null;
}
