import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/env.js';
import { type Route } from '../../src/http/serve.js';
import { createLogger } from '../../src/log/logger.js';
import { readManifest } from '../../src/playground/bundle.js';
import { playgroundRoute } from '../../src/playground/serve.js';
import { playgroundUrl } from '../../src/playground/url.js';
import { createAuthenticator } from '../../src/privacy/authenticate/token.js';

/**
 * The playground's HTTP side without a browser: what GET `/`, the bundle and the token endpoint
 * answer in development and in production, and what falls through to the gateway.
 */

interface Served {
  base: string;
  close(): Promise<void>;
}

/** Serves one route on a free port; whatever it does not handle is a 404, as in the gateway. */
async function serve(route: Route): Promise<Served> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          if (!(await route({ req, body: Buffer.concat(chunks) }, res))) res.writeHead(404).end();
        } catch (error) {
          res.writeHead((error as { status?: number }).status ?? 500).end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const logger = createLogger('test', 'silent');
const development = loadConfig({ NODE_ENV: 'test', PLAYGROUND: 'graphiql' });
const production: Config = { ...development, env: 'production' };
const mintFor = (base: string, persona: string) =>
  fetch(`${base}/playground/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ persona }),
  });

let dev: Served;
let prod: Served;
beforeAll(async () => {
  dev = await serve(await playgroundRoute({ config: development, logger }));
  prod = await serve(await playgroundRoute({ config: production, logger }));
});
afterAll(async () => {
  await dev?.close();
  await prod?.close();
});

describe('configuration', () => {
  it('is GraphiQL in development, off elsewhere unless asked for', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).playground).toBe('graphiql');
    expect(loadConfig({ NODE_ENV: 'test' }).playground).toBe('off');
    expect(loadConfig({ NODE_ENV: 'test', PLAYGROUND: 'apollo-sandbox' }).playground).toBe(
      'apollo-sandbox',
    );
    expect(() => loadConfig({ NODE_ENV: 'test', PLAYGROUND: 'graphiql-cdn' })).toThrow(
      /PLAYGROUND/,
    );
  });

  it('prints the URL a developer opens', () => {
    expect(playgroundUrl('graphiql', 'http://localhost:4000/graphql')).toBe(
      'http://localhost:4000/',
    );
    expect(playgroundUrl('apollo-sandbox', 'http://localhost:4000/graphql')).toBe(
      'http://localhost:4000/graphql',
    );
    expect(playgroundUrl('off', 'http://localhost:4000/graphql')).toBeNull();
  });
});

describe('the page and its bundle', () => {
  it('serves the page from this origin only, with a policy that forbids any other', async () => {
    const response = await fetch(`${dev.base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain('data-tokens="on"');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves every file of the build with its type and a long cache, and nothing else', async () => {
    const manifest = readManifest()!;
    for (const [file, type] of [
      [manifest.script, 'text/javascript'],
      [manifest.stylesheet, 'text/css'],
    ] as const) {
      const response = await fetch(`${dev.base}/playground/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(type);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    for (const path of [
      '/playground/manifest.json',
      '/playground/..%2Fmanifest.json',
      '/playground/%2E%2E/%2E%2E/package.json',
      '/other',
    ]) {
      expect((await fetch(`${dev.base}${path}`)).status, path).toBe(404);
    }
  });

  it('sends a browser asking for /graphql to the page, and leaves API requests alone', async () => {
    const browser = await fetch(`${dev.base}/graphql`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/');
    const api = await fetch(`${dev.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{__typename}"}',
    });
    expect(api.status).toBe(404); // fell through: the gateway's /graphql handles it
  });
});

describe('persona tokens', () => {
  it('mints a verifiable development token for a persona', async () => {
    const response = await mintFor(dev.base, 'circulation-staff');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { token } = (await response.json()) as { token: string };
    const caller = await (
      await createAuthenticator(development)
    )({ authorization: `Bearer ${token}` }, 'r1');
    expect(caller.roles).toEqual(['staff']);
    expect(caller.duties).toEqual(['circulation']);
  });

  it('refuses unknown personas, non-JSON bodies and pages served under another host name', async () => {
    expect((await mintFor(dev.base, 'superuser')).status).toBe(400);
    expect((await mintFor(dev.base, 'anonymous')).status).toBe(400);
    expect(
      (await fetch(`${dev.base}/playground/token`, { method: 'POST', body: 'persona=patron' }))
        .status,
    ).toBe(400);
    // fetch may not set Host, so this one goes through node:http: a DNS-rebinding page's request.
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        `${dev.base}/playground/token`,
        {
          method: 'POST',
          headers: { host: 'attacker.example:4000', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ persona: 'patron' }));
    });
    expect(rebound).toBe(403);
  });

  it('mints nothing in production, where the page disables the switcher', async () => {
    expect((await mintFor(prod.base, 'circulation-staff')).status).toBe(404);
    expect(await (await fetch(`${prod.base}/`)).text()).toContain('data-tokens="off"');
  });
});
