import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { PERSONAS } from '../dev/personas.js';
import type { Config } from '../config/env.js';
import { HttpRefusal, refusal } from '../errors/httpRefusal.js';
import { sendJson, type RawRequest, type Route } from '../http/serve.js';
import type { Logger } from '../log/logger.js';
import { createTokenIssuer } from '../privacy/authenticate/token.js';
import { PLAYGROUND_DIST, servableBundle } from './bundle.js';
import { playgroundHtml } from './html.js';
import { TOKEN_PATH } from './personaHeaders.js';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * The page may load and call nothing but this origin: a playground that cannot reach the internet
 * cannot leak to it either, and a missing local asset fails loudly instead of quietly using a CDN.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Host names a browser on this machine uses; tokens are handed to no other (DNS rebinding). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const TokenRequest = z.object({
  persona: z.enum(Object.keys(PERSONAS) as [keyof typeof PERSONAS, ...(keyof typeof PERSONAS)[]]),
});

const hostnameOf = (request: RawRequest) => {
  try {
    return new URL(`http://${request.req.headers.host ?? ''}`).hostname;
  } catch {
    return '';
  }
};

/** Options of the playground route. */
export interface PlaygroundRouteOptions {
  config: Config;
  logger: Logger;
  /** The GraphQL endpoint the page talks to. */
  endpoint?: string;
}

/**
 * The offline GraphiQL playground as a route of the gateway's HTTP server: GET `/` (the page),
 * GET `/playground/<file>` (the bundle, hashed names, cached for a year) and, outside production
 * only, POST `/playground/token` `{ "persona": "..." }` -> `{ token }`, a persona's development
 * token. A browser's GET `/graphql` (Accept: text/html) is sent to `/`. Everything else falls
 * through, so `/graphql` POSTs are untouched.
 */
export async function playgroundRoute({
  config,
  logger,
  endpoint = '/graphql',
}: PlaygroundRouteOptions): Promise<Route> {
  const production = config.env === 'production';
  // The builder (esbuild) is loaded only when there is no bundle to serve as it is.
  const manifest =
    servableBundle(production) ??
    (await (
      await import('./build.js')
    ).ensurePlayground(production, {
      info: (message) => logger.info(message),
      error: (message) => logger.error(message),
    }));
  const files = new Set(manifest?.files ?? []);
  const issue = production ? null : await createTokenIssuer(config);
  const page = manifest ? playgroundHtml({ manifest, tokens: issue !== null, endpoint }) : null;
  const allowedHosts = new Set([...LOCAL_HOSTS, config.host]);

  return async (request, res) => {
    const method = request.req.method ?? 'GET';
    const url = new URL(request.req.url ?? '/', 'http://localhost');
    const reads = method === 'GET' || method === 'HEAD';

    if (url.pathname === '/' && reads) {
      if (!page) {
        res.writeHead(503, {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(
          'The playground bundle failed to build: the gateway log says why. Fix it and restart, or run `npm run playground:build`.\n',
        );
        return true;
      }
      res.writeHead(200, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(page) });
      res.end(method === 'HEAD' ? undefined : page);
      return true;
    }

    if (
      url.pathname === endpoint &&
      reads &&
      !url.searchParams.has('query') &&
      (request.req.headers.accept ?? '').includes('text/html')
    ) {
      res.writeHead(302, { location: '/' });
      res.end();
      return true;
    }

    if (url.pathname === TOKEN_PATH && method === 'POST') {
      if (!issue) return false; // production: no such route
      if (!allowedHosts.has(hostnameOf(request))) {
        throw new HttpRefusal(
          403,
          'FORBIDDEN',
          'Development tokens are handed out to a browser on this machine only (open the playground at localhost)',
        );
      }
      if (!(request.req.headers['content-type'] ?? '').startsWith('application/json')) {
        throw refusal('BAD_REQUEST', 'POST requests need Content-Type: application/json');
      }
      let body: unknown;
      try {
        body = JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new HttpRefusal(400, 'BAD_USER_INPUT', 'Body must be JSON: { "persona": "<name>" }');
      }
      const parsed = TokenRequest.safeParse(body);
      if (!parsed.success) {
        throw new HttpRefusal(
          400,
          'BAD_USER_INPUT',
          `persona must be one of: ${Object.keys(PERSONAS).join(', ')}`,
        );
      }
      const token = await issue(PERSONAS[parsed.data.persona]);
      logger.info({ persona: parsed.data.persona }, 'playground: minted a development token');
      res.setHeader('cache-control', 'no-store');
      sendJson(res, 200, { token });
      return true;
    }

    if (url.pathname.startsWith('/playground/') && reads) {
      const name = url.pathname.slice('/playground/'.length);
      // Only the files of the current build: nothing else on disk is reachable from here.
      if (!files.has(name)) return false;
      const body = await fs.readFile(path.join(PLAYGROUND_DIST, name)).catch(() => null);
      if (!body) return false; // replaced by a newer build meanwhile: the page reloads with new names
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    }

    return false;
  };
}
