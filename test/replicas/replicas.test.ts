import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS, type PersonaName } from '../../src/dev/personas.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createAuthenticator, mintToken } from '../../src/privacy/authenticate/token.js';
import { encodeContext } from '../../src/privacy/context/disclosureContext.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../../src/privacy/sign/signature.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';
import {
  createSeededTestPostgresDatabase,
  TEST_ON_POSTGRES,
  TEST_POSTGRES_ADMIN_URL,
} from '../support/database.js';
import { Hosts } from '../support/hosts.js';
import { ReplicaCluster } from '../support/replicaCluster.js';

/**
 * The graph as a county would scale it: 2 gateways, 2 circulation replicas, 1 catalog and 1
 * events, each its own process on its own host (a network namespace with its own address and
 * data directory; loopback where namespaces cannot be made), all over one PostgreSQL database.
 * What a user of the graph would notice: either gateway answers the same; a write through one is
 * read through the other; a signed call replayed to the other replica is refused; a replica
 * killed under load costs no answer a retry could give; and every disclosure answered is in an
 * audit whose chains, written by both replicas at once, verify. Runs under `npm run test:postgres`.
 */
const { patron, minor, guardian } = PERSONA_PATRONS;

let hosts: Hosts;
let cluster: ReplicaCluster;
let config: Config;
/** The test's own URL of the database the services share. */
let databaseUrl: string;
const tokens = new Map<PersonaName, string>();

