// Loaded with NODE_OPTIONS=--import into every process of a benchmark's graph (bench/harness.ts,
// `libraries: 'production'`): loads graphql-js as a deployed graph loads it, with
// NODE_ENV=production (its `instanceOf` then skips the development check for duplicate modules,
// which costs every type test of an execution), then restores NODE_ENV, so the graph still reads
// the benchmark's configuration (development keys, NODE_ENV=test). graphql-js decides once, when
// it loads; every later import of it gets this instance.
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const configured = process.env.NODE_ENV;
process.env.NODE_ENV = 'production';
try {
  createRequire(path.resolve(process.argv[1] ?? 'index.js'))('graphql');
} finally {
  if (configured === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = configured;
}
