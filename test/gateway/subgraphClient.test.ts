import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SubgraphClient } from '../../src/gateway/subgraphClient.js';

/**
 * The gateway's undici client answers what @apollo/gateway's data source reads of a Fetch API
 * response, keeps connections to a subgraph alive between fetches, and refuses an answer past its
 * size cap instead of buffering it.
 */
const servers: http.Server[] = [];
const clients: SubgraphClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  servers.splice(0).forEach((s) => s.close());
});

async function serve(body: string, status = 200): Promise<{ url: string; sockets: Set<unknown> }> {
  const sockets = new Set<unknown>();
  const server = http.createServer((req, res) => {
    sockets.add(req.socket);
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json', 'Cache-Control': 'max-age=5' });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, sockets };
}

const client = (maxResponseBytes = 1024 * 1024) => {
  const c = new SubgraphClient({ deadlineMs: 10_000, maxResponseBytes });
  clients.push(c);
  return c;
};
const init = {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"query":"{ ok }"}',
};

describe('SubgraphClient', () => {
  it('answers status, headers (any case) and the body once, as text or JSON', async () => {
    const { url } = await serve('{"data":{"ok":true}}');
    const answer = await client().fetcher(url, init);
    expect([answer.status, answer.ok, answer.statusText]).toEqual([200, true, 'OK']);
    expect(answer.headers.get('Content-Type')).toBe('application/json');
    expect(answer.headers.get('cache-control')).toBe('max-age=5');
    const copy = answer.clone();
    expect(await answer.json()).toEqual({ data: { ok: true } });
    expect(answer.bodyUsed).toBe(true);
    await expect(answer.text()).rejects.toThrow('Body already read');
    expect(await copy.text()).toBe('{"data":{"ok":true}}');
  });

  it('passes an error status on as not ok, with its body', async () => {
    const { url } = await serve('{"errors":[{"message":"no"}]}', 502);
    const answer = await client().fetcher(url, init);
    expect([answer.status, answer.ok, answer.statusText]).toEqual([502, false, 'Bad Gateway']);
    expect(await answer.json()).toEqual({ errors: [{ message: 'no' }] });
  });

  it('keeps connections alive: twenty fetches one after another open no more than two', async () => {
    const { url, sockets } = await serve('{"data":{}}');
    const c = client();
    for (let i = 0; i < 20; i++) await (await c.fetcher(url, init)).text();
    expect(sockets.size).toBeLessThanOrEqual(2);
  });

  it('refuses an answer over its size cap', async () => {
    const { url } = await serve(JSON.stringify({ data: { big: 'x'.repeat(5_000) } }));
    await expect(client(1_000).fetcher(url, init)).rejects.toMatchObject({
      code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE',
    });
  });
});
