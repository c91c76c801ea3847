import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { PERSONA_PATRONS, type PersonaName } from '../../src/dev/personas.js';
import { ConfigError, loadConfig, type SubgraphName } from '../../src/config/env.js';
import { startGateway } from '../../src/gateway/gateway.js';
import { sha256Hex } from '../../src/gateway/trustedDocuments/trustedDocuments.js';
import type { RunningServer } from '../../src/http/serve.js';
import { createLogger } from '../../src/log/logger.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';
import { startProxy, type SubgraphProxy } from '../limits/proxy.js';

/**
 * Persisted queries and trusted documents over HTTP, against gateways whose subgraphs sit behind
 * counting proxies. Default mode: a query registered by hash is replayed by hash with the same
 * answer, the same redactions and the same limits as when it is sent. Require mode: only the
 * manifest's operations run, by id or by text; anything else is refused before a subgraph hears of it.
 */
let t: TestGraph;
let open: RunningServer; // the default: automatic persisted queries, any operation
let strict: RunningServer; // TRUSTED_DOCUMENTS_MODE=require
const proxies = {} as Record<SubgraphName, SubgraphProxy>;
const calls = () => Object.values(proxies).reduce((n, p) => n + p.calls, 0);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trusted-documents-'));

const AVERY = PERSONA_PATRONS.patron.id;
const BRANCHES = 'query Branches {\n  branches {\n    id\n    name\n  }\n}';
const PATRON = 'query PatronById($id: ID!) {\n  patron(id: $id) {\n    name\n    email\n  }\n}';
const CATALOG =
  'query Catalog($n: Int) {\n  works(first: $n) {\n    nodes {\n      title\n      items {\n        availability\n      }\n    }\n  }\n}';
const MANIFEST = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: 'branches-v1', name: 'Branches', type: 'query', body: BRANCHES },
    { id: sha256Hex(PATRON), name: 'PatronById', type: 'query', body: PATRON },
    { id: sha256Hex(CATALOG), name: 'Catalog', type: 'query', body: CATALOG },
  ],
};

const gatewayWith = async (env: Record<string, string>) =>
  startGateway({
    config: loadConfig({ NODE_ENV: 'test', GATEWAY_PORT: '0', LOG_LEVEL: 'silent', ...env }),
    logger: createLogger('test', 'silent'),
    supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
    subgraphUrls: Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.url])),
    port: 0,
  });

beforeAll(async () => {
  t = await startTestGraph();
  for (const name of ['catalog', 'circulation', 'events'] as const)
    proxies[name] = await startProxy(t.graph.urls[name]!);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(MANIFEST));
  open = await gatewayWith({});
  strict = await gatewayWith({
    TRUSTED_DOCUMENTS: path.join(dir, 'manifest.json'),
    TRUSTED_DOCUMENTS_MODE: 'require',
  });
});
afterAll(async () => {
  await open?.stop();
  await strict?.stop();
  for (const p of Object.values(proxies)) await p?.close();
  await t?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  json: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[];
  };
}

async function post(
  gateway: RunningServer,
  body: Record<string, unknown>,
  persona: PersonaName = 'anonymous',
): Promise<Answer> {
  const token = await t.token(persona);
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer['json'] };
}

async function get(gateway: RunningServer, params: Record<string, unknown>): Promise<Answer> {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const response = await fetch(`${gateway.url}?${search}`, {
    headers: { 'apollo-require-preflight': 'true' },
  });
  return { status: response.status, json: (await response.json()) as Answer['json'] };
}

const persisted = (query: string) => ({
  persistedQuery: { version: 1, sha256Hash: sha256Hex(query) },
});
const code = (answer: Answer) => answer.json.errors?.[0]?.extensions?.code;

