/**
 * The layers of the code, checked by dependency-cruiser in `npm run lint` (`npm run lint:deps`).
 * Lower layers never import higher ones:
 *
 *   errors, config                  vocabularies and settings; import nothing of the domain
 *   privacy core (context, decide,  the policy as data and a pure decision
 *     schema)
 *   privacy (authenticate, sign,    the mechanisms that carry the policy; no transport, no service
 *     redact, audit, facts)
 *   http, limits, ratelimit, db,    adapters and guards
 *     retention, analytics, ...
 *   gateway, subgraph, subgraphs/   the services
 *   app, cli, supervisor, seed,     start-up, commands and development tools
 *     playground
 *
 * Type-only imports count: a type is part of the layer that declares it. What production start-up
 * may load statically is checked by `.dependency-cruiser.startup.mjs`.
 */

/** The policy core: its vocabulary, the request's context, the rules and the decision. */
const PRIVACY_CORE = '^src/privacy/((context|decide|schema)/|vocabulary[.]ts$)';

/** Services, start-up and tools: nothing of the privacy mechanism may import them. */
const SERVICES = '^(src/(gateway|subgraph|app|cli|supervisor|playground|dev|compose)/|subgraphs/)';

/**
 * Known violations of libraries-do-not-import-subgraphs: these jobs read the subgraphs' databases
 * with the table types their migrations declare (`CirculationTables`, `EventsTables`), while the
 * subgraphs call them (anonymize on return, the release tables). Type-only, so no runtime cycle.
 */
const TABLE_READERS = [
  '^src/retention/(anonymize|purge)[.]ts$',
  '^src/analytics/(exportAnalytics|loanRecords)[.]ts$',
];

export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle: the modules cannot be read, tested or loaded one without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'privacy-core-is-pure',
      severity: 'error',
      comment:
        'The policy core (vocabulary, context, decide, schema) depends only on itself and the error registry: no HTTP, storage, service or configuration code.',
      from: { path: PRIVACY_CORE },
      to: { path: '^(src|subgraphs)/', pathNot: [PRIVACY_CORE, '^src/errors/'] },
    },
    {
      name: 'privacy-has-no-transport',
      severity: 'error',
      comment:
        'The privacy mechanism imports no HTTP adapter, service, start-up or tool; the services plug it in (an HTTP refusal is an error of src/errors).',
      from: { path: '^src/privacy/' },
      to: { path: ['^src/http/', SERVICES] },
    },
    {
      name: 'audit-does-not-enforce',
      severity: 'error',
      comment:
        'The resolver guard (enforce/) records into the audit; the audit never reaches back into the guard.',
      from: { path: '^src/privacy/audit/' },
      to: { path: '^src/privacy/enforce/' },
    },
    {
      name: 'config-imports-no-domain',
      severity: 'error',
      comment:
        'Configuration parses what an operator sets; it imports nothing of the domain, the services or the tools. The guards of limits/ and ratelimit/ keep their variables in their own config.ts, which config/env.ts composes.',
      from: { path: '^src/config/' },
      to: {
        path: [
          '^src/(privacy|retention|analytics|http|db|dev|log)/',
          SERVICES,
          '^src/(limits|ratelimit)/(?!config\\.ts$)',
        ],
      },
    },
    {
      name: 'libraries-do-not-import-subgraphs',
      severity: 'error',
      comment:
        'The subgraphs use the libraries of src/, not the reverse; only start-up, commands and the seeder compose them.',
      from: { path: '^src/', pathNot: ['^src/(app|cli|dev)/', ...TABLE_READERS] },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'table-readers-read-only-table-types',
      severity: 'error',
      comment:
        "Known violation, kept narrow: the retention jobs and the analytics export read the subgraphs' tables, typed by the subgraphs' migrations. They may import those table types and nothing else of subgraphs/ until the types have a home below both.",
      from: { path: TABLE_READERS },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/[a-z]+/migrations[.]ts$' },
    },
    {
      name: 'table-readers-import-types-only',
      severity: 'error',
      comment:
        'The table types only: a runtime import of a subgraph from these would close a cycle.',
      from: { path: TABLE_READERS },
      to: { path: '^subgraphs/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'gateway-loads-the-playground-on-demand',
      severity: 'error',
      comment:
        'The playground is loaded only when it is configured (a dynamic import), so the gateway runs without it.',
      from: { path: '^src/gateway/' },
      to: { path: '^src/playground/', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'no-deep-package-imports',
      severity: 'error',
      comment:
        "A package's dist/ internals are not its API and move between releases: an @apollo import resolves to an entry point (an index file, where the package's main or exports map points), never to another file of dist/.",
      from: {},
      to: {
        path: 'node_modules/@apollo/[^/]+/dist/',
        pathNot: 'node_modules/@apollo/[^/]+/dist/[a-zA-Z/-]*index[.](js|d[.]ts)$',
      },
    },
    {
      name: 'no-undeclared-packages',
      severity: 'error',
      comment:
        "A package imported but not in package.json works only while another package happens to bring it. Known: graphql-armor's rules come through @escape.tech/graphql-armor (declare @escape.tech/graphql-armor-max-aliases, -max-depth and -max-directives instead), and @apollo/server-gateway-interface through @apollo/server.",
      from: {},
      to: {
        dependencyTypes: ['npm-no-pkg', 'npm-unknown'],
        pathNot:
          'node_modules/@(escape[.]tech/graphql-armor-max-(aliases|depth|directives)|apollo/server-gateway-interface)/',
      },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file on disk.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
