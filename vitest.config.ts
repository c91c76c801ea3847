import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // One graphql instance for everything: Apollo's CommonJS packages load graphql's CommonJS
  // build, and Vite would otherwise hand our ESM code the .mjs build (two realms, "another module").
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: two files at a time keeps end-to-end graphs from starving each other.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
