/**
 * Rotating the context secret service by service: a subgraph given CONTEXT_SECRET (new) and
 * CONTEXT_SECRET_PREVIOUS (old) serves calls signed under either, so gateways and subgraphs
 * still on the old secret keep working; once the previous secret is removed, a call signed under
 * it is refused like any forged one (401 UNAUTHENTICATED, no data).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraph, type RunningGraph } from '../../../src/app/graph.js';
import { loadConfig } from '../../../src/config/env.js';
import { createLogger } from '../../../src/log/logger.js';
import { anonymousContext, encodeContext } from '../../../src/privacy/context/disclosureContext.js';
import { FACTS_AUDIENCE, FACTS_PATH } from '../../../src/privacy/facts/factsEndpoint.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../../../src/privacy/sign/signature.js';

const OLD = 'o'.repeat(40);
const NEW = 'n'.repeat(40);
const STRANGER = 's'.repeat(40);

const start = (only: 'circulation' | 'catalog' | 'gateway', env: Record<string, string>) =>
  startGraph(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'rotation-')),
      CIRCULATION_PORT: '0',
      CATALOG_PORT: '0',
      GATEWAY_PORT: '0',
      SEED_ON_START: 'off',
      PURGE_SCHEDULE: 'off',
      LOG_LEVEL: 'silent',
      ...env,
    }),
    createLogger('test', 'silent'),
    only,
  );
const circulation = (env: Record<string, string>) => start('circulation', env);

/** Sends one call to `target` of `base`, signed under `secret` as a gateway (or a subgraph's facts client) would. */
async function call(
  base: string,
  target: '/graphql' | typeof FACTS_PATH,
  secret: string,
): Promise<{ status: number; code?: string | undefined }> {
  const audience = target === '/graphql' ? 'circulation' : FACTS_AUDIENCE;
  const context = encodeContext(anonymousContext('r'));
  const body = Buffer.from(
    JSON.stringify(target === '/graphql' ? { query: '{ __typename }' } : { subjects: ['pat_x'] }),
  );
  const signature = signRequest({
    key: audienceKey(secret, audience),
    audience,
    method: 'POST',
    target,
    contentType: 'application/json',
    context,
    body,
  });
  const response = await fetch(new URL(target, base), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: context,
      [SIGNATURE_HEADER]: signature,
    },
    body,
  });
  const json = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, code: json.errors?.[0]?.extensions?.code };
}

describe('a context-secret rotation', () => {
  let during: RunningGraph;
  let after: RunningGraph;
  beforeAll(async () => {
    during = await circulation({ CONTEXT_SECRET: NEW, CONTEXT_SECRET_PREVIOUS: OLD });
    after = await circulation({ CONTEXT_SECRET: NEW });
  });
  afterAll(async () => {
    await during?.stop();
    await after?.stop();
  });

  it.each(['/graphql', FACTS_PATH] as const)(
    '%s: during the rotation, calls signed under the new or the previous secret are served',
    async (target) => {
      expect((await call(during.urls.circulation!, target, NEW)).status).toBe(200);
      expect((await call(during.urls.circulation!, target, OLD)).status).toBe(200);
    },
  );

  it.each(['/graphql', FACTS_PATH] as const)(
    '%s: a secret that is neither is refused',
    async (target) => {
      expect(await call(during.urls.circulation!, target, STRANGER)).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    },
  );

  it.each(['/graphql', FACTS_PATH] as const)(
    '%s: once the previous secret is removed, calls signed under it are refused',
    async (target) => {
      expect((await call(after.urls.circulation!, target, NEW)).status).toBe(200);
      expect(await call(after.urls.circulation!, target, OLD)).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    },
  );

  it('CONTEXT_SECRET_PREVIOUS must be as long as a secret', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'test', CONTEXT_SECRET: NEW, CONTEXT_SECRET_PREVIOUS: 'short' }),
    ).toThrow(/CONTEXT_SECRET_PREVIOUS/);
  });
});

describe('gateways and subgraphs moved to the new secret one by one', () => {
  const running: RunningGraph[] = [];
  afterAll(async () => {
    for (const graph of running.reverse()) await graph.stop();
  });
  const catalog = async (env: Record<string, string>) => {
    const graph = await start('catalog', env);
    running.push(graph);
    return graph.urls.catalog!;
  };
  /** Runs a catalog query through a gateway with `env` in front of the catalog at `url`. */
  const through = async (url: string, env: Record<string, string>) => {
    const gateway = await start('gateway', { ...env, CATALOG_URL: url });
    running.push(gateway);
    const response = await fetch(gateway.urls.gateway!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ works(first: 1) { nodes { id } } }' }),
    });
    const json = (await response.json()) as {
      data?: { works?: unknown } | null;
      errors?: { extensions?: { code?: string } }[];
    };
    return json.errors?.length
      ? `failed: ${json.errors[0]?.extensions?.code}`
      : json.data?.works
        ? 'answered'
        : 'no data';
  };

  it('step 1 and 2: old and new gateways are answered by subgraphs accepting both; step 3: only the new', async () => {
    const both = await catalog({ CONTEXT_SECRET: NEW, CONTEXT_SECRET_PREVIOUS: OLD });
    const newOnly = await catalog({ CONTEXT_SECRET: NEW });
    expect(await through(both, { CONTEXT_SECRET: OLD })).toBe('answered');
    // A gateway in step 2 signs with its current secret: a subgraph that knows only the new one answers it.
    expect(await through(newOnly, { CONTEXT_SECRET: NEW, CONTEXT_SECRET_PREVIOUS: OLD })).toBe(
      'answered',
    );
    expect(await through(newOnly, { CONTEXT_SECRET: OLD })).toBe('failed: SERVICE_UNAVAILABLE');
  });
});
