import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { ReplicaSet, replicaUrls } from '../../src/config/replicas.js';
import { acrossReplicas, type FailoverEvent } from '../../src/gateway/replicaFailover.js';
import { retryOnReset } from '../../src/gateway/retryOnReset.js';
import { SubgraphClient } from '../../src/gateway/subgraphClient.js';

/**
 * A subgraph run as replicas behind one comma-separated URL: fetches go round-robin; a replica that
 * is gone (nothing listening) costs no fetch, query or mutation; a replica that dies holding a
 * query costs nothing either; but a mutation it may have committed is never sent to another.
 */
interface Replica {
  url: string;
  received: string[];
  close(): Promise<void>;
}

/**
 * A replica that answers every request, or (`dies`) reads the first and dies holding it, as a
 * killed process: the connection drops unanswered and nothing listens on its port any more.
 */
async function replica(dies = false): Promise<Replica> {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks).toString());
      if (dies) {
        server.close();
        return req.socket.destroy();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/graphql`;
  return {
    url,
    received,
    close: () =>
      new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
  };
}

/** A URL nothing listens on: a replica that is gone. */
async function gone(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/graphql`;
}

const QUERY = JSON.stringify({ query: 'query Q { works { id } }' });
const MUTATION = JSON.stringify({ query: 'mutation M { checkout(itemId: "it_1") { id } }' });

let client: SubgraphClient;
const opened: Replica[] = [];
const open = async (dies = false) => {
  const r = await replica(dies);
  opened.push(r);
  return r;
};
/** The gateway's layers below signing, over `urls`. */
const fetcherOver = (...urls: string[]) =>
  acrossReplicas(new ReplicaSet(urls), retryOnReset(client.fetcher));
const post = (fetcher: ReturnType<typeof fetcherOver>, body: string) =>
  fetcher('http://unused.invalid/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

beforeAll(() => {
  client = new SubgraphClient({ deadlineMs: 10_000, maxResponseBytes: 1 << 20 });
});
afterAll(async () => {
  await client.close();
  for (const r of opened) await r.close();
});

describe('a subgraph behind several replica URLs', () => {
  it('reads a comma-separated list from the environment', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      CIRCULATION_URL: 'http://a:4002/graphql, http://b:4002/graphql,',
    });
    expect(replicaUrls(config.subgraphUrls.circulation!)).toEqual([
      'http://a:4002/graphql',
      'http://b:4002/graphql',
    ]);
    expect(() =>
      loadConfig({ NODE_ENV: 'test', CIRCULATION_URL: 'http://a:4002/graphql,not a url' }),
    ).toThrow(/CIRCULATION_URL/);
  });

  it('sends fetches round-robin', async () => {
    const [a, b] = [await open(), await open()];
    const fetcher = fetcherOver(a.url, b.url);
    for (let i = 0; i < 4; i++) expect((await post(fetcher, QUERY)).status).toBe(200);
    expect([a.received.length, b.received.length]).toEqual([2, 2]);
  });

  it('sends a query or a mutation to the next replica when the first is gone', async () => {
    const b = await open();
    const fetcher = fetcherOver(await gone(), b.url);
    expect((await post(fetcher, QUERY)).status).toBe(200);
    expect((await post(fetcher, MUTATION)).status).toBe(200);
    expect(b.received).toEqual([QUERY, MUTATION]);
  });

  it('sends a query to the next replica when the first dies holding it', async () => {
    const [dying, b] = [await open(true), await open()];
    const answer = await post(fetcherOver(dying.url, b.url), QUERY);
    expect(answer.status).toBe(200);
    expect(b.received).toEqual([QUERY]);
  });

  it('reports a replica that drops out: a refusal once per outage, each broken query', async () => {
    const [b, dying, c] = [await open(), await open(true), await open()];
    const down = await gone();
    const events: FailoverEvent[] = [];
    const refusing = acrossReplicas(
      new ReplicaSet([down, b.url]),
      retryOnReset(client.fetcher),
      (e) => events.push(e),
    );
    // Round-robin starts at the gone replica, then at b; after the first refusal the gone replica
    // is tried last, so it is refused once more only when its turn comes again: still down.
    for (let i = 0; i < 4; i++) expect((await post(refusing, QUERY)).status).toBe(200);
    expect(events).toEqual([{ url: down, kind: 'refused', newlyDown: true }]);

    const resets: FailoverEvent[] = [];
    const breaking = acrossReplicas(
      new ReplicaSet([dying.url, c.url]),
      retryOnReset(client.fetcher),
      (e) => resets.push(e),
    );
    expect((await post(breaking, QUERY)).status).toBe(200);
    expect(resets[0]).toEqual({ url: dying.url, kind: 'reset' });
  });

  it('never sends a mutation the first replica may have committed to another: the caller gets the failure', async () => {
    const [dying, b] = [await open(true), await open()];
    await expect(post(fetcherOver(dying.url, b.url), MUTATION)).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/),
    });
    expect(dying.received.length).toBeGreaterThan(0);
    expect(b.received).toEqual([]);
  });
});
