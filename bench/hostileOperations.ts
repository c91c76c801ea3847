/**
 * The hostile operations of issue 14, as request bodies, with the answer each must get: shared by
 * `npm run bench:hostile` (which times them) and test/limits (which checks them).
 */

/** One hostile request and the refusal it must get. */
export interface HostileOperation {
  name: string;
  /** The raw JSON body sent. */
  body: () => string;
  status: number;
  code: string;
  /** What the refusal's message must say (limit, value and figure). */
  message: RegExp;
}

/**
 * `{ a { b { a { b ... { id } } } } }`: `levels` fields cycling through `cycle`, after `prefix`.
 * The selection's depth is prefix.length + levels + 1.
 */
export function nest(prefix: string[], cycle: string[], levels: number): string {
  const path = [...prefix, ...Array.from({ length: levels }, (_, i) => cycle[i % cycle.length]!)];
  return `{ ${path.join(' { ')} { id ${'} '.repeat(path.length)}}`;
}

const json = (query: string, variables?: Record<string, unknown>) =>
  JSON.stringify({ query, variables });
const MiB = 1024 * 1024;

/** The refusal of an operation over a complexity limit (depth, tokens), before any planning. */
const TOO_COMPLEX = { status: 400, code: 'OPERATION_TOO_COMPLEX' } as const;

/** The refusal of the two operations over the token limit. */
const TOO_MANY_TOKENS = {
  ...TOO_COMPLEX,
  message:
    /^Operation too complex: tokens more than 20,000 is over the limit of 5,000 \(LIMIT_TOKENS\)\.$/,
};

/** The refusal of the two bodies over the byte limit, at the door. */
const TOO_LARGE = {
  status: 413,
  code: 'PAYLOAD_TOO_LARGE',
  message:
    /^Request body too large: [\d,]+ bytes is over the limit of 1,048,576 bytes \(LIMIT_BODY_BYTES\)\.$/,
};

/** Every hostile operation the issue names, in its order. */
export const HOSTILE: readonly HostileOperation[] = [
  {
    name: '40-level works/items nesting',
    body: () => json(nest(['works(first: 20)', 'nodes'], ['items', 'work'], 40)),
    ...TOO_COMPLEX,
    message: /^Operation too complex: depth 43 is over the limit of 12 \(LIMIT_DEPTH\)\.$/,
  },
  {
    name: '25-level events/registrations nesting',
    body: () => json(nest(['events'], ['registrations', 'event'], 25)),
    ...TOO_COMPLEX,
    message: /^Operation too complex: depth 27 is over the limit of 12 \(LIMIT_DEPTH\)\.$/,
  },
  {
    name: '10,000 aliases of branches { name }',
    body: () =>
      json(`{ ${Array.from({ length: 10_000 }, (_, i) => `b${i}: branches { name }`).join(' ')} }`),
    ...TOO_MANY_TOKENS,
  },
  {
    name: 'depth 50',
    body: () => json(nest(['me'], ['loans', 'patron'], 49)),
    ...TOO_COMPLEX,
    message: /^Operation too complex: depth 51 is over the limit of 12 \(LIMIT_DEPTH\)\.$/,
  },
  {
    name: '150,000 tokens',
    body: () => json(`{ branches { ${'id '.repeat(150_000)}} }`),
    ...TOO_MANY_TOKENS,
  },
  {
    name: '3 MB variable',
    body: () =>
      json('query Search($s: String) { works(search: $s) { totalCount } }', {
        s: 'x'.repeat(3 * MiB),
      }),
    ...TOO_LARGE,
  },
  {
    name: 'fragment cycle',
    body: () => json('{ works { nodes { ...W } } } fragment W on Work { items { work { ...W } } }'),
    ...TOO_COMPLEX,
    message:
      /^Operation too complex: depth unbounded \(a fragment cycle: cannot spread fragment "W" within itself\) is over the limit of 12 \(LIMIT_DEPTH\)\.$/,
  },
  {
    name: 'body over 1 MiB',
    body: () =>
      JSON.stringify({ query: '{ branches { name } }', extensions: { pad: 'x'.repeat(MiB + 1) } }),
    ...TOO_LARGE,
  },
];
