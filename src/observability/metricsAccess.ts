import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refusal } from '../errors/httpRefusal.js';
import type { Route } from '../http/serve.js';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Renders the metrics a port shows, in Prometheus' text format. */
export type RenderMetrics = () => Promise<string>;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares a presented token with the configured one in constant time (hashes of equal length). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

const isMetrics = (req: http.IncomingMessage): boolean =>
  new URL(req.url ?? '/', 'http://localhost').pathname === METRICS_PATH;

/**
 * `/metrics` on a service's public port: served only to the bearer of `token`; without a token
 * configured the path does not exist (404), so the counters are never public. A wrong or missing
 * token is 401.
 */
export function metricsRoute(render: RenderMetrics, token: string | null): Route {
  return async ({ req }, res) => {
    if (token === null || !isMetrics(req)) return false;
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!tokenMatches(match?.[1], token))
      throw refusal('UNAUTHENTICATED', 'Metrics need the scraper token');
    const text = await render();
    res.writeHead(200, { 'content-type': CONTENT_TYPE });
    res.end(text);
    return true;
  };
}

/** A running admin port. */
export interface MetricsServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves `/metrics` on `port` bound to 127.0.0.1 only: a scraper on the same host (or a sidecar)
 * reads it without a token; nothing off the host can reach it. It shows every service of the process.
 */
export async function startMetricsServer(
  port: number,
  render: RenderMetrics,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || !isMetrics(req)) {
      res.writeHead(404).end();
      return;
    }
    render().then(
      (text) => {
        res.writeHead(200, { 'content-type': CONTENT_TYPE });
        res.end(text);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${METRICS_PATH}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
