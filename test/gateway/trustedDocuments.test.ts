import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { buildASTSchema, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { loadConfig } from '../../src/config/env.js';
import { HttpRefusal } from '../../src/http/serve.js';
import { OperationChecker } from '../../src/limits/operationLimits.js';
import { BoundedCache } from '../../src/gateway/trustedDocuments/boundedCache.js';
import { buildManifest } from '../../src/gateway/trustedDocuments/buildManifest.js';
import { DocumentResolver } from '../../src/gateway/trustedDocuments/documentResolver.js';
import { TrustedDocumentStore } from '../../src/gateway/trustedDocuments/documentStore.js';
import {
  ManifestError,
  parseManifest,
  type PersistedQueryManifest,
} from '../../src/gateway/trustedDocuments/manifest.js';
import { apiSchemaOf, limitsOf } from '../../src/gateway/trustedDocuments/setup.js';
import {
  sha256Hex,
  TrustedDocuments,
} from '../../src/gateway/trustedDocuments/trustedDocuments.js';
import { COMPARE_EXAMPLE, EXAMPLES } from '../../src/playground/examples.js';

/**
 * Trusted documents without a running graph: a manifest is refused at load with every bad
 * operation named; the resolver turns ids and hashes into text, refuses what it must with a clear
 * code, and its cache stays within its bounds whatever hashes a client invents.
 */
const sdl = fs.readFileSync(SUPERGRAPH_FILE, 'utf8');
const apiSchema = apiSchemaOf(sdl);
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const checker = () =>
  new OperationChecker(
    buildASTSchema(parse(sdl), { assumeValidSDL: true }),
    config.limits.operation,
  );
const manifestOf = (
  operations: { name: string; body: string; type?: 'query' | 'mutation'; id?: string }[],
): PersistedQueryManifest => ({
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: operations.map((o) => ({
    id: o.id ?? sha256Hex(o.body),
    name: o.name,
    type: o.type ?? 'query',
    body: o.body,
  })),
});
const load = (manifest: PersistedQueryManifest, introspection = true) =>
  TrustedDocuments.load(manifest, 'manifest.json', {
    apiSchema,
    introspection,
    limits: limitsOf(checker()),
  });
const refusalOf = (run: () => unknown): { status: number; code: string; message: string } => {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpRefusal)
      return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error('not refused');
};

const BRANCHES = 'query Branches { branches { id name } }';
const CATALOG = 'query Catalog($n: Int) { works(first: $n) { nodes { title } } }';
const OVER_COST =
  'query Deep { works(first: 100) { nodes { items { work { items { work { items { id } } } } } } } }';

