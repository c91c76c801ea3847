import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphName } from '../../src/config/env.js';
import { PERSONAS } from '../../src/dev/personas.js';
import {
  encodeContext,
  type DisclosureContext,
} from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../../src/privacy/sign/signature.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

/**
 * Each subgraph refuses, with HTTP 401 and no data, any request that does not carry a fresh,
 * single-use signature from the gateway over this exact context and body: _entities and
 * introspection included.
 */
let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph();
});
afterAll(async () => t?.stop());

const staff: DisclosureContext = {
  principal: principalId(PERSONAS['circulation-staff'].sub),
  roles: ['staff'],
  duties: ['circulation'],
  patronId: null,
  legalOrder: null,
  purpose: null,
  requestId: 'test',
};
const anonymousPatron: DisclosureContext = {
  ...staff,
  principal: principalId('patron:x'),
  roles: ['patron'],
  duties: [],
  patronId: patronId('pat_x'),
};

const QUERIES: Record<SubgraphName, string> = {
  catalog:
    '{ _entities(representations: [{ __typename: "Branch", id: "br_01" }]) { ... on Branch { name } } }',
  circulation:
    '{ _entities(representations: [{ __typename: "Patron", id: "pat_4c2e9a71d05b" }]) { ... on Patron { name email } } }',
  events: '{ __schema { queryType { name } } _service { sdl } }',
};

interface Send {
  context?: string;
  signature?: string;
  body: string;
}

async function send(name: SubgraphName, { context, signature, body }: Send) {
  const response = await fetch(t.graph.urls[name]!, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(context ? { [CONTEXT_HEADER]: context } : {}),
      ...(signature ? { [SIGNATURE_HEADER]: signature } : {}),
    },
    body,
  });
  return {
    status: response.status,
    json: (await response.json()) as {
      data?: unknown;
      errors?: { extensions?: { code?: string } }[];
    },
  };
}

function signed(
  name: SubgraphName,
  options: { context?: DisclosureContext; body?: string; secret?: string; now?: number } = {},
): Send {
  const context = encodeContext(options.context ?? staff);
  const body = options.body ?? JSON.stringify({ query: QUERIES[name] });
  const key = audienceKey(options.secret ?? t.config.contextSecret, name);
  const request = {
    method: 'POST',
    target: '/graphql',
    contentType: 'application/json',
    context,
    body,
  };
  return {
    context,
    body,
    signature: signRequest({
      key,
      audience: name,
      ...request,
      ...(options.now ? { now: options.now } : {}),
    }),
  };
}

const expectRefused = (result: Awaited<ReturnType<typeof send>>) => {
  expect(result.status).toBe(401);
  expect(result.json.data).toBeUndefined();
  expect(result.json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
};

describe.each(['catalog', 'circulation', 'events'] as const)('the %s subgraph', (name) => {
  it('answers a correctly signed request (control)', async () => {
    const result = await send(name, signed(name));
    expect(result.status).toBe(200);
    expect(result.json.data).toBeDefined();
  });

  it('refuses a request with no signature, even with a context', async () => {
    const { context, body } = signed(name);
    expectRefused(await send(name, { context, body }));
    expectRefused(await send(name, { body }));
  });

  it('refuses a signature made with the wrong key', async () => {
    expectRefused(
      await send(name, signed(name, { secret: 'some-other-secret-that-is-long-enough-to-pass' })),
    );
  });

  it('refuses an edited context under a valid signature', async () => {
    const original = signed(name, { context: anonymousPatron });
    expectRefused(await send(name, { ...original, context: encodeContext(staff) }));
  });

  it('refuses a swapped body under a valid signature', async () => {
    const original = signed(name);
    expectRefused(
      await send(name, { ...original, body: JSON.stringify({ query: '{ __typename }' }) }),
    );
  });

  it('refuses a captured valid request replayed', async () => {
    const captured = signed(name);
    expect((await send(name, captured)).status).toBe(200);
    expectRefused(await send(name, captured));
  });

  it('refuses a timestamp outside the 30 s window', async () => {
    expectRefused(await send(name, signed(name, { now: Date.now() - 31_000 })));
    expectRefused(await send(name, signed(name, { now: Date.now() + 31_000 })));
  });
});

describe('the facts endpoint', () => {
  it('refuses unsigned reads of the registers', async () => {
    const response = await fetch(new URL('/internal/facts', t.graph.urls.circulation!), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: encodeContext(staff) },
      body: JSON.stringify({ subjects: ['pat_4c2e9a71d05b'] }),
    });
    expect(response.status).toBe(401);
    expect(JSON.stringify(await response.json())).not.toMatch(/birthDate|exists/);
  });
});
