import { buildSubgraphSchema } from '@apollo/subgraph';
import type { Config } from '../../src/config/env.js';
import type { Database } from '../../src/db/open.js';
import type { FactsSource } from '../../src/privacy/enforce/privacyContext.js';
import { enforcePrivacy } from '../../src/privacy/enforce/enforce.js';
import { loadTypeDefs, mergeResolvers, type SubgraphService } from '../../src/subgraph/service.js';
import { createCatalogLoaders, newCatalogRows, type CatalogContext } from './context.js';
import type { CatalogTables } from './migrations.js';
import { catalogResolvers } from './resolvers.js';
import { CatalogStore } from './store.js';

/** Builds the catalog subgraph over an open database. */
export function createCatalogService(
  database: Database<CatalogTables>,
  options: { config: Config; facts: FactsSource },
): SubgraphService<CatalogContext> {
  const store = new CatalogStore(database.db);
  const schema = enforcePrivacy(
    buildSubgraphSchema({
      typeDefs: loadTypeDefs('catalog'),
      // The typed map, as the resolver map buildSubgraphSchema takes (the one adapter, no cast).
      resolvers: mergeResolvers(catalogResolvers),
    }),
    {
      enabled: options.config.privacyEnforcement,
    },
  );
  return {
    name: 'catalog',
    schema,
    facts: options.facts,
    createContext: (privacy) => {
      const rows = newCatalogRows();
      return { privacy, store, rows, loaders: createCatalogLoaders(store, rows) };
    },
    close: () => database.close(),
  };
}