describe('a manifest is checked whole at load, and a bad one names each operation at fault', () => {
  it.each([
    ['not JSON', '{"format":', /manifest\.json: not JSON/],
    [
      'another format',
      JSON.stringify({ format: 'persisted-documents', version: 1, operations: [] }),
      /format: .*apollo-persisted-query-manifest/,
    ],
    [
      'an operation without a body',
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: 'a', name: 'Branches', type: 'query' }],
      }),
      /operations\.0\.body \(operation Branches\)/,
    ],
    [
      'two operations under one id',
      JSON.stringify(
        manifestOf([
          { name: 'A', body: BRANCHES, id: 'x' },
          { name: 'B', body: CATALOG, id: 'x' },
        ]),
      ),
      /operations A and B have the same id x/,
    ],
  ])('%s', (_name, text, message) => {
    expect(() => parseManifest(text, 'manifest.json')).toThrow(ManifestError);
    expect(() => parseManifest(text, 'manifest.json')).toThrow(message);
  });

  it('refuses operations that do not parse, do not validate, break a limit or are not what the manifest says, naming each', () => {
    const manifest = manifestOf([
      { name: 'Branches', body: BRANCHES },
      { name: 'Typo', body: 'query Typo { branches { nme } }' },
      { name: 'Broken', body: 'query Broken { branches { id }' },
      { name: 'Deep', body: OVER_COST },
      { name: 'Renamed', body: BRANCHES },
    ]);
    let message = '';
    try {
      load(manifest);
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^manifest\.json: 4 of 5 registered operation\(s\) cannot be served:/);
    expect(message).toMatch(
      /operation Typo \(id [0-9a-f]{64}\): does not validate against the graph: Cannot query field "nme" on type "Branch"/,
    );
    expect(message).toMatch(/operation Broken .*: does not parse: Syntax Error/);
    expect(message).toMatch(
      /operation Deep .*: Operation too complex: cost 122,102 is over the limit of 20,000 \(LIMIT_COST\)/,
    );
    expect(message).toMatch(
      /operation Renamed .*: the body is query Branches, the manifest says query Renamed/,
    );
    expect(message).not.toMatch(/operation Branches/);
  });

  it('refuses introspection in a manifest for a gateway that does not answer it (production)', () => {
    const manifest = manifestOf([
      { name: 'Schema', body: 'query Schema { __schema { queryType { name } } }' },
    ]);
    expect(() => load(manifest, true)).not.toThrow();
    expect(() => load(manifest, false)).toThrow(/operation Schema .*introspection is not allowed/);
  });

  it('gives Apollo Server the pre-parsed document of a registered body under any schema prefix, and keeps others bounded', async () => {
    const trusted = load(manifestOf([{ name: 'Branches', body: BRANCHES }]));
    const store = new TrustedDocumentStore(trusted);
    const registered = await store.get(`0123abcd:${sha256Hex(BRANCHES)}`);
    expect(registered).toBe(trusted.byId(sha256Hex(BRANCHES))!.document);
    expect(await store.get(`0123abcd:${sha256Hex(CATALOG)}`)).toBeUndefined();
    await store.set(`0123abcd:${sha256Hex(CATALOG)}`, parse(CATALOG));
    expect(print((await store.get(`0123abcd:${sha256Hex(CATALOG)}`))!)).toBe(print(parse(CATALOG)));
  });
});

describe('Apollo Server with the trusted document store', () => {
  it('neither parses nor validates a registered body, and parses any other text as before', async () => {
    const trusted = load(manifestOf([{ name: 'Branches', body: BRANCHES }]));
    const seen = { parsed: 0, validated: 0 };
    const server = new ApolloServer({
      schema: apiSchema,
      documentStore: new TrustedDocumentStore(trusted),
      plugins: [
        {
          requestDidStart: async () => ({
            parsingDidStart: async () => void seen.parsed++,
            validationDidStart: async () => void seen.validated++,
          }),
        },
      ],
    });
    await server.start();
    try {
      for (let i = 0; i < 3; i++) await server.executeOperation({ query: BRANCHES });
      expect(seen).toEqual({ parsed: 0, validated: 0 });
      await server.executeOperation({ query: '{ branches { id } }' });
      expect(seen).toEqual({ parsed: 1, validated: 1 });
      await server.executeOperation({ query: '{ branches { id } }' });
      expect(seen).toEqual({ parsed: 1, validated: 1 });
    } finally {
      await server.stop();
    }
  });
});

