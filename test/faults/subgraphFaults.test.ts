import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS } from '../../src/dev/personas.js';
import type { Fault } from './support/faultProxy.js';
import { startSplitGraph, type SplitGraph } from './support/splitGraph.js';

/**
 * A subgraph that is down, or answers something that is not its answer, costs only the fields it
 * serves: the gateway answers the rest, with one clear error naming the service, never a crash,
 * a masked mystery, or a word of what the failed service sent.
 */
let g: SplitGraph;
beforeAll(async () => {
  g = await startSplitGraph();
});
afterAll(async () => g?.stop());
afterEach(() => {
  for (const proxy of Object.values(g.proxies)) proxy.set('/graphql', { kind: 'pass' });
});

const { patron } = PERSONA_PATRONS;
/** Catalog's branches and works, and the patron's own record from circulation. */
const JOINED =
  '{ branches { name } works(first: 3) { nodes { title } } me { name email loans { dueAt } } }';
const unavailable = (service: string) => ({
  message: `The ${service} service is unavailable; the fields it serves are null. Try again shortly.`,
  extensions: { code: 'SERVICE_UNAVAILABLE' },
});

describe('circulation down', () => {
  it('answers the catalog part and one clear error for the rest, then recovers when circulation is back', async () => {
    const before = await g.query('patron', JOINED);
    expect((before.data!.me as { name: string }).name).toBe(patron.name);

    g.proxies.circulation.set('/graphql', { kind: 'drop' });
    const during = await g.query('patron', JOINED);
    expect(during.status).toBe(200);
    expect(during.data!.branches).toEqual(before.data!.branches);
    expect(during.data!.works).toEqual(before.data!.works);
    expect(during.data!.me).toBeNull();
    expect(during.errors).toEqual([unavailable('circulation')]);
    expect(during.text).not.toContain(patron.email);
    expect(during.text).not.toMatch(/localhost|127\.0\.0\.1|ECONN|socket/);

    g.proxies.circulation.set('/graphql', { kind: 'pass' });
    expect(await g.query('patron', JOINED)).toMatchObject({ data: before.data });
  });
});

describe('a subgraph answering garbage', () => {
  const garbage: [string, Fault][] = [
    [
      'an HTML error page',
      {
        kind: 'answer',
        status: 502,
        contentType: 'text/html',
        body: '<html><body>Bad gateway: Avery Quintana</body></html>',
      },
    ],
    [
      'truncated JSON',
      {
        kind: 'answer',
        status: 200,
        contentType: 'application/json',
        body: '{"data":{"branches":[{"name":"Arv',
      },
    ],
    [
      'text where JSON belongs',
      { kind: 'answer', status: 200, contentType: 'text/plain', body: 'Avery Quintana owes $4.25' },
    ],
    [
      'JSON that is not a GraphQL response',
      {
        kind: 'answer',
        status: 200,
        contentType: 'application/json',
        body: '{"rows":[{"name":"Avery Quintana"}]}',
      },
    ],
    [
      'data that is not an object',
      {
        kind: 'answer',
        status: 200,
        contentType: 'application/json',
        body: '{"data":["Avery Quintana"]}',
      },
    ],
  ];

  it.each(garbage)(
    "catalog sending %s: circulation's part is served, catalog's is null with one clear error",
    async (_, fault) => {
      g.proxies.catalog.set('/graphql', fault);
      const res = await g.query('patron', '{ me { name } work(id: "wk_7") { title } }');
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ me: { name: patron.name }, work: null });
      expect(res.errors).toEqual([unavailable('catalog')]);
      // Nothing of what the failed service sent reaches the client.
      expect(res.text).not.toMatch(/owes|Bad gateway|rows|Arv"/);
    },
  );

  it("a subgraph's refusal with a registered code is passed on as it is, not as an outage", async () => {
    const refusal = {
      errors: [
        {
          message: 'Operation depth 60 exceeds the limit of 15',
          extensions: { code: 'OPERATION_TOO_COMPLEX' },
        },
      ],
    };
    g.proxies.catalog.set('/graphql', {
      kind: 'answer',
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify(refusal),
    });
    const res = await g.query('patron', '{ me { name } work(id: "wk_7") { title } }');
    expect(res.data).toEqual({ me: { name: patron.name }, work: null });
    expect(res.errors).toEqual(refusal.errors);
    // A failure (5xx) says nothing of what the subgraph sent, even in a GraphQL error's shape.
    g.proxies.catalog.set('/graphql', {
      kind: 'answer',
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify(refusal),
    });
    expect((await g.query('patron', '{ me { name } work(id: "wk_7") { title } }')).errors).toEqual([
      unavailable('catalog'),
    ]);
  });

  it('circulation answering the wrong number of entities: its fields are null, the graph is not fooled', async () => {
    // An entity fetch (item availability) answered with an empty list instead of one entity per item.
    g.proxies.circulation.set('/graphql', {
      kind: 'answer',
      status: 200,
      contentType: 'application/json',
      body: '{"data":{"_entities":[]}}',
    });
    const res = await g.query(
      'anonymous',
      '{ works(first: 2) { nodes { title items { dueAt } } } }',
    );
    expect(res.status).toBe(200);
    expect(res.errors).toEqual([unavailable('circulation')]);
    const nodes = (res.data!.works as { nodes: { title: string; items: { dueAt: unknown }[] }[] })
      .nodes;
    expect(nodes.map((n) => typeof n.title)).toEqual(['string', 'string']);
    expect(nodes.flatMap((n) => n.items).every((i) => i.dueAt === null)).toBe(true);
    // And the graph answers in full as soon as circulation does again.
    g.proxies.circulation.set('/graphql', { kind: 'pass' });
    expect(
      (await g.query('anonymous', '{ works(first: 2) { nodes { title items { dueAt } } } }'))
        .errors,
    ).toBeUndefined();
  });
});
