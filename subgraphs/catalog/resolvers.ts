import DataLoader from 'dataloader';
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { GraphQLResolverMap } from '../../src/subgraph/service.js';
import { graphError } from '../../src/errors/codes.js';
import type { EnforcedContext } from '../../src/privacy/enforce/enforce.js';
import type { BranchRow, CatalogStore, ItemRow, WorkRow } from './store.js';

/** Catalog's per-request loaders. */
export interface CatalogLoaders {
  work: DataLoader<string, WorkRow | null>;
  item: DataLoader<string, ItemRow | null>;
  branch: DataLoader<string, BranchRow | null>;
  itemsOfWork: DataLoader<string, ItemRow[]>;
}

/**
 * Rows a request has already read, by id: a field whose row is here resolves at once, without a
 * promise (a page of works asks for hundreds of items and their branches).
 */
export interface CatalogRows {
  branches: Map<string, BranchRow>;
  itemsOfWork: Map<string, ItemRow[]>;
}

/** Builds fresh loaders for one request; the branch loader keeps what it reads in `rows`. */
export function createCatalogLoaders(
  store: CatalogStore,
  rows: CatalogRows = newCatalogRows(),
): CatalogLoaders {
  return {
    work: new DataLoader((ids) => store.worksByIds(ids)),
    item: new DataLoader((ids) => store.itemsByIds(ids)),
    branch: new DataLoader(async (ids) => {
      const found = await store.branchesByIds(ids);
      for (const branch of found) if (branch) rows.branches.set(branch.id, branch);
      return found;
    }),
    itemsOfWork: new DataLoader((ids) => store.itemsOfWorks(ids)),
  };
}

/** An empty set of read rows, for one request. */
export const newCatalogRows = (): CatalogRows => ({ branches: new Map(), itemsOfWork: new Map() });

/** Catalog's request context. */
export interface CatalogContext extends EnforcedContext {
  store: CatalogStore;
  loaders: CatalogLoaders;
  rows: CatalogRows;
}

/** What a leaf field selects below it. */
const LEAF: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: [] };

/** The sub-selections of `field` among `selections` (through fragments): none when it is not asked for. */
function subselection(
  selections: readonly SelectionSetNode[],
  field: string,
  info: GraphQLResolveInfo,
): SelectionSetNode[] {
  const found: SelectionSetNode[] = [];
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === field) found.push(selection.selectionSet ?? LEAF);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  for (const set of selections) visit(set);
  return found;
}

/** Whether the query asks, below the current field, for the fields along `path`. */
function asksFor(info: GraphQLResolveInfo, ...path: string[]): boolean {
  let sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const field of path) {
    sets = subselection(sets, field, info);
    if (sets.length === 0) return false;
  }
  return true;
}

/**
 * Reads a page's items (and their branches) in one query each when the query asks for them, so
 * that `Work.items` and `Item.branch` answer from `ctx.rows` without a promise per work and item.
 * Skipped directives (@skip, @include) are not looked at: reading rows nobody asks for is harmless.
 */
async function readAhead(
  works: readonly WorkRow[],
  info: GraphQLResolveInfo,
  ctx: CatalogContext,
): Promise<void> {
  if (works.length === 0 || !asksFor(info, 'nodes', 'items')) return;
  const ids = works.map((w) => w.id);
  const items = await ctx.store.itemsOfWorks(ids);
  ids.forEach((id, i) => ctx.rows.itemsOfWork.set(id, items[i]!));
  if (!asksFor(info, 'nodes', 'items', 'branch')) return;
  const wanted = [...new Set(items.flat().map((item) => item.branch_id))].filter(
    (id) => !ctx.rows.branches.has(id),
  );
  if (wanted.length) await ctx.loaders.branch.loadMany(wanted);
}

const cursorOf = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
function idOfCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^wk_\d+$/.test(id))
    throw graphError('BAD_USER_INPUT', 'after is not a cursor this API returned.');
  return id;
}

const parseJsonList = (text: string): string[] => {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.map(String) : [];
};

/** Catalog's resolvers: public data only. */
export const catalogResolvers = {
  Query: {
    works: async (
      _: unknown,
      args: {
        search?: string | null;
        format?: string | null;
        first?: number;
        after?: string | null;
      },
      ctx: CatalogContext,
      info: GraphQLResolveInfo,
    ) => {
      const first = args.first ?? 20;
      if (first < 1 || first > 200)
        throw graphError('BAD_USER_INPUT', 'first must be between 1 and 200.');
      const search = args.search?.trim() || null;
      if (search && search.length > 200)
        throw graphError('BAD_USER_INPUT', 'search is longer than 200 characters.');
      const after = args.after ? idOfCursor(args.after) : null;
      const page = await ctx.store.searchWorks({
        search,
        format: args.format ?? null,
        first,
        after,
        count: asksFor(info, 'totalCount'),
      });
      for (const row of page.rows) ctx.loaders.work.prime(row.id, row);
      await readAhead(page.rows, info, ctx);
      const last = page.rows[page.rows.length - 1];
      return {
        nodes: page.rows,
        totalCount: page.totalCount,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? cursorOf(last.id) : null },
      };
    },
    work: (_: unknown, { id }: { id: string }, ctx: CatalogContext) => ctx.loaders.work.load(id),
    item: async (
      _: unknown,
      args: { id?: string | null; barcode?: string | null },
      ctx: CatalogContext,
    ) => {
      if (!args.id === !args.barcode)
        throw graphError('BAD_USER_INPUT', 'Give exactly one of id or barcode.');
      return args.id ? ctx.loaders.item.load(args.id) : ctx.store.itemByBarcode(args.barcode!);
    },
    branches: (_: unknown, __: unknown, ctx: CatalogContext) => ctx.store.allBranches(),
  },
  Work: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.work.load(ref.id),
    creators: (w: WorkRow) => parseJsonList(w.creators),
    subjects: (w: WorkRow) => parseJsonList(w.subjects),
    items: (w: WorkRow, _: unknown, ctx: CatalogContext) =>
      ctx.rows.itemsOfWork.get(w.id) ?? ctx.loaders.itemsOfWork.load(w.id),
  },
  Item: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.item.load(ref.id),
    work: async (i: ItemRow, _: unknown, ctx: CatalogContext) => ctx.loaders.work.load(i.work_id),
    branch: (i: ItemRow, _: unknown, ctx: CatalogContext) =>
      ctx.rows.branches.get(i.branch_id) ?? ctx.loaders.branch.load(i.branch_id),
    callNumber: (i: ItemRow) => i.call_number,
  },
  Branch: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) =>
      ctx.loaders.branch.load(ref.id),
  },
} as unknown as GraphQLResolverMap;
