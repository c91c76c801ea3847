import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { ERRORS } from '../../src/errors/codes.js';
import type { CatalogContext } from './context.js';
import type { Resolvers } from './generated/resolvers.js';
import type { WorkRow } from './store.js';

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
    throw ERRORS.BAD_USER_INPUT.err('after is not a cursor this API returned.');
  return id;
}

const parseJsonList = (text: string): string[] => {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.map(String) : [];
};

/** A row a foreign key guarantees: a missing one is a broken database (masked), not a client's error. */
async function mustExist<T>(row: Promise<T | null>, what: string): Promise<T> {
  const found = await row;
  if (!found) throw new Error(what);
  return found;
}

/** Catalog's resolvers: public data only. */
export const catalogResolvers = {
  Query: {
    works: async (_, args, ctx, info) => {
      const first = args.first ?? 20;
      if (first < 1 || first > 200)
        throw ERRORS.BAD_USER_INPUT.err('first must be between 1 and 200.');
      const search = args.search?.trim() || null;
      if (search && search.length > 200)
        throw ERRORS.BAD_USER_INPUT.err('search is longer than 200 characters.');
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
    work: (_, { id }, ctx) => ctx.loaders.work.load(id),
    item: async (_, args, ctx) => {
      if (!args.id === !args.barcode)
        throw ERRORS.BAD_USER_INPUT.err('Give exactly one of id or barcode.');
      return args.id ? ctx.loaders.item.load(args.id) : ctx.store.itemByBarcode(args.barcode!);
    },
    branches: (_, __, ctx) => ctx.store.allBranches(),
  },
  Work: {
    __resolveReference: (ref, ctx) => ctx.loaders.work.load(ref.id),
    creators: (w) => parseJsonList(w.creators),
    subjects: (w) => parseJsonList(w.subjects),
    items: (w, _, ctx) => ctx.rows.itemsOfWork.get(w.id) ?? ctx.loaders.itemsOfWork.load(w.id),
  },
  Item: {
    __resolveReference: (ref, ctx) => ctx.loaders.item.load(ref.id),
    work: (i, _, ctx) => mustExist(ctx.loaders.work.load(i.work_id), `item ${i.id} names no work`),
    branch: (i, _, ctx) =>
      ctx.rows.branches.get(i.branch_id) ??
      mustExist(ctx.loaders.branch.load(i.branch_id), `item ${i.id} names no branch`),
    callNumber: (i) => i.call_number,
  },
  Branch: {
    __resolveReference: (ref, ctx) => ctx.loaders.branch.load(ref.id),
  },
} satisfies Resolvers;
