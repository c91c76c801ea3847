import DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '../../src/subgraph/service.js';
import { graphError } from '../../src/errors/codes.js';
import type { EnforcedContext } from '../../src/privacy/redact/enforce.js';
import type { BranchRow, CatalogStore, ItemRow, WorkRow } from './store.js';

/** Catalog's per-request loaders. */
export interface CatalogLoaders {
  work: DataLoader<string, WorkRow | null>;
  item: DataLoader<string, ItemRow | null>;
  branch: DataLoader<string, BranchRow | null>;
  itemsOfWork: DataLoader<string, ItemRow[]>;
}

/** Builds fresh loaders for one request. */
export function createCatalogLoaders(store: CatalogStore): CatalogLoaders {
  return {
    work: new DataLoader((ids) => store.worksByIds(ids)),
    item: new DataLoader((ids) => store.itemsByIds(ids)),
    branch: new DataLoader((ids) => store.branchesByIds(ids)),
    itemsOfWork: new DataLoader((ids) => store.itemsOfWorks(ids)),
  };
}

/** Catalog's request context. */
export interface CatalogContext extends EnforcedContext {
  store: CatalogStore;
  loaders: CatalogLoaders;
}

const cursorOf = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
function idOfCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^wk_\d+$/.test(id)) throw graphError('BAD_USER_INPUT', 'after is not a cursor this API returned.');
  return id;
}

const parseJsonList = (text: string): string[] => {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.map(String) : [];
};

/** Catalog's resolvers: public data only. */
export const catalogResolvers = {
  Query: {
    works: async (_: unknown, args: { search?: string | null; format?: string | null; first?: number; after?: string | null }, ctx: CatalogContext) => {
      const first = args.first ?? 20;
      if (first < 1 || first > 200) throw graphError('BAD_USER_INPUT', 'first must be between 1 and 200.');
      const search = args.search?.trim() || null;
      if (search && search.length > 200) throw graphError('BAD_USER_INPUT', 'search is longer than 200 characters.');
      const page = await ctx.store.searchWorks({ search, format: args.format ?? null, first, after: args.after ? idOfCursor(args.after) : null });
      for (const row of page.rows) ctx.loaders.work.prime(row.id, row);
      const last = page.rows[page.rows.length - 1];
      return {
        nodes: page.rows,
        totalCount: page.totalCount,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? cursorOf(last.id) : null },
      };
    },
    work: (_: unknown, { id }: { id: string }, ctx: CatalogContext) => ctx.loaders.work.load(id),
    item: async (_: unknown, args: { id?: string | null; barcode?: string | null }, ctx: CatalogContext) => {
      if (!args.id === !args.barcode) throw graphError('BAD_USER_INPUT', 'Give exactly one of id or barcode.');
      return args.id ? ctx.loaders.item.load(args.id) : ctx.store.itemByBarcode(args.barcode!);
    },
    branches: (_: unknown, __: unknown, ctx: CatalogContext) => ctx.store.allBranches(),
  },
  Work: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.work.load(ref.id),
    creators: (w: WorkRow) => parseJsonList(w.creators),
    subjects: (w: WorkRow) => parseJsonList(w.subjects),
    items: (w: WorkRow, _: unknown, ctx: CatalogContext) => ctx.loaders.itemsOfWork.load(w.id),
  },
  Item: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.item.load(ref.id),
    work: async (i: ItemRow, _: unknown, ctx: CatalogContext) => ctx.loaders.work.load(i.work_id),
    branch: (i: ItemRow, _: unknown, ctx: CatalogContext) => ctx.loaders.branch.load(i.branch_id),
    callNumber: (i: ItemRow) => i.call_number,
  },
  Branch: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.branch.load(ref.id),
  },
} as unknown as GraphQLResolverMap;
