import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS, type PersonaName } from '../../src/dev/personas.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createLogger } from '../../src/log/logger.js';
import { openSqlite } from '../../src/db/open.js';
import { AuditStore } from '../../src/privacy/audit/store/auditStore.js';
import { auditMigrations, type AuditTables } from '../../src/privacy/audit/store/migrations.js';
import { mintToken } from '../../src/privacy/authenticate/token.js';
import { superviseGraph, type SupervisedGraph } from '../../src/supervisor/supervisor.js';

/**
 * `npm start`'s supervised graph under load, with circulation's process killed in the middle:
 * the gateway keeps answering (catalog's part, and a clear error for circulation's), nothing
 * confidential leaks through the fallback, the supervisor restarts circulation, and the graph
 * recovers on its own. Every disclosure answered meanwhile is in the audit, which three
 * processes share, and its chains verify.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'killed-subgraph-'));
const env = {
  ...process.env,
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'error',
  GATEWAY_PORT: '0',
  CATALOG_PORT: '0',
  CIRCULATION_PORT: '0',
  EVENTS_PORT: '0',
  RESTART_DELAY_MS: '300',
};
const lines: { msg: string }[] = [];
let graph: SupervisedGraph;
let config: Config;
beforeAll(async () => {
  config = loadConfig(env);
  const sink = new Writable({
    write: (chunk: Buffer, _e, done) => (
      lines.push(JSON.parse(chunk.toString()) as { msg: string }),
      done()
    ),
  });
  graph = await superviseGraph(config, createLogger('supervisor', 'info', sink), env);
});
afterAll(async () => {
  const pids = graph ? Object.values(graph.services).map((s) => s.pid) : [];
  await graph?.stop();
  for (const pid of pids)
    expect(() => process.kill(pid!, 0), 'no service outlives the stop').toThrow();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const { patron, minor, guardian } = PERSONA_PATRONS;
/** Values no answer to these callers may ever hold, whatever is up or down. */
const CANARIES = [patron, minor, guardian].flatMap((p) => [
  p.id,
  p.name,
  p.email,
  p.cardNumber,
  p.phone,
]);

interface Mix {
  persona: PersonaName;
  query: string;
  canaries: string[];
}
const MIX: Mix[] = [
  // Anonymous: catalog, events and circulation in one question; no patron data at all.
  {
    persona: 'anonymous',
    canaries: CANARIES,
    query: `{ works(first: 5) { nodes { title items { dueAt } } } me { name } patron(id: "${patron.id}") { name email } events(first: 3) { title registrations { attendee { id name } } } }`,
  },
  // The partner has no consent for the minor; events needs circulation's facts to know that.
  {
    persona: 'partner',
    canaries: [minor.id, minor.name, minor.email, minor.cardNumber],
    query: `{ branches { name } patron(id: "${minor.id}") { name email registrations { registeredAt } } }`,
  },
  // Staff who may see the patron: disclosed while circulation is up, and then audited.
  {
    persona: 'circulation-staff',
    canaries: [],
    query: `{ branches { name } patron(id: "${patron.id}") { name email } }`,
  },
  // Events staff see attendees (OPERATIONS, no facts needed): events keeps disclosing, and recording, throughout.
  {
    persona: 'events-staff',
    canaries: [],
    query: '{ branches { name } events(first: 2) { registrations { attendee { id } } } }',
  },
];