describe('the resolver: each request becomes the text it stands for, or a clear refusal', () => {
  const settings = (mode: 'off' | 'allow' | 'require', enabled = true) => ({
    manifest: 'manifest.json',
    mode,
    persistedQueries: { enabled, maxEntries: 100, maxBytes: 100_000 },
  });
  const pq = (hash: string, version: unknown = 1) => ({
    persistedQuery: { version, sha256Hash: hash },
  });

  it('registers a query under its verified hash and replays it by hash; an unknown hash is PERSISTED_QUERY_NOT_FOUND', () => {
    const resolver = new DocumentResolver(settings('off'), null);
    const hash = sha256Hex(CATALOG);
    expect(refusalOf(() => resolver.resolve({ extensions: pq(hash) }))).toMatchObject({
      status: 200,
      code: 'PERSISTED_QUERY_NOT_FOUND',
    });
    expect(resolver.resolve({ query: CATALOG, variables: { n: 2 }, extensions: pq(hash) })).toEqual(
      { query: CATALOG, variables: { n: 2 } },
    );
    expect(
      resolver.resolve({ variables: { n: 3 }, extensions: { ...pq(hash), other: true } }),
    ).toEqual({ query: CATALOG, variables: { n: 3 }, extensions: { other: true } });
  });

  it.each([
    [
      "a hash that is not the query's",
      { query: CATALOG, extensions: pq(sha256Hex(BRANCHES)) },
      /does not match the query sent, whose SHA-256 is [0-9a-f]{64}/,
    ],
    [
      'a hash that is no SHA-256',
      { extensions: pq('abc') },
      /must be the SHA-256 of the query in 64 lowercase hex digits, got "abc"/,
    ],
    [
      'an upper-case hash',
      { extensions: pq(sha256Hex(CATALOG).toUpperCase()) },
      /64 lowercase hex digits/,
    ],
    [
      'version 2',
      { extensions: pq(sha256Hex(CATALOG), 2) },
      /Unsupported persisted query version 2/,
    ],
    [
      'a persistedQuery that is not an object',
      { extensions: { persistedQuery: 'x' } },
      /must be an object/,
    ],
    [
      'a missing hash',
      { extensions: { persistedQuery: { version: 1 } } },
      /sha256Hash must be a non-empty string/,
    ],
  ])('refuses %s with PERSISTED_QUERY_INVALID (400)', (_name, request, message) => {
    const resolver = new DocumentResolver(settings('off'), null);
    const refused = refusalOf(() => resolver.resolve(request));
    expect(refused).toMatchObject({ status: 400, code: 'PERSISTED_QUERY_INVALID' });
    expect(refused.message).toMatch(message);
  });

  it('answers PERSISTED_QUERY_NOT_SUPPORTED when automatic persisted queries are off, and leaves plain requests alone', () => {
    const resolver = new DocumentResolver(settings('off', false), null);
    expect(
      refusalOf(() => resolver.resolve({ query: CATALOG, extensions: pq(sha256Hex(CATALOG)) })),
    ).toMatchObject({ code: 'PERSISTED_QUERY_NOT_SUPPORTED' });
    const plain = { query: CATALOG };
    expect(resolver.resolve(plain)).toBe(plain);
  });

  it('holds its cache to its entries and bytes whatever hashes a client registers', () => {
    const resolver = new DocumentResolver(
      { ...settings('off'), persistedQueries: { enabled: true, maxEntries: 50, maxBytes: 20_000 } },
      null,
    );
    for (let i = 0; i < 5000; i++) {
      const query = `query Q${i} { branches { id ${'name '.repeat(i % 200)}} }`;
      resolver.resolve({ query, extensions: pq(sha256Hex(query)) });
      expect(resolver.persistedSize.entries).toBeLessThanOrEqual(50);
      expect(resolver.persistedSize.bytes).toBeLessThanOrEqual(20_000);
    }
    const huge = `query Huge { branches { id ${'name '.repeat(10_000)}} }`;
    resolver.resolve({ query: huge, extensions: pq(sha256Hex(huge)) });
    expect(refusalOf(() => resolver.resolve({ extensions: pq(sha256Hex(huge)) })).code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });

  it('in require mode: a registered id or text becomes the manifest body; anything else is OPERATION_NOT_TRUSTED (403)', () => {
    const trusted = load(
      manifestOf([
        { name: 'Branches', body: BRANCHES, id: 'branches-v1' },
        { name: 'Catalog', body: CATALOG },
      ]),
    );
    const resolver = new DocumentResolver(settings('require'), trusted);
    expect(resolver.resolve({ extensions: pq('branches-v1') })).toEqual({ query: BRANCHES });
    expect(
      resolver.resolve({
        query:
          '# the catalog page\nquery Catalog($n: Int) {\n  works(first: $n) {\n    nodes { title }\n  }\n}\n',
        variables: { n: 1 },
      }),
    ).toEqual({ query: CATALOG, variables: { n: 1 } });
    expect(resolver.resolve({ query: CATALOG, extensions: pq(sha256Hex(CATALOG)) })).toEqual({
      query: CATALOG,
    });
    const unregistered = refusalOf(() =>
      resolver.resolve({ query: '{ branches { id address } }' }),
    );
    expect(unregistered).toMatchObject({ status: 403, code: 'OPERATION_NOT_TRUSTED' });
    expect(unregistered.message).toMatch(
      /runs only the operations of its trusted-documents manifest \(TRUSTED_DOCUMENTS\)/,
    );
    expect(refusalOf(() => resolver.resolve({ extensions: pq('no-such-id') }))).toMatchObject({
      code: 'OPERATION_NOT_TRUSTED',
      message: expect.stringMatching(/no operation is registered under id "no-such-id"/),
    });
    // An unregistered text cannot be registered by hash either: require mode keeps no cache.
    const other = '{ branches { id address } }';
    expect(
      refusalOf(() => resolver.resolve({ query: other, extensions: pq(sha256Hex(other)) })).code,
    ).toBe('OPERATION_NOT_TRUSTED');
    expect(
      refusalOf(() => resolver.resolve({ query: other, extensions: pq('branches-v1') })),
    ).toMatchObject({
      code: 'PERSISTED_QUERY_INVALID',
      message: expect.stringMatching(
        /not the operation registered under id "branches-v1" \(Branches\)/,
      ),
    });
    expect(refusalOf(() => resolver.resolve({}))).toMatchObject({ code: 'OPERATION_NOT_TRUSTED' });
  });

  it('in allow mode: registered operations come from the manifest, others still run', () => {
    const trusted = load(manifestOf([{ name: 'Branches', body: BRANCHES, id: 'branches-v1' }]));
    const resolver = new DocumentResolver(settings('allow'), trusted);
    expect(resolver.resolve({ extensions: pq('branches-v1') })).toEqual({ query: BRANCHES });
    const other = { query: '{ branches { id address } }' };
    expect(resolver.resolve(other)).toBe(other);
  });
});

describe('BoundedCache', () => {
  it('evicts the least recently used first, by entries and by size', () => {
    const cache = new BoundedCache<string>(3, 10, (_k, v) => v.length);
    cache.set('a', 'xx');
    cache.set('b', 'xx');
    cache.set('c', 'xx');
    cache.get('a');
    cache.set('d', 'xx');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('xx');
    cache.set('e', 'xxxxxxx');
    expect(cache.size).toBeLessThanOrEqual(3);
    expect(cache.totalSize).toBeLessThanOrEqual(10);
    expect(cache.get('e')).toBe('xxxxxxx');
    cache.set('f', 'x'.repeat(11));
    expect(cache.get('f')).toBeUndefined();
  });
});

describe('npm run trusted-documents -- build', () => {
  const limits = () => limitsOf(checker());
  it('registers each named operation with the fragments it uses, under the SHA-256 of its body', () => {
    const result = buildManifest(
      [
        {
          path: 'ops/catalog.graphql',
          text: 'query Catalog($n: Int) { works(first: $n) { nodes { ...Card } } }\nquery Branches { branches { id } }',
        },
        {
          path: 'ops/fragments.graphql',
          text: 'fragment Card on Work { title creators }\nfragment Unused on Branch { name }',
        },
      ],
      { apiSchema, limits: limits() },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.manifest.operations.map((o) => [o.name, o.type])).toEqual([
      ['Branches', 'query'],
      ['Catalog', 'query'],
    ]);
    const catalog = result.manifest.operations[1]!;
    expect(catalog.body).toContain('fragment Card on Work');
    expect(catalog.body).not.toContain('Unused');
    expect(catalog.id).toBe(sha256Hex(catalog.body));
    // What it writes, the gateway loads.
    expect(load(parseManifest(JSON.stringify(result.manifest), 'built.json')).size).toBe(2);
  });

  it('prints every problem with its file, line and column, and builds nothing', () => {
    const result = buildManifest(
      [
        {
          path: 'a.graphql',
          text: 'query Catalog { works(first: 3) { nodes { titel } } }\nquery { branches { id } }\nquery Deep { works(first: 100) { nodes { items { work { items { work { items { id } } } } } } } }',
        },
        { path: 'b.graphql', text: 'query Broken { branches { id }' },
        { path: 'c.graphql', text: 'type Extra { id: ID }\nquery Catalog { branches { id } }' },
      ],
      { apiSchema, limits: limits() },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      'a.graphql:2:1: an anonymous query: name it, the manifest registers operations by name',
      'b.graphql:1:31: Syntax Error: Expected Name, found <EOF>.',
      'c.graphql:1:1: only operations and fragments belong in operation files, not a ObjectTypeDefinition',
      'c.graphql:2:1: a second operation named Catalog (the first is at a.graphql:1:1)',
      'a.graphql:1:43: Catalog: Cannot query field "titel" on type "Work". Did you mean "title" or "items"?',
      'a.graphql:3:1: Deep: Operation too complex: cost 122,102 is over the limit of 20,000 (LIMIT_COST).',
    ]);
  });

  it('as a command: writes the manifest and exits 0, or prints each problem and exits 1 writing nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trusted-build-'));
    try {
      fs.mkdirSync(path.join(dir, 'ops'));
      fs.writeFileSync(
        path.join(dir, 'ops', 'desk.graphql'),
        'query Branches { branches { id name } }\n',
      );
      fs.writeFileSync(path.join(dir, 'bad.graphql'), 'query Typo { branches { nme } }\n');
      const run = (...args: string[]) =>
        spawnSync(
          process.execPath,
          ['--import', 'tsx', 'src/cli/trustedDocuments.ts', 'build', ...args],
          { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test' } },
        );
      const out = path.join(dir, 'manifest.json');
      const good = run(path.join(dir, 'ops'), '--out', out);
      expect(good.stderr).toBe('');
      expect(good.status).toBe(0);
      expect(good.stdout).toMatch(
        /^wrote 1 operation\(s\) from 1 file\(s\) to .*manifest\.json: Branches$/m,
      );
      expect(
        parseManifest(fs.readFileSync(out, 'utf8'), out).operations.map((o) => o.name),
      ).toEqual(['Branches']);
      // With the playground's examples: each one, sent as GraphiQL sends it, runs in require mode.
      const withExamples = run(path.join(dir, 'ops'), '--playground-examples', '--out', out);
      expect(withExamples.status).toBe(0);
      const resolver = new DocumentResolver(
        {
          manifest: out,
          mode: 'require',
          persistedQueries: { enabled: true, maxEntries: 10, maxBytes: 10_000 },
        },
        load(parseManifest(fs.readFileSync(out, 'utf8'), out)),
      );
      const examples = [COMPARE_EXAMPLE, ...Object.values(EXAMPLES).flat()];
      for (const example of examples)
        expect(resolver.resolve({ query: example.query }).query).toBe(print(parse(example.query)));
      expect(refusalOf(() => resolver.resolve({ query: '{ branches { id address } }' })).code).toBe(
        'OPERATION_NOT_TRUSTED',
      );
      const bad = run(path.join(dir, 'bad.graphql'), '--out', path.join(dir, 'bad.json'));
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(
        /1 problem\(s\); no manifest written:\n {2}.*bad\.graphql:1:25: Typo: Cannot query field "nme" on type "Branch"/,
      );
      expect(fs.existsSync(path.join(dir, 'bad.json'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
