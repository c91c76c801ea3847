import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A subgraph seen through a proxy: how many requests reached it, and which were abandoned. */
export interface SubgraphProxy {
  url: string;
  /** Requests received (each one a subgraph call by the gateway). */
  calls: number;
  /** Requests whose client closed the connection before the answer was sent. */
  aborted: number;
  /** Milliseconds to hold each request before forwarding it. */
  delayMs: number;
  close(): Promise<void>;
}

/**
 * Starts an HTTP proxy in front of a real subgraph that counts the calls reaching it and can
 * answer slowly; it forwards the exact bytes and headers, so the gateway's signature still holds.
 */
export async function startProxy(target: string): Promise<SubgraphProxy> {
  const state = { calls: 0, aborted: 0, delayMs: 0 };
  const server = http.createServer((req, res) => {
    state.calls++;
    const chunks: Buffer[] = [];
    let answered = false;
    res.on('close', () => {
      if (!answered) state.aborted++;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        if (res.destroyed) return;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k))
            headers[k] = v;
        void fetch(target, { method: req.method, headers, body: Buffer.concat(chunks) })
          .then(async (r) => {
            const body = Buffer.from(await r.arrayBuffer());
            answered = true;
            res.writeHead(r.status, {
              'content-type': r.headers.get('content-type') ?? 'application/json',
            });
            res.end(body);
          })
          .catch(() => res.destroy());
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as SubgraphProxy;
}