interface Answer {
  status: number;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

async function ask(
  gateway: string,
  persona: PersonaName,
  query: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  if (persona !== 'anonymous' && !tokens.has(persona))
    tokens.set(persona, await mintToken(PERSONAS[persona], config));
  const token = tokens.get(persona);
  const response = await fetch(gateway, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer['body'] };
}

const gateways = () => cluster.of('gateway').map((p) => p.url);

describe.skipIf(!TEST_ON_POSTGRES)('replicas on separate hosts over one PostgreSQL', () => {
  beforeAll(async () => {
    config = loadConfig({ ...process.env, NODE_ENV: 'test' });
    hosts = Hosts.create('replicas', 6);
    databaseUrl = await createSeededTestPostgresDatabase();
    const server = new URL(TEST_POSTGRES_ADMIN_URL);
    const reached = await hosts.reach({ host: server.hostname, port: Number(server.port || 5432) });
    const servicesUrl = new URL(databaseUrl);
    servicesUrl.hostname = reached.host;
    servicesUrl.port = String(reached.port);
    const [h1, h2, h3, h4, h5, h6] = hosts.hosts;
    cluster = await ReplicaCluster.start({
      databaseUrl: servicesUrl.toString(),
      // Chain heads anchored every second, so the anchors name what this short run wrote.
      env: { AUDIT_ANCHOR_INTERVAL_SECONDS: '1' },
      processes: [
        { name: 'circulation-1', kind: 'circulation', host: h3! },
        { name: 'circulation-2', kind: 'circulation', host: h4! },
        { name: 'catalog', kind: 'catalog', host: h5! },
        { name: 'events', kind: 'events', host: h6! },
        { name: 'gateway-1', kind: 'gateway', host: h1! },
        { name: 'gateway-2', kind: 'gateway', host: h2! },
      ],
    });
  }, 200_000);
  afterAll(async () => {
    await cluster?.stop();
    await hosts?.close();
  });

  it('runs each service as its own process, each on a host of its own, and both gateways answer the joined graph alike', async () => {
    const pids = cluster.processes.map((p) => p.pid);
    expect(new Set([...pids, process.pid]).size).toBe(7);
    if (hosts.mode.kind === 'netns') {
      expect(new Set(cluster.processes.map((p) => p.host.address)).size).toBe(6);
      expect(new Set(cluster.processes.map((p) => p.host.netns)).size).toBe(6);
    } else {
      console.warn(`replicas: on loopback (${hosts.mode.reason})`);
    }
    const joined =
      '{ me { name loans { item { work { title } } } registrations { event { title } } } }';
    const [first, second] = await Promise.all(gateways().map((g) => ask(g, 'patron', joined)));
    expect(first!.body.errors).toBeUndefined();
    expect((first!.body.data?.me as { name: string }).name).toBe(patron.name);
    expect((first!.body.data?.me as { loans: unknown[] }).loans.length).toBeGreaterThan(0);
    expect(second!.body).toEqual(first!.body);
  });

  it('keeps no state in a gateway: a patron registered through one gateway is read through the other', async () => {
    const [one, two] = gateways() as [string, string];
    const branches = await ask(one, 'circulation-staff', '{ branches { id } }');
    const branchId = (branches.body.data?.branches as { id: string }[])[0]!.id;
    const name = `Replica Reader ${Date.now()}`;
    const registered = await ask(
      one,
      'circulation-staff',
      `mutation { registerPatron(input: { name: "${name}", birthDate: "1990-04-01", homeBranchId: "${branchId}", pin: "4821" }) { id name } }`,
    );
    expect(registered.body.errors).toBeUndefined();
    const id = (registered.body.data?.registerPatron as { id: string }).id;
    const read = await ask(two, 'circulation-staff', `{ patron(id: "${id}") { name } }`);
    expect(read.body).toEqual({ data: { patron: { name } } });
  });

  it('refuses a signed call to circulation replayed to the other replica', async () => {
    // What a gateway sends: the caller's verified context, signed for circulation with a fresh nonce.
    const authenticate = await createAuthenticator(config);
    const caller = await authenticate(
      {
        authorization: `Bearer ${await mintToken(PERSONAS['circulation-staff'], config)}`,
        legalProcess: undefined,
        purpose: undefined,
      },
      'replay-1',
    );
    const context = encodeContext(caller);
    const body = JSON.stringify({ query: `{ patron(id: "${patron.id}") { name email } }` });
    const headers = {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: context,
      [SIGNATURE_HEADER]: signRequest({
        key: audienceKey(config.contextSecret, 'circulation'),
        audience: 'circulation',
        method: 'POST',
        target: '/graphql',
        contentType: 'application/json',
        context,
        body,
      }),
    };
    const send = async (url: string) => {
      const response = await fetch(url, { method: 'POST', headers, body });
      return { status: response.status, text: await response.text() };
    };
    const [one, two] = cluster.of('circulation');
    const served = await send(one!.url);
    expect(served.status).toBe(200);
    expect(served.text).toContain(patron.name);
    // The same bytes again, to the replica that served them: refused (one process's memory would do).
    const again = await send(one!.url);
    expect(again.status).toBe(401);
    expect(again.text).not.toContain(patron.name);
    // The other replica, on another host, knows the nonce too: the nonce store is the shared database.
    const replayed = await send(two!.url);
    expect(replayed.status, 'replayed to the other replica').toBe(401);
    expect(replayed.text).not.toContain(patron.name);
    expect(
      (JSON.parse(replayed.text) as { errors: { extensions: { code: string } }[] }).errors[0]!
        .extensions.code,
    ).toBe('UNAUTHENTICATED');
  });

  /**
   * The load: callers whose answers need circulation (and events' facts from it), and one
   * mutation. `disclosed`: the answer holds patron data circulation disclosed, so it is audited.
   */
  interface Mix {
    label: string;
    persona: PersonaName;
    query: (requestId: string) => string;
    full: (a: Answer, requestId: string) => boolean;
    disclosed: boolean;
    mutation?: boolean;
  }
  const MIX: Mix[] = [
    // OPERATIONS: disclosed by circulation, and recorded in its audit chain.
    {
      label: 'staff',
      persona: 'circulation-staff',
      query: () => `{ branches { name } patron(id: "${patron.id}") { name email } }`,
      full: (a) => a.text.includes(patron.email),
      disclosed: true,
    },
    // GUARDIAN: circulation's own answer, and events' registrations, which events decides on circulation's facts.
    {
      label: 'guardian',
      persona: 'guardian',
      query: () => `{ patron(id: "${minor.id}") { name registrations { registeredAt } } }`,
      full: (a) => a.text.includes(minor.name),
      disclosed: true,
    },
    // SELF, across all three subgraphs.
    {
      label: 'self',
      persona: 'patron',
      query: () =>
        '{ me { name loans { item { work { title } } } registrations { event { title } } } }',
      full: (a) => a.text.includes(patron.name),
      disclosed: false,
    },
    // Anonymous, public data only, and a patron it must not see.
    {
      label: 'anonymous',
      persona: 'anonymous',
      query: () => `{ works(first: 3) { nodes { title } } patron(id: "${guardian.id}") { name } }`,
      full: (a) => (a.body.data?.works as { nodes: unknown[] }).nodes.length === 3,
      disclosed: false,
    },
    // A write: registers a patron named after the request, so the database shows whether it happened once.
    {
      label: 'register',
      persona: 'circulation-staff',
      mutation: true,
      disclosed: false,
      query: (id) =>
        `mutation { registerPatron(input: { name: "Load ${id}", birthDate: "1990-04-01", homeBranchId: "${branchId}", pin: "4821" }) { name } }`,
      full: (a, id) =>
        (a.body.data?.registerPatron as { name?: string } | null)?.name === `Load ${id}`,
    },
  ];
  let branchId = '';
  const answered: {
    mix: Mix;
    requestId: string;
    sentAt: number;
    answeredAt: number;
    answer: Answer;
  }[] = [];

  it('loses no request when a circulation replica is killed under load, and does no write twice', async () => {
    branchId = (
      (await ask(gateways()[0]!, 'circulation-staff', '{ branches { id } }')).body.data
        ?.branches as { id: string }[]
    )[0]!.id;
    const killed = cluster.get('circulation-1');
    let sent = 0;
    let killedAt = 0;
    const started = Date.now();
    const worker = async (offset: number) => {
      for (let i = offset; ; i += 1) {
        // After the kill: at least 4 s and 12 more answers, so requests reach the survivor cold and warm.
        if (killedAt && Date.now() - killedAt > 4_000 && answered.length - before >= 12) return;
        if (Date.now() - started > 45_000) throw new Error('load ran over 45 s');
        const mix = MIX[i % MIX.length]!;
        const requestId = `replicas-load-${(sent += 1)}`;
        const gateway = gateways()[i % 2]!;
        const sentAt = Date.now();
        const answer = await ask(gateway, mix.persona, mix.query(requestId), {
          'x-request-id': requestId,
        });
        answered.push({ mix, requestId, sentAt, answeredAt: Date.now(), answer });
      }
    };
    let before = Number.POSITIVE_INFINITY;
    const load = Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    load.catch(() => undefined); // awaited below; a worker's failure must not count as unhandled meanwhile
    // The kill lands once the load runs steadily (12 answers), whatever the machine's speed.
    while (answered.length < 12 && Date.now() - started < 30_000)
      await new Promise((r) => setTimeout(r, 50));
    before = answered.length;
    const killing = Date.now();
    await killed.kill('SIGKILL');
    killedAt = Date.now();
    await load;
    expect(before, 'answers before the kill').toBeGreaterThanOrEqual(12);
    expect(answered.length - before, 'answers after the kill').toBeGreaterThanOrEqual(12);
    // Every request answered in full, but a write the killed replica held: it may have committed
    // it, so it is not sent again; its caller is told the service failed.
    const heldAtKill = (a: (typeof answered)[number]) =>
      a.mix.mutation === true && a.sentAt <= killedAt && a.answeredAt >= killing;
    const unavailable = (a: Answer) =>
      a.status === 200 &&
      (a.body.errors ?? []).length > 0 &&
      (a.body.errors ?? []).every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE') &&
      (a.body.data?.registerPatron ?? null) === null;
    const short = answered
      .filter((a) => a.answer.status !== 200 || !a.mix.full(a.answer, a.requestId))
      .filter((a) => !(heldAtKill(a) && unavailable(a.answer)));
    expect(
      short.map((s) => `${s.requestId} ${s.mix.label} ${s.answer.text.slice(0, 300)}`),
    ).toEqual([]);
    // No errors but the anonymous caller's redaction (and a held write's failure).
    for (const a of answered) {
      if (a.mix.label === 'anonymous')
        expect((a.answer.body.errors ?? []).map((e) => e.extensions?.code)).toEqual([
          'PRIVACY_REDACTED',
        ]);
      else if (!heldAtKill(a))
        expect(a.answer.body.errors, `${a.requestId} ${a.mix.label}`).toBeUndefined();
    }
    // Every write happened once at most, and every one its caller was told of, once.
    const writes = answered.filter((a) => a.mix.mutation);
    expect(writes.length).toBeGreaterThan(3);
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const rows = await client.query<{ name: string; n: string }>(
      `SELECT name, count(*) AS n FROM circulation.patrons WHERE name LIKE 'Load replicas-load-%' GROUP BY name`,
    );
    await client.end();
    const stored = new Map(rows.rows.map((r) => [r.name, Number(r.n)]));
    expect(
      [...stored.values()].filter((n) => n > 1),
      'writes done twice',
    ).toEqual([]);
    for (const w of writes)
      if (w.mix.full(w.answer, w.requestId))
        expect(stored.get(`Load ${w.requestId}`), w.requestId).toBe(1);
  }, 60_000);

  it('has every disclosure answered under that load in the audit', async () => {
    const disclosed = answered.filter((a) => a.mix.disclosed).map((a) => a.requestId);
    expect(disclosed.length).toBeGreaterThan(0);
    const recorded = await auditedRequestIds(databaseUrl);
    expect(disclosed.filter((id) => !recorded.has(id))).toEqual([]);
  });

  it('keeps audit chains written by both replicas at once that `audit:verify` passes', () => {
    // A verifier on a host of its own: the database, and the surviving circulation replica's anchors.
    const verifierDir = fs.mkdtempSync(path.join(os.tmpdir(), 'replicas-verifier-'));
    // Both circulation replicas' anchor files, checked together (the killed one's, if it wrote any).
    const anchors = ['circulation-1', 'circulation-2']
      .map((name) => path.join(cluster.get(name).host.dataDir, 'audit-anchors.jsonl'))
      .filter((file) => fs.existsSync(file));
    const verify = ['--import', 'tsx', 'src/cli/audit.ts', 'verify', '--anchors', ...anchors];
    const result = spawnSync(process.execPath, verify, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: databaseUrl,
        DATA_DIR: verifierDir,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    fs.rmSync(verifierDir, { recursive: true, force: true });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).not.toMatch(/BROKEN/);
    // Every request that disclosed through circulation added at least one record to its chain.
    const records = Number(
      /chain circulation: (\d+) records, intact/.exec(result.stdout)?.[1] ?? 0,
    );
    const disclosing = answered.filter((a) => a.mix.disclosed).length;
    expect(records, output).toBeGreaterThanOrEqual(disclosing);
  }, 70_000);
});

/** The request ids the audit holds, read from the shared database (its `audit_batches`, in whichever schema). */
async function auditedRequestIds(url: string): Promise<Set<string>> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.columns WHERE table_name = 'audit_batches' AND column_name = 'request_id'`,
    );
    const ids = new Set<string>();
    for (const { schema } of tables.rows) {
      const rows = await client.query<{ request_id: string }>(
        `SELECT request_id FROM "${schema}".audit_batches`,
      );
      for (const row of rows.rows) ids.add(row.request_id);
    }
    return ids;
  } finally {
    await client.end();
  }
}
