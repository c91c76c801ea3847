import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types generated from each subgraph's SDL (`npm run codegen`; `-- --check` in lint fails
 * when the committed output is stale). Each subgraph's resolvers are typed against its own
 * schema, with its parent objects (mappers) and its request context. Events first; the other
 * subgraphs follow as their resolvers are next touched.
 */
const config: CodegenConfig = {
  overwrite: true,
  generates: {
    'subgraphs/events/generated/resolvers.ts': {
      schema: 'subgraphs/events/schema.graphql',
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: false,
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
        contextType: '../context.js#EventsContext',
        mappers: {
          Event: '../store.js#EventRow',
          Registration: '../store.js#RegistrationRow',
        },
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
