import { parse, visit, type FieldNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { restoreRedactions } from '../../src/gateway/prefilter/restoreRedactions.js';

describe("restoring the pre-filter's redactions", () => {
  it('applies a fragment spread twice to one object once: 2^40 spreads finish, each drop redacted once', () => {
    const levels = 40;
    const fragments = ['fragment F0 on Branch { id secret }'];
    for (let i = 1; i <= levels; i += 1)
      fragments.push(`fragment F${i} on Branch { ...F${i - 1} ...F${i - 1} }`);
    const document = parse(`query { branches { ...F${levels} } } ${fragments.join(' ')}`);
    // The pre-filter dropped `secret`; the subgraphs answered the rest.
    const dropped = new Set<FieldNode>();
    visit(document, { Field: (node) => void (node.name.value === 'secret' && dropped.add(node)) });
    expect(dropped.size).toBe(1);
    const data = { branches: Array.from({ length: 10 }, (_, i) => ({ id: `br_${i}` })) };
    const restored = restoreRedactions(document, null, dropped, data);
    expect(restored.data).toEqual({
      branches: data.branches.map(({ id }) => ({ id, secret: null })),
    });
    expect(restored.errors.map((e) => e.path)).toEqual(
      data.branches.map((_, i) => ['branches', i, 'secret']),
    );
    expect(restored.errors.every((e) => e.extensions?.code === 'PRIVACY_REDACTED')).toBe(true);
  });

  it('still applies a fragment to every object of a list and at every place it is spread', () => {
    const document = parse('query { a { ...F } b { ...F } } fragment F on T { x hidden }');
    const dropped = new Set<FieldNode>();
    visit(document, { Field: (node) => void (node.name.value === 'hidden' && dropped.add(node)) });
    const restored = restoreRedactions(document, null, dropped, {
      a: [{ x: 1 }, { x: 2 }],
      b: { x: 3 },
    });
    expect(restored.data).toEqual({
      a: [
        { x: 1, hidden: null },
        { x: 2, hidden: null },
      ],
      b: { x: 3, hidden: null },
    });
    expect(restored.errors).toHaveLength(3);
  });
});
