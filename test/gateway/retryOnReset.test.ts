import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { isConnectionReset, retryOnReset } from '../../src/gateway/retryOnReset.js';
import { SubgraphClient } from '../../src/gateway/subgraphClient.js';

/**
 * A pooled connection the subgraph closes as a request goes out fails that request with a reset.
 * The gateway sends it once more, with the same signed headers, so that a race of keep-alive
 * timers never becomes an error for the caller, and a replay guard keeps the retry at most once.
 */

type Fetcher = RemoteGraphQLDataSource['fetcher'];

const servers: http.Server[] = [];
const clients: SubgraphClient[] = [];
afterEach(async () => {
  servers.splice(0).forEach((s) => s.close());
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A server that hangs up on the first `resets` requests, then answers; it records what it got. */
async function flakyServer(resets: number): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push(`${req.headers['x-signature'] ?? ''}|${body}`);
      if (seen.length <= resets) req.socket.destroy();
      else res.end(JSON.stringify({ data: { ok: true } }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, seen };
}

/** The gateway's undici client, and @apollo/gateway's default (make-fetch-happen) for comparison. */
const FETCHERS: [string, () => Fetcher][] = [
  [
    "undici (the gateway's client)",
    () => {
      const client = new SubgraphClient({ deadlineMs: 10_000, maxResponseBytes: 1024 * 1024 });
      clients.push(client);
      return client.fetcher;
    },
  ],
  ['make-fetch-happen', () => new RemoteGraphQLDataSource({ url: 'http://127.0.0.1/' }).fetcher],
];
const init = { method: 'POST', body: '{"query":"{ ok }"}', headers: { 'x-signature': 'v2;n=abc' } };

describe.each(FETCHERS)('retryOnReset over %s', (_, plainFetcher) => {
  it('answers a request whose first connection was reset, sending the same headers and body again', async () => {
    const bare = await flakyServer(1);
    const error: unknown = await plainFetcher()(bare.url, init).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isConnectionReset(error)).toBe(true);

    const { url, seen } = await flakyServer(1);
    const response = await retryOnReset(plainFetcher())(url, init);
    expect(await response.json()).toEqual({ data: { ok: true } });
    expect(seen).toEqual(['v2;n=abc|{"query":"{ ok }"}', 'v2;n=abc|{"query":"{ ok }"}']);
  });

  it('tries once more only: a second reset reaches the caller', async () => {
    const { url, seen } = await flakyServer(2);
    const error: unknown = await retryOnReset(plainFetcher())(url, init).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isConnectionReset(error)).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it('does not retry other failures, or a request the deadline aborted', async () => {
    let calls = 0;
    const failing = (async () => {
      calls += 1;
      throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    }) as unknown as Fetcher;
    await expect(retryOnReset(failing)('http://x/', init)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(calls).toBe(1);

    const controller = new AbortController();
    controller.abort();
    const reset = (async () => {
      calls += 1;
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }) as unknown as Fetcher;
    calls = 0;
    await expect(
      retryOnReset(reset)('http://x/', { ...init, signal: controller.signal } as never),
    ).rejects.toThrow('socket hang up');
    expect(calls).toBe(1);
  });
});
