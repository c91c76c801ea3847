import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: two files at a time keeps end-to-end graphs from starving each other.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
