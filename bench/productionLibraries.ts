/**
 * Imported first by benchmarks: libraries that read NODE_ENV when they load (graphql-js checks
 * every `instanceof` for duplicate modules outside production) run as they do when deployed
 * (NODE_ENV=production), while the graph's own configuration is the one the benchmark passes to
 * loadConfig. Run with NODE_ENV set (e.g. NODE_ENV=test) to measure their development mode.
 */
process.env.NODE_ENV ??= 'production';
export const libraryMode = process.env.NODE_ENV;
