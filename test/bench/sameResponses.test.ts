import { describe, expect, it } from 'vitest';
import { compareResponses, ResponsesDiffer, weakest } from '../../bench/sameResponses.js';

const page = '{"data":{"works":{"nodes":[{"id":"wk_1","title":"A"}],"totalCount":1}}}';

describe('bench:peers checks that the gateways answer alike before it measures them', () => {
  it.each([
    ['the same bytes', { apollo: page, hive: page }, 'byte-equal'],
    [
      "Apollo Server's trailing newline",
      { apollo: `${page}\n`, hive: page },
      'byte-equal but for trailing whitespace',
    ],
    [
      'whitespace between tokens',
      { apollo: page, hive: JSON.stringify(JSON.parse(page), null, 2) },
      'JSON-equal, same key order (whitespace differs)',
    ],
    [
      'keys in another order',
      {
        apollo: page,
        hive: '{"data":{"works":{"totalCount":1,"nodes":[{"title":"A","id":"wk_1"}]}}}',
      },
      'JSON-equal after key ordering',
    ],
  ])('accepts %s, and says how alike they were', (_, bodies, how) => {
    expect(compareResponses('catalog page', bodies)).toBe(how);
  });

  it.each([
    [
      'a different value',
      '{"data":{"works":{"nodes":[{"id":"wk_1","title":"B"}],"totalCount":1}}}',
      /catalog page: apollo and hive differ at \.data\.works\.nodes\[0\]\.title/,
    ],
    [
      'a redacted field',
      '{"data":{"works":{"nodes":[{"id":"wk_1","title":null}],"totalCount":1}}}',
      /differ at \.data\.works\.nodes\[0\]\.title/,
    ],
    ['a missing list entry', '{"data":{"works":{"nodes":[],"totalCount":1}}}', /length 1 vs 0/],
    [
      'a missing field',
      '{"data":{"works":{"nodes":[{"id":"wk_1"}],"totalCount":1}}}',
      /keys id,title vs id/,
    ],
    [
      'a GraphQL error',
      '{"data":null,"errors":[{"message":"Subgraph unreachable"}]}',
      /hive answered with errors: .*Subgraph unreachable/,
    ],
    ['no data', '{"errors":[]}', /hive answered without data/],
    ['a body that is not JSON', '<html>Bad Gateway</html>', /hive sent a body that is not JSON/],
  ])('refuses %s, naming the gateways and the place', (_, hive, message) => {
    expect(() => compareResponses('catalog page', { apollo: page, hive })).toThrow(ResponsesDiffer);
    expect(() => compareResponses('catalog page', { apollo: page, hive })).toThrow(message);
  });

  it('refuses a list in another order: order is part of the answer', () => {
    expect(() =>
      compareResponses('listing', {
        apollo: '{"data":{"ids":[1,2]}}',
        hive: '{"data":{"ids":[2,1]}}',
      }),
    ).toThrow(/differ at \.data\.ids\[0\] \(1 vs 2\)/);
  });

  it('keeps, over rounds, the least alike', () => {
    expect(weakest('byte-equal', 'JSON-equal after key ordering')).toBe(
      'JSON-equal after key ordering',
    );
    expect(weakest('byte-equal but for trailing whitespace', 'byte-equal')).toBe(
      'byte-equal but for trailing whitespace',
    );
  });
});
