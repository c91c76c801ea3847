import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Gateway from '@apollo/gateway';

/**
 * @apollo/gateway, loaded after making @apollo/federation-internals' exports plain properties.
 *
 * The package is CommonJS compiled by tsc: its index re-exports every submodule through a getter
 * per name (`__createBinding`), and the gateway's result shaping calls those re-exports
 * (`federation_internals_1.isCompositeType(...)` and the like) for every field of every response
 * object: a getter call per field is a sizeable part of shaping a large response. The gateway's
 * modules keep the exports object they first required, so the module's cached exports are
 * swapped, once, for a copy with the same values as plain properties before the gateway is
 * required. A copy is exact because the package assigns each export once, as its submodule loads,
 * and never later (a test holds the copy to every submodule's exports).
 *
 * Node runs a CommonJS package that an ES module imports statically before any ES module body,
 * so the gateway is required here rather than imported: import its values from this module.
 */
const require = createRequire(import.meta.url);

function plainFederationInternals(): void {
  const gatewayEntry = require.resolve('@apollo/gateway');
  if (require.cache[gatewayEntry]) return; // too late: the gateway already holds the original
  const entry = require.resolve('@apollo/federation-internals', {
    paths: [path.dirname(gatewayEntry)],
  });
  const original = require(entry) as Record<string, unknown>;
  const cached = require.cache[entry];
  if (!cached || cached.exports !== original) return;
  const plain: Record<string, unknown> = {};
  for (const name of Object.keys(original)) plain[name] = original[name];
  Object.defineProperty(plain, '__esModule', { value: true });
  cached.exports = plain;
}

try {
  plainFederationInternals();
} catch {
  // A speed-up only: a package laid out otherwise is left as it is, and the gateway loads as usual.
}

const gateway = require('@apollo/gateway') as typeof Gateway;

export const ApolloGateway = gateway.ApolloGateway;
export type ApolloGateway = Gateway.ApolloGateway;
export const RemoteGraphQLDataSource = gateway.RemoteGraphQLDataSource;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the gateway's own default
export type RemoteGraphQLDataSource<TContext extends Record<string, any> = Record<string, any>> =
  Gateway.RemoteGraphQLDataSource<TContext>;
