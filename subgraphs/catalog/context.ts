import DataLoader from 'dataloader';
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
