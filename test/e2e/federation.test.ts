import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS } from '../../src/dev/personas.js';
import { codes, startTestGraph, type TestGraph } from '../support/graph.js';

/** Every outbound TCP connection made in this process, to prove nothing leaves the machine. */
const outbound: string[] = [];
diagnostics.subscribe('net.client.socket', (message) => {
  const socket = (message as { socket: net.Socket }).socket;
  socket.once('connect', () => outbound.push(socket.remoteAddress ?? '?'));
  socket.once('lookup', (_err: unknown, address: string) => outbound.push(address));
});

let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph();
});
afterAll(async () => t?.stop());

describe('the federated graph over HTTP', () => {
  it('answers a query joining catalog, circulation and events', async () => {
    const res = await t.query(
      'patron',
      `{ me { id loans { dueAt item { barcode availability work { title } branch { name } } }
              registrations { event { title branch { name } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const me = res.data!.me as {
      id: string;
      loans: {
        item: { availability: string; work: { title: string }; branch: { name: string } };
      }[];
      registrations: { event: { branch: { name: string } } }[];
    };
    expect(me.id).toBe(PERSONA_PATRONS.patron.id);
    expect(me.loans.length).toBeGreaterThan(0);
    expect(
      me.loans.every((l) => l.item.work.title.length > 0 && l.item.branch.name.endsWith('Library')),
    ).toBe(true);
    expect(me.loans.some((l) => l.item.availability === 'ON_LOAN')).toBe(true);
    expect(me.registrations[0]!.event.branch.name).toMatch(/Library$/);
  });

  it('pages through works with a cursor', async () => {
    const first = await t.query(
      'anonymous',
      '{ works(first: 3) { nodes { id } pageInfo { endCursor hasNextPage } totalCount } }',
    );
    const page = first.data!.works as {
      nodes: { id: string }[];
      pageInfo: { endCursor: string; hasNextPage: boolean };
      totalCount: number;
    };
    expect(page.nodes).toHaveLength(3);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await t.query(
      'anonymous',
      'query($after: String) { works(first: 3, after: $after) { nodes { id } } }',
      { after: page.pageInfo.endCursor },
    );
    const ids = (next.data!.works as { nodes: { id: string }[] }).nodes.map((n) => n.id);
    expect(ids).toHaveLength(3);
    expect(ids.some((id) => page.nodes.some((n) => n.id === id))).toBe(false);
  });

  it('gives HTTP 400 with the parser message for a malformed query or JSON body', async () => {
    const bad = await t.query('anonymous', '{ works(first: 3) { nodes { id }');
    expect(bad.status).toBe(400);
    expect(codes(bad)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(bad.errors![0]!.message).toMatch(/Syntax Error/);
    const response = await fetch(t.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(/Malformed JSON body/);
  });

  it('refuses a bad token with 401 UNAUTHENTICATED instead of serving it as anonymous', async () => {
    const response = await fetch(t.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.token' },
      body: JSON.stringify({ query: '{ branches { id } }' }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as {
      errors: { extensions: { code: string } }[];
      data?: unknown;
    };
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.data).toBeUndefined();
  });

  it('reports unknown public ids as NOT_FOUND and rule breaks as BAD_USER_INPUT', async () => {
    const unknownItem = await t.query(
      'circulation-staff',
      'mutation { checkout(itemId: "it_nope", cardNumber: "29012000000011") { id } }',
    );
    expect(codes(unknownItem)).toEqual(['NOT_FOUND']);
    const forbidden = await t.query('anonymous', 'mutation { returnItem(itemId: "it_1") { id } }');
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
  });

  it('talks to nothing but loopback: no telemetry, no cloud metadata probes', async () => {
    await t.query('patron', '{ me { id loans { item { work { title } } } registrations { id } } }');
    await new Promise((r) => setTimeout(r, 300));
    expect(outbound.length).toBeGreaterThan(0);
    expect(outbound.filter((address) => !/^(127\.|::1$|::ffff:127\.)/.test(address))).toEqual([]);
  });

  it('serves a health endpoint', async () => {
    const response = await fetch(t.gatewayUrl.replace(/\/graphql$/, '/health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', service: 'gateway' });
  });

  it("shows on each subgraph's health whether its audit writer takes writes", async () => {
    const health = async () =>
      (await fetch(t.graph.urls.circulation!.replace(/\/graphql$/, '/health'))).json() as Promise<{
        audit?: string;
      }>;
    const deadline = Date.now() + 10_000;
    while ((await health()).audit === 'starting' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await health()).toEqual({ status: 'ok', service: 'circulation', audit: 'ready' });
  });
});
