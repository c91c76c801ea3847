import { sql, type Kysely, type Selectable } from 'kysely';
import { byKey, groupBy } from '../../src/db/batch.js';
import type { CatalogTables } from './migrations.js';

export type WorkRow = Selectable<CatalogTables['works']>;
export type ItemRow = Selectable<CatalogTables['items']>;
export type BranchRow = Selectable<CatalogTables['branches']>;

/** A page of works with the total that matched. */
export interface WorkPage {
  rows: WorkRow[];
  hasNextPage: boolean;
  totalCount: number;
}

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Catalog's data access: batch reads keyed for DataLoaders, and the works search. */
export class CatalogStore {
  constructor(readonly db: Kysely<CatalogTables>) {}

  async worksByIds(ids: readonly string[]): Promise<(WorkRow | null)[]> {
    const rows = await this.db
      .selectFrom('works')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return byKey(ids, rows, (r) => r.id);
  }

  async itemsByIds(ids: readonly string[]): Promise<(ItemRow | null)[]> {
    const rows = await this.db
      .selectFrom('items')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return byKey(ids, rows, (r) => r.id);
  }

  async itemByBarcode(barcode: string): Promise<ItemRow | null> {
    return (
      (await this.db
        .selectFrom('items')
        .selectAll()
        .where('barcode', '=', barcode)
        .executeTakeFirst()) ?? null
    );
  }

  async itemsOfWorks(workIds: readonly string[]): Promise<ItemRow[][]> {
    const rows = await this.db
      .selectFrom('items')
      .selectAll()
      .where('work_id', 'in', [...workIds])
      .orderBy('id')
      .execute();
    return groupBy(workIds, rows, (r) => r.work_id);
  }

  async branchesByIds(ids: readonly string[]): Promise<(BranchRow | null)[]> {
    const rows = await this.db
      .selectFrom('branches')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return byKey(ids, rows, (r) => r.id);
  }

  async allBranches(): Promise<BranchRow[]> {
    return this.db.selectFrom('branches').selectAll().orderBy('name').execute();
  }

  /**
   * Works matching `search` in title, creators or subjects, by id, after the cursor's id; with
   * `count: false`, the total is not counted (reported as -1).
   */
  async searchWorks(options: {
    search: string | null;
    format: string | null;
    first: number;
    after: string | null;
    count?: boolean;
  }): Promise<WorkPage> {
    let query = this.db.selectFrom('works');
    if (options.search) {
      const pattern = `%${escapeLike(options.search)}%`;
      query = query.where((eb) =>
        eb.or([
          sql<boolean>`${eb.ref('title')} like ${pattern} escape '\\'`,
          sql<boolean>`${eb.ref('creators')} like ${pattern} escape '\\'`,
          sql<boolean>`${eb.ref('subjects')} like ${pattern} escape '\\'`,
        ]),
      );
    }
    if (options.format) query = query.where('format', '=', options.format);
    const total =
      options.count === false
        ? { n: -1 }
        : await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    let page = query
      .selectAll()
      .orderBy('id')
      .limit(options.first + 1);
    if (options.after) page = page.where('id', '>', options.after);
    const rows = await page.execute();
    return {
      rows: rows.slice(0, options.first),
      hasNextPage: rows.length > options.first,
      totalCount: Number(total.n),
    };
  }
}
