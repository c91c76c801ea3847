import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does with a request: pass it on, drop the connection as a dead process would,
 * pass it on late, or answer something that is not the service's answer.
 */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'drop' }
  | { kind: 'slow'; ms: number }
  | { kind: 'answer'; status: number; contentType: string; body: string; delayMs?: number };

/** A proxy in front of one service that injects faults per path (`/graphql`, `/internal/facts`). */
export interface FaultProxy {
  url: string;
  /** The fault for requests whose path starts with `pathPrefix`; `pass` clears it. */
  set(pathPrefix: string, fault: Fault): void;
  /** Requests that reached the proxy, per path. */
  seen(pathPrefix: string): number;
  close(): Promise<void>;
}

/** Starts a proxy on a free port that forwards to `target` (an origin, e.g. http://localhost:4002). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults = new Map<string, Fault>();
  const counts = new Map<string, number>();
  const faultFor = (path: string): [string, Fault] => {
    for (const [prefix, fault] of faults) if (path.startsWith(prefix)) return [prefix, fault];
    return [path, { kind: 'pass' }];
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const [prefix, fault] = faultFor(path);
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
      if (fault.kind === 'drop') return void req.socket.destroy();
      if (fault.kind === 'answer') {
        const answer = () => {
          res.writeHead(fault.status, { 'content-type': fault.contentType });
          res.end(fault.body);
        };
        return void (fault.delayMs ? setTimeout(answer, fault.delayMs) : answer());
      }
      const forward = async () => {
        if (fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms));
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            ([k, v]) =>
              typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k),
          ),
        ) as Record<string, string>;
        const answer = await fetch(new URL(path, target), {
          method: req.method,
          headers,
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      };
      forward().catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (prefix, fault) =>
      fault.kind === 'pass' ? faults.delete(prefix) : faults.set(prefix, fault),
    seen: (prefix) => counts.get(prefix) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
