import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { PERSONA_PATRONS, type PersonaName } from '../../src/dev/personas.js';
import { VOLATILE_MAX_AGE } from '../../src/gateway/cache/cacheHints.js';
import { startGateway } from '../../src/gateway/gateway.js';
import type { RunningServer } from '../../src/http/serve.js';
import { createLogger } from '../../src/log/logger.js';
import { startTestGraph, codes, type TestGraph } from '../support/graph.js';

/**
 * The public response cache, attacked through the real gateway: only anonymous queries over public
 * fields are kept; nothing a persona asks reads or fills it; a redacted answer is never kept; a
 * checkout through the gateway is seen at once; variables key the entries; a hit is byte-equal to
 * the answer it repeats. The gateway's cache counters (on the admin port's /metrics) say what was served from where.
 */
let t: TestGraph;

beforeAll(async () => {
  t = await startTestGraph({ METRICS_PORT: '0' });
});
afterAll(async () => {
  await t?.stop();
});

/** One request as a client sees it on the wire: status, Cache-Control and the body's exact text. */
async function raw(
  persona: PersonaName,
  query: string,
  variables?: Record<string, unknown>,
  url = t.gatewayUrl,
) {
  const token = await t.token(persona);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return {
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
    text,
    json: JSON.parse(text) as {
      data?: Record<string, unknown> | null;
      errors?: { extensions?: { code?: string } }[];
    },
  };
}

/** The gateway's cache counters. */
async function counters() {
  const response = await fetch(t.graph.metricsUrls[0]!);
  expect(response.status).toBe(200);
  const text = await response.text();
  const read = (name: string) =>
    Number(
      new RegExp(`^library_gateway_response_cache_${name} (\\d+)$`, 'm').exec(text)?.[1] ??
        Number.NaN,
    );
  return {
    hits: read('hits_total'),
    misses: read('misses_total'),
    stores: read('stores_total'),
    entries: read('entries'),
  };
}

/** A query text no other test sends, so each test starts from an empty entry. */
let unique = 0;
const fresh = (body: string) => `query Fresh${++unique} ${body}`;

describe('anonymous public queries', () => {
  it('the second answer comes from the cache, byte-equal to the first, with a public Cache-Control', async () => {
    const query = fresh(
      '{ works(first: 5) { nodes { id title creators format } totalCount } branches { id name } }',
    );
    const before = await counters();
    const first = await raw('anonymous', query);
    const second = await raw('anonymous', query);
    const after = await counters();
    expect(first.status).toBe(200);
    expect(first.json.errors).toBeUndefined();
    expect(second.text).toBe(first.text);
    expect(after.hits - before.hits).toBe(1);
    expect(after.stores - before.stores).toBe(1);
    // works: 300 s, branches: 3600 s; the shorter wins, and a hit says what is left of it.
    expect(first.cacheControl).toBe('public, max-age=300');
    expect(second.cacheControl).toMatch(/^public, max-age=(300|299)$/);
  });

  it('an answer with availability lives only as long as availability', async () => {
    const first = await raw(
      'anonymous',
      fresh('{ works(first: 2) { nodes { title items { barcode availability } } } }'),
    );
    expect(first.json.errors).toBeUndefined();
    expect(first.cacheControl).toBe('public, max-age=5');
  });

  it('different variables are different entries; each answer is its own', async () => {
    const listing = await raw(
      'anonymous',
      '{ works(first: 3) { nodes { items { id barcode } } } }',
    );
    const items = (
      listing.json.data!.works as { nodes: { items: { id: string; barcode: string }[] }[] }
    ).nodes
      .flatMap((w) => w.items)
      .slice(0, 2);
    expect(items).toHaveLength(2);
    const query = fresh('($id: ID!) { item(id: $id) { id barcode } }');
    const before = await counters();
    for (let round = 0; round < 2; round++) {
      for (const item of items) {
        const answer = await raw('anonymous', query, { id: item.id });
        expect(answer.json.data).toEqual({ item: { id: item.id, barcode: item.barcode } });
      }
    }
    const after = await counters();
    expect(after.stores - before.stores).toBe(2);
    expect(after.hits - before.hits).toBe(2);
  });

  it('patron-activity timestamps are never cached, though the day is all an anonymous caller gets', async () => {
    const listing = await raw('anonymous', '{ works(first: 1) { nodes { items { id } } } }');
    const id = (listing.json.data!.works as { nodes: { items: { id: string }[] }[] }).nodes[0]!
      .items[0]!.id;
    const query = fresh(`{ item(id: "${id}") { barcode dueAt } }`);
    const before = await counters();
    const answers = [await raw('anonymous', query), await raw('anonymous', query)];
    const after = await counters();
    expect(answers.map((a) => a.cacheControl)).toEqual(['private, no-store', 'private, no-store']);
    expect(after.stores - before.stores).toBe(0);
    expect(after.hits - before.hits).toBe(0);
  });
});

