import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../src/gateway/apolloGateway.js';

/**
 * The gateway's result shaping calls @apollo/federation-internals' functions once per field of a
 * response; loading the gateway makes them plain values of the package's exports rather than
 * re-export getters, each the value the package gives it.
 */
describe('federation-internals as the gateway loads it', () => {
  const require = createRequire(import.meta.url);
  const gatewayEntry = require.resolve('@apollo/gateway');
  const exportsSeenByGateway = require(
    require.resolve('@apollo/federation-internals', { paths: [gatewayEntry] }),
  ) as Record<string, unknown>;

  it('holds what result shaping reads as plain values', () => {
    for (const name of ['isCompositeType', 'isListType', 'assert', 'typenameFieldName', 'ERRORS']) {
      const descriptor = Object.getOwnPropertyDescriptor(exportsSeenByGateway, name);
      expect(descriptor?.get, name).toBeUndefined();
      expect(descriptor?.value, name).toBeDefined();
    }
  });

  it('keeps every export of the package, each with the value its submodule gives it', () => {
    const index = require.resolve('@apollo/federation-internals', { paths: [gatewayEntry] });
    const reexported = [...fs.readFileSync(index, 'utf8').matchAll(/require\("(\.\/[^"]+)"\)/g)];
    let compared = 0;
    for (const [, file] of reexported) {
      const submodule = require(path.join(path.dirname(index), file!)) as Record<string, unknown>;
      for (const name of Object.keys(submodule)) {
        if (!(name in exportsSeenByGateway)) continue; // a name the index does not re-export
        expect(exportsSeenByGateway[name], `${file}: ${name}`).toBe(submodule[name]);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(300);
  });
});
