import type { CodegenConfig } from '@graphql-codegen/cli';

/** What every subgraph's resolver types share: federation, type imports, enums as string unions. */
const common = {
  federation: true,
  useIndexSignature: false,
  useTypeImports: true,
  emitLegacyCommonJSImports: false,
  enumsAsTypes: true,
} as const;

/**
 * Resolver types generated from each subgraph's SDL (`npm run codegen`; `-- --check` in lint fails
 * when the committed output is stale). Each subgraph's resolvers are typed against its own
 * schema, with its parent objects (mappers: the rows its store returns) and its request context.
 */
const config: CodegenConfig = {
  overwrite: true,
  generates: {
    'subgraphs/catalog/generated/resolvers.ts': {
      schema: 'subgraphs/catalog/schema.graphql',
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        ...common,
        contextType: '../context.js#CatalogContext',
        mappers: {
          Work: '../store.js#WorkRow',
          Item: '../store.js#ItemRow',
          Branch: '../store.js#BranchRow',
        },
        scalars: { DateTime: 'string' },
      },
    },
    'subgraphs/circulation/generated/resolvers.ts': {
      schema: 'subgraphs/circulation/schema.graphql',
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        ...common,
        contextType: '../context.js#CirculationContext',
        mappers: {
          Patron: '../parents.js#PatronParent',
          Loan: '../store.js#LoanRow',
          Hold: '../store.js#HoldRow',
          Fine: '../store.js#FineRow',
          Item: '../parents.js#EntityReference',
          Work: '../parents.js#EntityReference',
          Consent: '../registers.js#ConsentRecord',
          LegalOrder: '../registers.js#LegalOrderRecord',
          Guardianship: '../registers.js#GuardianshipRecord',
          CardLogin: '../cardLogin.js#CardLoginResult',
        },
        scalars: { DateTime: 'string', Date: 'string' },
      },
    },
    'subgraphs/events/generated/resolvers.ts': {
      schema: 'subgraphs/events/schema.graphql',
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        ...common,
        contextType: '../context.js#EventsContext',
        mappers: {
          Event: '../store.js#EventRow',
          Registration: '../store.js#RegistrationRow',
        },
        scalars: { DateTime: 'string' },
      },
    },
  },
};

export default config;