interface Answer {
  mix: Mix;
  requestId: string;
  status: number;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

describe('circulation killed in the middle of a load run', () => {
  it('degrades to partial answers with a clear error, leaks nothing, restarts and recovers', async () => {
    const tokens = new Map<PersonaName, string>();
    for (const m of MIX)
      if (m.persona !== 'anonymous')
        tokens.set(m.persona, await mintToken(PERSONAS[m.persona], config));
    const answers: Answer[] = [];
    let sent = 0;
    const ask = async (mix: Mix): Promise<Answer> => {
      const requestId = `load-${(sent += 1)}`;
      const token = tokens.get(mix.persona);
      const res = await fetch(graph.urls.gateway, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': requestId,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: mix.query }),
      });
      const text = await res.text();
      return { mix, requestId, status: res.status, text, body: JSON.parse(text) as Answer['body'] };
    };
    // Four services, four processes, none of them this one.
    const pids = Object.values(graph.services).map((s) => s.pid);
    expect(new Set([...pids, process.pid]).size).toBe(5);
    const circulation = graph.services.circulation;
    const killedPid = circulation.pid!;
    let phase: 'before' | 'after-kill' = 'before';
    let recoveredAt = 0;
    const worker = async (offset: number) => {
      for (let i = offset; ; i++) {
        const answer = await ask(MIX[i % MIX.length]!);
        answers.push(answer);
        const full =
          answer.mix.persona === 'circulation-staff' &&
          (answer.body.data?.patron as { name?: string } | null)?.name === patron.name;
        if (phase === 'after-kill' && full && circulation.restarts === 1 && !recoveredAt)
          recoveredAt = Date.now();
        if (recoveredAt && Date.now() - recoveredAt > 1000) return;
        if (Date.now() - started > 45_000) throw new Error('the graph did not recover within 45 s');
      }
    };
    const started = Date.now();
    const load = Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    await new Promise((r) => setTimeout(r, 1500));
    phase = 'after-kill';
    process.kill(killedPid, 'SIGKILL');
    await load;

    // The gateway answered every request, with JSON.
    expect(answers.length).toBeGreaterThan(30);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // During the outage: catalog's part served, circulation's part null with the clear error.
    const degraded = answers.filter((a) =>
      a.body.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE'),
    );
    expect(degraded.length).toBeGreaterThan(0);
    for (const a of degraded) {
      expect(
        a.body.errors!.find((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')!.message,
      ).toMatch(/^The circulation service is unavailable/);
      if (a.mix.persona !== 'anonymous')
        expect((a.body.data?.branches as unknown[]).length).toBeGreaterThan(0);
      else expect((a.body.data?.works as { nodes: unknown[] }).nodes.length).toBe(5);
    }
    // Nothing confidential reached a caller without an exception, before, during or after.
    for (const a of answers)
      for (const canary of a.mix.canaries)
        expect(a.text, `${a.mix.persona} ${a.requestId}`).not.toContain(canary);
    // Only the error codes the outage explains.
    const codes = new Set(
      answers.flatMap((a) => (a.body.errors ?? []).map((e) => e.extensions?.code)),
    );
    expect(
      [...codes].filter((c) => !['PRIVACY_REDACTED', 'SERVICE_UNAVAILABLE'].includes(c!)),
      'unexplained error codes',
    ).toEqual([]);

    // Restarted once, on the same URL, and said why.
    expect(circulation.restarts).toBe(1);
    expect(circulation.pid).not.toBe(killedPid);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'circulation died: killed by SIGKILL; restarting in 0.3 s',
        'circulation is back',
      ]),
    );

    // Every disclosure answered is in the audit the processes share, and its chains hold.
    const disclosed = answers.filter(
      (a) =>
        (a.mix.persona === 'circulation-staff' &&
          (a.body.data?.patron as { name?: string } | null)?.name === patron.name) ||
        (a.mix.persona === 'events-staff' && /"attendee":\{"id"/.test(a.text)),
    );
    expect(new Set(disclosed.map((a) => a.mix.persona))).toEqual(
      new Set(['circulation-staff', 'events-staff']),
    );
    const audit = new SQLite(path.join(dataDir, 'audit.db'), { readonly: true });
    const recorded = new Set(
      (audit.prepare('select request_id from audit_batches').all() as { request_id: string }[]).map(
        (r) => r.request_id,
      ),
    );
    audit.close();
    expect(disclosed.filter((a) => !recorded.has(a.requestId)).map((a) => a.requestId)).toEqual([]);
    const database = await openSqlite<AuditTables>(path.join(dataDir, 'audit.db'), auditMigrations);
    const store = new AuditStore(database, config.audit.key);
    expect(store.chains().sort()).toEqual(['circulation', 'events']);
    expect(
      store
        .chains()
        .map((chain) => store.verify(chain))
        .filter((v) => v.broken),
    ).toEqual([]);
    await database.close();
  }, 90_000);
});
