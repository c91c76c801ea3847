/**
 * With DATABASE_URL set, the signature-nonce store is in PostgreSQL: replicas of a subgraph on
 * different hosts (different data directories) over one database refuse a signed call that any
 * one of them has served. Runs under `npm run test:postgres` only.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraph, type RunningGraph } from '../../src/app/graph.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createLogger } from '../../src/log/logger.js';
import { encodeContext } from '../../src/privacy/context/disclosureContext.js';
import { principalId } from '../../src/privacy/context/ids.js';
import { FACTS_AUDIENCE, FACTS_PATH } from '../../src/privacy/facts/factsEndpoint.js';
import {
  openNonceStore,
  type SharedNonceStore,
} from '../../src/privacy/verify/sharedNonceStore.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../../src/privacy/sign/signature.js';
import { createTestPostgresDatabase, TEST_ON_POSTGRES } from '../support/database.js';

/** A host's configuration: its own data directory, the shared database. */
const hostConfig = (url: string): Config =>
  loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'nonce-host-')),
    CIRCULATION_PORT: '0',
    SEED_ON_START: 'off',
    PURGE_SCHEDULE: 'off',
    LOG_LEVEL: 'silent',
  });

function post(base: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: FACTS_PATH,
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('where the nonce store is', () => {
  it('in PostgreSQL with a database URL, else (or with NONCE_STORE_FILE) in a SQLite file', () => {
    const pgUrl = 'postgres://library@db.example:5432/library';
    expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: '/srv/lib' }).nonceStore).toBe(
      '/srv/lib/nonces.db',
    );
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: pgUrl }).nonceStore).toEqual({
      url: pgUrl,
      schema: 'signing',
      poolSize: 10,
    });
    expect(loadConfig({ NODE_ENV: 'test', CIRCULATION_DATABASE_URL: pgUrl }).nonceStore).toEqual({
      url: pgUrl,
      schema: 'signing',
      poolSize: 10,
    });
    expect(
      loadConfig({ NODE_ENV: 'test', DATABASE_URL: pgUrl, NONCE_STORE_FILE: '/srv/n.db' })
        .nonceStore,
    ).toBe('/srv/n.db');
  });
});

describe.skipIf(!TEST_ON_POSTGRES)('the signature-nonce store on PostgreSQL', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestPostgresDatabase();
  });

  describe('two circulation replicas on two hosts over one database', () => {
    let a: RunningGraph;
    let b: RunningGraph;
    let config: Config;
    beforeAll(async () => {
      config = hostConfig(url);
      a = await startGraph(config, createLogger('test', 'silent'), 'circulation');
      b = await startGraph(hostConfig(url), createLogger('test', 'silent'), 'circulation');
    });
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
    });

    const signedFactsCall = () => {
      const context = encodeContext({
        principal: principalId('partner:test'),
        roles: ['partner'],
        duties: [],
        patronId: null,
        legalOrder: null,
        purpose: null,
        requestId: 'r',
      });
      const body = Buffer.from(JSON.stringify({ subjects: ['pat_x'] }));
      const signature = signRequest({
        key: audienceKey(config.contextSecret, FACTS_AUDIENCE),
        audience: FACTS_AUDIENCE,
        method: 'POST',
        target: FACTS_PATH,
        contentType: 'application/json',
        context,
        body,
      });
      return {
        headers: {
          'content-type': 'application/json',
          [CONTEXT_HEADER]: context,
          [SIGNATURE_HEADER]: signature,
        },
        body,
      };
    };

    it('a call served by one replica is refused when replayed to the other, both ways', async () => {
      const call = signedFactsCall();
      expect(await post(a.urls.circulation!, call.headers, call.body)).toBe(200);
      expect(await post(b.urls.circulation!, call.headers, call.body)).toBe(401);
      const next = signedFactsCall();
      expect(await post(b.urls.circulation!, next.headers, next.body)).toBe(200);
      expect(await post(a.urls.circulation!, next.headers, next.body)).toBe(401);
    });
  });

  describe('two stores (two pools) over one database', () => {
    const stores: SharedNonceStore[] = [];
    beforeAll(async () => {
      const config = hostConfig(url);
      // Opened at once, as replicas starting together do: creating the table must not race.
      stores.push(
        ...(await Promise.all([
          openNonceStore(config.nonceStore),
          openNonceStore(config.nonceStore),
        ])),
      );
    });
    afterAll(async () => {
      for (const store of stores) await store.close();
    });

    it('a nonce claimed on one is refused on the other', async () => {
      const now = Date.now();
      expect(await stores[0]!.claim('circulation', 'n-one-aaaaaaaaaaaa', now + 30_000, now)).toBe(
        true,
      );
      expect(await stores[1]!.claim('circulation', 'n-one-aaaaaaaaaaaa', now + 30_000, now)).toBe(
        false,
      );
      // The same nonce for another audience is another signature.
      expect(await stores[1]!.claim('catalog', 'n-one-aaaaaaaaaaaa', now + 30_000, now)).toBe(true);
    });

    it('of many concurrent claims of one nonce from both stores, exactly one wins', async () => {
      const now = Date.now();
      for (let round = 0; round < 5; round++) {
        const nonce = `n-race-${round}-aaaaaaaaaaaa`;
        const claims = Array.from({ length: 40 }, (_, i) =>
          stores[i % 2]!.claim('circulation', nonce, now + 30_000, now),
        );
        const wins = (await Promise.all(claims)).filter(Boolean).length;
        expect(wins).toBe(1);
      }
    });

    it('a nonce claimed by another process is refused here, and one claimed here is refused there', async () => {
      const now = Date.now();
      const script = `
        import { loadConfig } from './src/config/env.js';
        import { openNonceStore } from './src/privacy/verify/sharedNonceStore.js';
        const store = await openNonceStore(loadConfig({ NODE_ENV: 'test', DATABASE_URL: process.env.NONCE_TEST_URL }).nonceStore);
        const results = [];
        for (const nonce of process.argv.slice(1)) results.push(await store.claim('circulation', nonce, ${now + 30_000}, ${now}));
        await store.close();
        process.stdout.write(JSON.stringify(results));`;
      expect(
        await stores[0]!.claim('circulation', 'n-proc-here-aaaaaaaaaaaa', now + 30_000, now),
      ).toBe(true);
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            script,
            'n-proc-here-aaaaaaaaaaaa',
            'n-proc-there-aaaaaaaaaaaa',
          ],
          {
            env: { ...process.env, NONCE_TEST_URL: url },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`)),
        );
      });
      expect(JSON.parse(output)).toEqual([false, true]);
      expect(
        await stores[1]!.claim('circulation', 'n-proc-there-aaaaaaaaaaaa', now + 30_000, now),
      ).toBe(false);
    });
  });
});
