import type { Generated, Kysely } from 'kysely';
import { identityKey } from '../../src/db/dialect.js';
import type { Migrations } from '../../src/db/open.js';
import {
  createReleaseTables,
  unlinkTally,
  type ReleaseTables,
} from '../../src/analytics/release/tables.js';

/** Events tables, versioned: add a new entry for every change, never edit a shipped one. */
export const eventsMigrations: Migrations = {
  '0001_events': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('branch_id', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'text', (c) => c.notNull())
        .addColumn('ends_at', 'text', (c) => c.notNull())
        .addColumn('capacity', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_start').on('events').column('starts_at').execute();
      await db.schema
        .createTable('registrations')
        .addColumn('id', 'integer', identityKey(db))
        .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
        .addColumn('patron_id', 'text')
        .addColumn('registered_at', 'text', (c) => c.notNull())
        .addColumn('attended', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('registrations_event')
        .on('registrations')
        .column('event_id')
        .execute();
      await db.schema
        .createIndex('registrations_patron')
        .on('registrations')
        .column('patron_id')
        .execute();
      await db.schema
        .createIndex('registrations_once')
        .on('registrations')
        .columns(['event_id', 'patron_id'])
        .unique()
        .execute();
    },
  },
  // Statistics releases (src/analytics/release): the per-month tally of distinct registrants and
  // the frozen, versioned releases every statistics answer is computed from.
  '0002_stats_releases': {
    async up(db: Kysely<unknown>) {
      await createReleaseTables(db);
    },
  },
  // The tally keyed from configuration (TALLY_KEY), entries with a random identity, a row marked
  // once tallied: a copy of the database cannot link an anonymized row back to its patron.
  '0003_unlinkable_tally': {
    async up(db: Kysely<unknown>) {
      await unlinkTally(db);
    },
  },
};

/** Row shapes of the events database. */
export interface EventsTables extends ReleaseTables {
  events: {
    id: string;
    title: string;
    description: string;
    branch_id: string;
    starts_at: string;
    ends_at: string;
    capacity: number;
  };
  registrations: {
    id: Generated<number>;
    event_id: string;
    /** Null once the registration is anonymized after the event. */
    patron_id: string | null;
    registered_at: string;
    attended: number;
  };
}
