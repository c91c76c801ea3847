/**
 * What production start-up loads without being asked: `npm start` and the services it runs never
 * load the development seeder (src/dev/seed, faker) or the playground's builder (esbuild) through a
 * static import. Dynamic imports, made only when seeding or a build is asked for, are left out of
 * this cruise, so what remains reachable is what every start loads.
 */
import base from './.dependency-cruiser.mjs';

const { options } = base;

/** The modules of a production start: the command, the app, the supervisor and the services. */
const START_UP =
  '^(src/cli/start[.]ts$|src/(app|gateway|subgraph|supervisor)/|subgraphs/[a-z]+/service[.]ts$)';

export default {
  forbidden: [
    {
      name: 'start-up-loads-no-development-tool',
      severity: 'error',
      comment:
        'The seeder, faker and the playground builder are development tools: start-up reaches them only by a dynamic import, when seeding or a build is asked for.',
      from: { path: START_UP },
      to: {
        path: [
          '^src/dev/seed/',
          'node_modules/@faker-js/',
          '^src/playground/build[.]ts$',
          'node_modules/esbuild/',
        ],
        reachable: true,
      },
    },
    {
      name: 'start-up-imports-no-dev-dependency',
      severity: 'error',
      comment:
        'A production install has no devDependencies (npm ci --omit=dev): what start-up loads must be in dependencies.',
      // The seeder is the rule above's; react/jsx-runtime is a false edge: the cruiser's transpile
      // reads a generic arrow function (`<T>(x: T) => ...`) as JSX.
      from: { path: '^(src|subgraphs)/', pathNot: '^src/dev/seed/' },
      to: { dependencyTypes: ['npm-dev'], pathNot: 'node_modules/react/jsx-runtime[.]js$' },
    },
  ],
  // Runtime edges only: a type-only import loads nothing.
  options: {
    ...options,
    tsPreCompilationDeps: false,
    exclude: { path: options.exclude.path, dynamic: true },
  },
};