describe('callers with a token bypass the cache', () => {
  it('a persona asking only public fields neither fills the cache nor is answered from it', async () => {
    const query = fresh('{ branches { id name } }');
    const before = await counters();
    const persona = await raw('patron', query);
    const afterPersona = await counters();
    expect(persona.json.errors).toBeUndefined();
    expect(persona.cacheControl).toBe('private, no-store');
    expect(afterPersona.stores - before.stores).toBe(0);

    const anonymous = await raw('anonymous', query);
    const staff = await raw('circulation-staff', query);
    const after = await counters();
    // The anonymous answer was computed (stored now), and the staff request did not read it.
    expect(after.stores - afterPersona.stores).toBe(1);
    expect(after.hits - afterPersona.hits).toBe(0);
    expect(staff.cacheControl).toBe('private, no-store');
    // The same public data, whoever asks.
    expect(anonymous.text).toBe(persona.text);
    expect(staff.text).toBe(persona.text);
  });

  it("a persona's confidential answer is never kept: anonymous gets the redaction, every time", async () => {
    const query = fresh('{ me { name cardNumber } branches { name } }');
    const before = await counters();
    const own = await raw('patron', query);
    expect(own.json.data!.me).toEqual({
      name: PERSONA_PATRONS.patron.name,
      cardNumber: PERSONA_PATRONS.patron.cardNumber,
    });
    for (let i = 0; i < 2; i++) {
      const anonymous = await raw('anonymous', query);
      expect(anonymous.json.data!.me).toBeNull();
      expect(anonymous.text).not.toContain(PERSONA_PATRONS.patron.name);
      expect(anonymous.text).not.toContain(PERSONA_PATRONS.patron.cardNumber);
      expect(anonymous.cacheControl).toBe('private, no-store');
    }
    const again = await raw('patron', query);
    expect(again.json.data!.me).toEqual(own.json.data!.me);
    const after = await counters();
    expect(after.stores - before.stores).toBe(0);
    expect(after.hits - before.hits).toBe(0);
  });

  it('an anonymous request for a confidential field is redacted and never kept, so no one is served that redaction', async () => {
    const query = fresh(
      `{ patron(id: "${PERSONA_PATRONS.patron.id}") { name } works(first: 2) { nodes { title } } }`,
    );
    const before = await counters();
    for (let i = 0; i < 2; i++) {
      const anonymous = await raw('anonymous', query);
      expect(anonymous.json.data!.patron).toBeNull();
      expect(codes({ status: anonymous.status, ...anonymous.json } as never)).toContain(
        'PRIVACY_REDACTED',
      );
      expect(anonymous.cacheControl).toBe('private, no-store');
    }
    const staff = await raw('circulation-staff', query);
    expect(staff.json.data!.patron).toEqual({ name: PERSONA_PATRONS.patron.name });
    const after = await counters();
    expect(after.stores - before.stores).toBe(0);
    expect(after.hits - before.hits).toBe(0);
  });
});

