import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  pagedStats,
  STATS_PAGE_MAX,
  STATS_PAGE_RESOLVERS,
} from '../../src/analytics/release/page.js';
import type { StatsShaper } from '../../src/analytics/shape.js';

/** An answer of `count` groups whose group i is `{ i }`. */
const answer = (count: number) => {
  const shaper: StatsShaper = {
    cells: (start, end) => Array.from({ length: end - start }, (_, k) => ({ i: start + k })),
    margins: [],
    total: {},
  };
  return pagedStats('identity', count, shaper);
};

describe('cells of a statistics answer', () => {
  it(`lists every group of an answer of at most ${STATS_PAGE_MAX}`, () => {
    const cells = STATS_PAGE_RESOLVERS.cells(answer(STATS_PAGE_MAX));
    expect(cells).toHaveLength(STATS_PAGE_MAX);
    expect(cells.at(-1)).toEqual({ i: STATS_PAGE_MAX - 1 });
  });

  it('refuses a larger answer with BAD_USER_INPUT naming cellPage, rather than listing its first part', () => {
    let error: unknown;
    try {
      STATS_PAGE_RESOLVERS.cells(answer(STATS_PAGE_MAX + 1));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    expect((error as GraphQLError).message).toContain(`${STATS_PAGE_MAX + 1} groups`);
    expect((error as GraphQLError).message).toContain('cellPage');
  });
});
