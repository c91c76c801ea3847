import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphName } from '../../src/config/env.js';
import { PERSONAS } from '../../src/dev/personas.js';
import {
  encodeContext,
  type DisclosureContext,
} from '../../src/privacy/context/disclosureContext.js';
import { principalId } from '../../src/privacy/context/ids.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../../src/privacy/sign/signature.js';
import { nest } from '../../bench/hostileOperations.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

/**
 * A subgraph holds a validly signed call to the same limits as the gateway (with the headroom the
 * query plan needs: depth 12 + 1, twice the cost), and refuses an `_entities` call over
 * LIMIT_ENTITY_REPRESENTATIONS; meanwhile the gateway splits its own larger fetches below it.
 */
let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph({ LIMIT_ENTITY_REPRESENTATIONS: '50' });
});
afterAll(async () => t?.stop());

const staff: DisclosureContext = {
  principal: principalId(PERSONAS['circulation-staff'].sub),
  roles: ['staff'],
  duties: ['circulation'],
  patronId: null,
  legalOrder: null,
  purpose: null,
  requestId: 'limits-test',
};

async function signedCall(
  name: SubgraphName,
  query: string | undefined,
  variables?: Record<string, unknown>,
  extensions?: Record<string, unknown>,
) {
  const context = encodeContext(staff);
  const body = JSON.stringify({ query, variables, extensions });
  const request = {
    method: 'POST',
    target: '/graphql',
    contentType: 'application/json',
    context,
    body,
  };
  const signature = signRequest({
    key: audienceKey(t.config.contextSecret, name),
    audience: name,
    ...request,
  });
  const response = await fetch(t.graph.urls[name]!, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: context,
      [SIGNATURE_HEADER]: signature,
    },
    body,
  });
  return {
    status: response.status,
    json: (await response.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

const ENTITIES =
  'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Work { title } } }';
const works = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ __typename: 'Work', id: `wk_${i + 1}` }));

describe('a subgraph called directly with a valid signature', () => {
  it('answers an operation within its limits (control)', async () => {
    const result = await signedCall(
      'catalog',
      nest(['works(first: 2)', 'nodes'], ['items', 'work'], 6),
    );
    expect(result.status).toBe(200);
    expect(result.json.errors).toBeUndefined();
  });

  it('refuses one deeper than its limit with 400 OPERATION_TOO_COMPLEX', async () => {
    const result = await signedCall(
      'catalog',
      nest(['works(first: 2)', 'nodes'], ['items', 'work'], 40),
    );
    expect(result.status).toBe(400);
    expect(result.json.data).toBeUndefined();
    expect(result.json.errors).toEqual([
      {
        message: 'Operation too complex: depth 43 is over the limit of 13 (LIMIT_DEPTH).',
        extensions: { code: 'OPERATION_TOO_COMPLEX' },
      },
    ]);
  });

  it('refuses one costlier than its limit', async () => {
    const result = await signedCall(
      'catalog',
      '{ works(first: 1000) { nodes { items { work { items { id } } } } } }',
    );
    expect(result.status).toBe(400);
    expect(result.json.errors?.[0]?.message).toMatch(
      /^Operation too complex: cost [\d,]+ is over the limit of 40,000 \(LIMIT_COST\)\.$/,
    );
  });

  it('takes 50 representations in one _entities call and refuses 51', async () => {
    const fifty = await signedCall('catalog', ENTITIES, { representations: works(50) });
    expect(fifty.status).toBe(200);
    expect((fifty.json.data as { _entities: unknown[] })._entities).toHaveLength(50);
    const more = await signedCall('catalog', ENTITIES, { representations: works(51) });
    expect(more.status).toBe(400);
    expect(more.json.errors).toEqual([
      {
        message:
          'Operation too complex: entity representations 51 is over the limit of 50 (LIMIT_ENTITY_REPRESENTATIONS).',
        extensions: { code: 'OPERATION_TOO_COMPLEX' },
      },
    ]);
  });

  it('serves no persisted query: a hash alone is not run past the limits', async () => {
    const query = 'query($n: Int) { works(first: $n) { nodes { id } } }';
    const persistedQuery = {
      version: 1,
      sha256Hash: createHash('sha256').update(query).digest('hex'),
    };
    const register = await signedCall('catalog', query, { n: 1 }, { persistedQuery });
    const replay = await signedCall('catalog', undefined, { n: 1_000_000 }, { persistedQuery });
    for (const answer of [register, replay]) {
      expect(answer.json.data ?? null).toBeNull();
      expect(answer.json.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    }
  });

  it('refuses two aliased card logins in one call', async () => {
    const login = (alias: string, pin: string) =>
      `${alias}: authenticateWithCard(cardNumber: "29019000000001", pin: "${pin}") { token }`;
    const result = await signedCall(
      'circulation',
      `mutation { ${login('a', '1111')} ${login('b', '2222')} }`,
    );
    expect(result.status).toBe(400);
    expect(result.json.errors).toEqual([
      {
        message:
          'Operation too complex: card logins 2 is over the limit of 1 (one authenticateWithCard per operation).',
        extensions: { code: 'OPERATION_TOO_COMPLEX' },
      },
    ]);
  });
});

describe('the gateway under the same representation limit', () => {
  it('splits a fetch of more entities than one call may carry, and keeps their order', async () => {
    // 200 loans, each with an item in catalog: four _entities calls of 50 instead of one of 200.
    const res = await t.query(
      'circulation-staff',
      '{ loans(first: 200) { nodes { id item { id barcode } } } }',
    );
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const nodes = (
      res.data!.loans as { nodes: { id: string; item: { id: string; barcode: string } | null }[] }
    ).nodes;
    expect(nodes).toHaveLength(200);
    for (const node of nodes) expect(node.item?.barcode).toEqual(expect.any(String));
    const db = t.graph.databases!.circulation.db;
    const itemOf = new Map(
      (await db.selectFrom('loans').select(['id', 'item_id']).execute()).map((l) => [
        String(l.id),
        l.item_id,
      ]),
    );
    for (const node of nodes) expect(node.item!.id).toBe(itemOf.get(node.id));
  });
});