describe('writes through the gateway', () => {
  it('after a checkout the anonymous availability read shows it at once, and after the return too', async () => {
    const listing = await raw(
      'anonymous',
      '{ works(first: 30) { nodes { items { id availability } } } }',
    );
    const item = (
      listing.json.data!.works as { nodes: { items: { id: string; availability: string }[] }[] }
    ).nodes
      .flatMap((w) => w.items)
      .find((i) => i.availability === 'AVAILABLE');
    expect(item).toBeDefined();
    const query = fresh(
      `{ item(id: "${item!.id}") { barcode availability work { title holdCount } } }`,
    );
    const availability = async () =>
      ((await raw('anonymous', query)).json.data!.item as { availability: string }).availability;

    expect(await availability()).toBe('AVAILABLE');
    const beforeHit = await counters();
    expect(await availability()).toBe('AVAILABLE');
    expect((await counters()).hits - beforeHit.hits).toBe(1);

    const checkout = await raw(
      'circulation-staff',
      `mutation { checkout(itemId: "${item!.id}", cardNumber: "${PERSONA_PATRONS.patron.cardNumber}") { id } }`,
    );
    expect(checkout.json.errors).toBeUndefined();
    expect(checkout.cacheControl).toBe('private, no-store');
    expect(await availability()).toBe('ON_LOAN');

    const returned = await raw(
      'circulation-staff',
      `mutation { returnItem(itemId: "${item!.id}") { id } }`,
    );
    expect(returned.json.errors).toBeUndefined();
    expect(await availability()).not.toBe('ON_LOAN');
  });

  it('a mutation is never answered from the cache nor stored', async () => {
    const mutation =
      'mutation { authenticateWithCard(cardNumber: "no-such-card-for-cache-test", pin: "0000") { token } }';
    const before = await counters();
    const answers = [await raw('anonymous', mutation), await raw('anonymous', mutation)];
    const after = await counters();
    for (const answer of answers) {
      expect(codes({ status: answer.status, ...answer.json } as never)).toEqual(['BAD_USER_INPUT']);
      expect(answer.cacheControl).toBe('private, no-store');
    }
    expect(after.stores - before.stores).toBe(0);
    expect(after.hits - before.hits).toBe(0);
  });
});

describe('replicas, and the switch', () => {
  const extra: RunningServer[] = [];
  /** Another gateway replica over the same subgraphs, with the cache on or off. */
  const replica = async (enabled: boolean) => {
    const server = await startGateway({
      config: { ...t.config, responseCache: { ...t.config.responseCache, enabled } },
      logger: createLogger('test', 'silent'),
      supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
      subgraphUrls: {
        catalog: t.graph.urls.catalog!,
        circulation: t.graph.urls.circulation!,
        events: t.graph.urls.events!,
      },
      port: 0,
    });
    extra.push(server);
    return server.url;
  };
  afterAll(async () => {
    for (const server of extra) await server.stop();
  });

  it('a write through another replica is seen within the maxAge of availability', async () => {
    const other = await replica(true);
    const listing = await raw(
      'anonymous',
      '{ works(first: 40) { nodes { items { id availability } } } }',
    );
    const item = (
      listing.json.data!.works as { nodes: { items: { id: string; availability: string }[] }[] }
    ).nodes
      .flatMap((w) => w.items)
      .filter((i) => i.availability === 'AVAILABLE')
      .at(-1)!;
    const query = fresh(`{ item(id: "${item.id}") { availability } }`);
    const availability = async () =>
      (
        (await raw('anonymous', query, undefined, other)).json.data!.item as {
          availability: string;
        }
      ).availability;
    expect(await availability()).toBe('AVAILABLE');
    const checkout = await raw(
      'circulation-staff',
      `mutation { checkout(itemId: "${item.id}", cardNumber: "${PERSONA_PATRONS.guardian.cardNumber}") { id } }`,
    );
    expect(checkout.json.errors).toBeUndefined();
    // This replica did not see the write: it may answer from its cache until the entry expires.
    await new Promise((r) => setTimeout(r, VOLATILE_MAX_AGE * 1000 + 200));
    expect(await availability()).toBe('ON_LOAN');
    await raw('circulation-staff', `mutation { returnItem(itemId: "${item.id}") { id } }`);
  }, 30_000);

  it('RESPONSE_CACHE=off: nothing is kept and nothing is declared public', async () => {
    const off = await replica(false);
    const query = fresh('{ branches { id name } }');
    const answers = [
      await raw('anonymous', query, undefined, off),
      await raw('anonymous', query, undefined, off),
    ];
    expect(answers.map((a) => a.cacheControl)).toEqual(['no-store', 'no-store']);
    expect(answers[1]!.text).toBe(answers[0]!.text);
  });
});
