import type { Kysely } from 'kysely';
import type { Migrations } from '../../src/db/open.js';

/** Catalog tables, versioned: add a new entry for every change, never edit a shipped one. */
export const catalogMigrations: Migrations = {
  '0001_catalog': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('branches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('works')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('creators', 'text', (c) => c.notNull())
        .addColumn('subjects', 'text', (c) => c.notNull())
        .addColumn('isbn', 'text')
        .addColumn('year', 'integer')
        .addColumn('format', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('work_id', 'text', (c) => c.notNull().references('works.id'))
        .addColumn('barcode', 'text', (c) => c.notNull().unique())
        .addColumn('branch_id', 'text', (c) => c.notNull().references('branches.id'))
        .addColumn('call_number', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('IN_SERVICE'))
        .execute();
      await db.schema.createIndex('items_work').on('items').column('work_id').execute();
    },
  },
};

/** Row shapes of the catalog database. */
export interface CatalogTables {
  branches: { id: string; code: string; name: string; address: string };
  works: {
    id: string;
    title: string;
    /** JSON array of names. */
    creators: string;
    /** JSON array of subject headings. */
    subjects: string;
    isbn: string | null;
    year: number | null;
    format: string;
  };
  items: {
    id: string;
    work_id: string;
    barcode: string;
    branch_id: string;
    call_number: string;
    status: string;
  };
}
