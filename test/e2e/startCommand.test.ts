import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PERSONAS } from '../../src/dev/personas.js';
import { loadConfig } from '../../src/config/env.js';
import { mintToken } from '../../src/privacy/authenticate/token.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';

/**
 * `npm start` as a user runs it: one command creates, migrates and seeds an empty data directory,
 * starts three subgraphs and the gateway, prints their URLs, answers a query that joins all three,
 * and on SIGTERM lets an in-flight request finish before it exits cleanly.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-command-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves the joined graph from an empty data directory, then stops gracefully on SIGTERM', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'error',
        GATEWAY_PORT: '0',
        CATALOG_PORT: '0',
        CIRCULATION_PORT: '0',
        EVENTS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const gateway = await new Promise<string>((resolve, reject) => {
      // How fast it starts is bench:peers' concern; here only that it does, on a loaded machine too.
      const timer = setTimeout(
        () => reject(new Error(`no gateway URL within 90 s:\n${out}`)),
        90_000,
      );
      child!.stdout!.on('data', () => {
        const match = /gateway\s+(http:\/\/\S+\/graphql)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child!.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${out}`)));
    });
    expect(out).toMatch(/catalog\s+http/);
    expect(fs.existsSync(path.join(dataDir, 'circulation.db'))).toBe(true);

    const token = await mintToken(PERSONAS.patron, loadConfig({ NODE_ENV: 'development' }));
    const ask = (query: string) =>
      fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
    const joined = (await (
      await ask('{ me { loans { item { work { title } } } registrations { event { title } } } }')
    ).json()) as { data: { me: { loans: unknown[] } } };
    expect(joined.data.me.loans.length).toBeGreaterThan(0);

    const inFlight = ask(
      '{ works(first: 200) { nodes { title items { barcode availability branch { name } } } } }',
    );
    // Let the request reach the gateway and be read before the signal does (a connection whose
    // request is not read yet is idle, and a stopping server closes idle connections).
    await new Promise((r) => setTimeout(r, 150));
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { works: { nodes: unknown[] } } | null };
    expect(
      body.data?.works.nodes,
      `${JSON.stringify(body).slice(0, 300)}\n${out.slice(-1500)}`,
    ).toHaveLength(200);
    expect(await exited).toBe(0);
  }, 150_000);
});