describe('automatic persisted queries (default mode)', () => {
  it('a miss asks for the query; the query with its hash registers it; the hash alone replays it, by POST and GET', async () => {
    const query = 'query Shelf($n: Int) { works(first: $n) { nodes { title } } }';
    const miss = await post(open, { variables: { n: 2 }, extensions: persisted(query) });
    expect(miss.status).toBe(200);
    expect(miss.json).toEqual({
      errors: [
        { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
      ],
    });
    const missByGet = await fetch(
      `${open.url}?${new URLSearchParams({ extensions: JSON.stringify(persisted(query)) })}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    expect(missByGet.headers.get('cache-control')).toBe('private, no-cache, must-revalidate');
    const sent = await post(open, { query, variables: { n: 2 }, extensions: persisted(query) });
    expect(sent.json.errors).toBeUndefined();
    expect((sent.json.data!.works as { nodes: unknown[] }).nodes).toHaveLength(2);
    const replayed = await post(open, { variables: { n: 2 }, extensions: persisted(query) });
    expect(replayed).toEqual(sent);
    expect(await get(open, { variables: { n: 2 }, extensions: persisted(query) })).toEqual(sent);
  });

  it('replays through the same privacy pipeline: what each persona sees by hash is what it sees sent', async () => {
    const query = 'query Who($id: ID!) { patron(id: $id) { name email } }';
    await post(open, { query, variables: { id: AVERY }, extensions: persisted(query) });
    for (const persona of ['anonymous', 'circulation-staff', 'events-staff'] as const) {
      const sent = await post(open, { query, variables: { id: AVERY } }, persona);
      const replayed = await post(
        open,
        { variables: { id: AVERY }, extensions: persisted(query) },
        persona,
      );
      expect(replayed).toEqual(sent);
    }
    const anonymous = await post(open, { variables: { id: AVERY }, extensions: persisted(query) });
    expect(anonymous.json.data).toEqual({ patron: null });
    expect(code(anonymous)).toBe('PRIVACY_REDACTED');
    expect(JSON.stringify(anonymous.json)).not.toContain(PERSONA_PATRONS.patron.name);
    const staff = await post(
      open,
      { variables: { id: AVERY }, extensions: persisted(query) },
      'circulation-staff',
    );
    expect((staff.json.data!.patron as { name: string }).name).toBe(PERSONA_PATRONS.patron.name);
  });

  it('an over-cost query is refused with OPERATION_TOO_COMPLEX when registered and when replayed by hash, and reaches no subgraph', async () => {
    const query =
      'query Deep { works(first: 100) { nodes { items { work { items { work { items { id } } } } } } } }';
    const before = calls();
    const registered = await post(open, { query, extensions: persisted(query) });
    expect(registered.status).toBe(400);
    expect(registered.json.errors).toEqual([
      {
        message: expect.stringMatching(/cost 122,102 is over the limit of 20,000 \(LIMIT_COST\)/),
        extensions: { code: 'OPERATION_TOO_COMPLEX' },
      },
    ]);
    const replayed = await post(open, { extensions: persisted(query) });
    expect(replayed).toEqual(registered);
    const viaGet = await get(open, { extensions: persisted(query) });
    expect(viaGet).toEqual(registered);
    expect(calls()).toBe(before);
  });

  it('a query registered with a small page is measured again with the variables of each replay', async () => {
    const query = 'query Page($n: Int) { works(first: $n) { nodes { id } } }';
    expect(
      (await post(open, { query, variables: { n: 1 }, extensions: persisted(query) })).status,
    ).toBe(200);
    const before = calls();
    const replayed = await post(open, {
      variables: { n: 1_000_000 },
      extensions: persisted(query),
    });
    expect(replayed.status).toBe(400);
    expect(replayed.json.errors![0]!.message).toMatch(/cost 1,000,002 is over the limit of 20,000/);
    expect(
      code(await get(open, { variables: { n: 1_000_000 }, extensions: persisted(query) })),
    ).toBe('OPERATION_TOO_COMPLEX');
    expect(calls()).toBe(before);
  });

  it('a hash that does not match the query is refused with a clear error, and registers nothing', async () => {
    const query = '{ branches { id } }';
    const forged = {
      persistedQuery: { version: 1, sha256Hash: sha256Hex('{ branches { name } }') },
    };
    const answer = await post(open, { query, extensions: forged });
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('PERSISTED_QUERY_INVALID');
    expect(answer.json.errors![0]!.message).toMatch(/does not match the query sent/);
    expect(code(await post(open, { extensions: forged }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    const malformed = await post(open, {
      extensions: { persistedQuery: { version: 1, sha256Hash: 'not-a-hash' } },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors![0]!.message).toMatch(/64 lowercase hex digits, got "not-a-hash"/);
  });

  it("keeps the playground's operations working: plain queries need no registration", async () => {
    const answer = await post(open, { query: '{ branches { name } }' });
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
  });
});

describe('trusted documents (TRUSTED_DOCUMENTS_MODE=require)', () => {
  it.each([
    ['an unregistered query', { query: '{ branches { id address } }' }],
    [
      'an unregistered mutation',
      { query: `mutation { placeHold(workId: "w", patronId: "${AVERY}") { id } }` },
    ],
    [
      'a registered operation with one field more',
      { query: BRANCHES.replace('name', 'name\n    address') },
    ],
    [
      'an unknown id',
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'branches-v2' } } },
    ],
    [
      'an unregistered query with its hash',
      {
        query: '{ branches { id address } }',
        extensions: persisted('{ branches { id address } }'),
      },
    ],
    ['introspection', { query: '{ __schema { types { name } } }' }],
  ])(
    'refuses %s with OPERATION_NOT_TRUSTED (403), and no subgraph hears of it',
    async (_name, body) => {
      const before = calls();
      const answer = await post(strict, body, 'circulation-staff');
      expect(answer.status).toBe(403);
      expect(answer.json.data).toBeUndefined();
      expect(answer.json.errors).toHaveLength(1);
      expect(code(answer)).toBe('OPERATION_NOT_TRUSTED');
      expect(answer.json.errors![0]!.message).toMatch(
        /trusted-documents manifest \(TRUSTED_DOCUMENTS\)/,
      );
      expect(calls()).toBe(before);
    },
  );

  it('serves a registered operation by id, by GET, and by its text however it is spaced', async () => {
    const sent = await post(open, { query: BRANCHES });
    expect(sent.json.errors).toBeUndefined();
    const byId = await post(strict, {
      extensions: { persistedQuery: { version: 1, sha256Hash: 'branches-v1' } },
    });
    expect(byId).toEqual(sent);
    expect(
      await get(strict, {
        extensions: { persistedQuery: { version: 1, sha256Hash: 'branches-v1' } },
      }),
    ).toEqual(sent);
    expect(
      await post(strict, { query: '# the branch list\nquery Branches { branches { id, name } }' }),
    ).toEqual(sent);
  });

  it('serves registered operations through the privacy pipeline as any other', async () => {
    const byId = {
      variables: { id: AVERY },
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(PATRON) } },
    };
    const anonymous = await post(strict, byId);
    expect(anonymous.json.data).toEqual({ patron: null });
    expect(code(anonymous)).toBe('PRIVACY_REDACTED');
    const staff = await post(strict, byId, 'circulation-staff');
    expect(staff.json.data).toEqual({
      patron: { name: PERSONA_PATRONS.patron.name, email: PERSONA_PATRONS.patron.email },
    });
  });

  it("holds registered operations to the limits with each request's variables", async () => {
    const byId = (n: number) => ({
      variables: { n },
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(CATALOG) } },
    });
    expect((await post(strict, byId(3))).json.errors).toBeUndefined();
    const before = calls();
    const huge = await post(strict, byId(1_000_000));
    expect(huge.status).toBe(400);
    expect(code(huge)).toBe('OPERATION_TOO_COMPLEX');
    expect(calls()).toBe(before);
  });

  it("refuses an id sent with another operation's text", async () => {
    const answer = await post(strict, {
      query: PATRON,
      variables: { id: AVERY },
      extensions: { persistedQuery: { version: 1, sha256Hash: 'branches-v1' } },
    });
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('PERSISTED_QUERY_INVALID');
  });
});

describe('start-up with a manifest', () => {
  it('fails with a message naming the manifest and the operation that cannot be served', async () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...MANIFEST,
        operations: [
          ...MANIFEST.operations,
          { id: 'typo', name: 'Typo', type: 'query', body: 'query Typo { branches { nme } }' },
        ],
      }),
    );
    await expect(gatewayWith({ TRUSTED_DOCUMENTS: file })).rejects.toThrow(
      /bad\.json: 1 of 4 registered operation\(s\) cannot be served:\n {2}operation Typo \(id typo\): does not validate against the graph: Cannot query field "nme"/,
    );
    const over = path.join(dir, 'over.json');
    const deep =
      'query Deep { works(first: 100) { nodes { items { work { items { work { items { id } } } } } } } }';
    fs.writeFileSync(
      over,
      JSON.stringify({
        ...MANIFEST,
        operations: [{ id: 'deep', name: 'Deep', type: 'query', body: deep }],
      }),
    );
    await expect(gatewayWith({ TRUSTED_DOCUMENTS: over })).rejects.toThrow(
      /operation Deep \(id deep\): Operation too complex: cost 122,102/,
    );
    fs.writeFileSync(
      file,
      '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [',
    );
    await expect(gatewayWith({ TRUSTED_DOCUMENTS: file })).rejects.toThrow(/bad\.json: not JSON/);
    await expect(
      gatewayWith({ TRUSTED_DOCUMENTS: path.join(dir, 'missing.json') }),
    ).rejects.toThrow(/TRUSTED_DOCUMENTS: cannot read .*missing\.json/);
  });

  it('refuses a mode that needs a manifest without one', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', TRUSTED_DOCUMENTS_MODE: 'require' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', TRUSTED_DOCUMENTS_MODE: 'require' })).toThrow(
      /TRUSTED_DOCUMENTS_MODE=require needs a manifest file/,
    );
    expect(
      loadConfig({ NODE_ENV: 'test', TRUSTED_DOCUMENTS: 'm.json' }).trustedDocuments.mode,
    ).toBe('require');
  });
});
