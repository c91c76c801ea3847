/**
 * npm run bench:replicas — throughput of the graph run as 2 replicas of each service (2 gateways,
 * 2 catalog, 2 circulation, 2 events: 8 processes) against 1 of each (4 processes), on this
 * machine, in one run, over one PostgreSQL database copied from the seeded test template.
 *
 * Each setup is started afresh (every service its own process on loopback, as
 * test/replicas/replicas.test.ts starts them, gateways given every subgraph replica's URL), warmed
 * up, then loaded with autocannon from this process: the connections split evenly over the
 * setup's gateways, each connection alternating two authenticated questions that need circulation
 * and catalog (staff reading a patron's loans) and circulation and events (a guardian reading their
 * minor's registrations): no response cache applies, every answer is audited. Prints req/s of
 * both setups and their ratio, with the load average.
 * Flags: --seconds N (per measurement, default 10), --connections N (total, default 32),
 * --rounds N (default 1; later rounds swap the order).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { PERSONA_PATRONS, PERSONAS } from '../src/dev/personas.js';
import { loadConfig } from '../src/config/env.js';
import { mintToken } from '../src/privacy/authenticate/token.js';
import { Hosts } from '../test/support/hosts.js';
import { admin, seededTemplate, urlOf } from '../test/support/postgresTemplate.js';
import { ReplicaCluster, type ServiceKind } from '../test/support/replicaCluster.js';

const options = new Command()
  .option('--seconds <n>', 'seconds per measurement', '10')
  .option('--connections <n>', 'concurrent connections in all', '32')
  .option('--rounds <n>', 'rounds (the second swaps the order)', '1')
  .parse()
  .opts<{ seconds: string; connections: string; rounds: string }>();
const seconds = Number(options.seconds);
const connections = Number(options.connections);
const rounds = Number(options.rounds);

const { patron, minor } = PERSONA_PATRONS;
const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
const staff = await mintToken(PERSONAS['circulation-staff'], config);
const guardian = await mintToken(PERSONAS.guardian, config);
const REQUESTS = [
  {
    token: staff,
    query: `{ patron(id: "${patron.id}") { name email loans { dueAt item { barcode work { title } } } } }`,
    expect: patron.email,
  },
  {
    token: guardian,
    query: `{ patron(id: "${minor.id}") { name registrations { event { title } } } }`,
    expect: minor.name,
  },
];

interface Setup {
  name: string;
  replicas: number;
}
const SETUPS: Setup[] = [
  { name: '1 of each service', replicas: 1 },
  { name: '2 of each service', replicas: 2 },
];

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  failed: number;
  loadBefore: number;
  loadAfter: number;
}

async function run(setup: Setup, databaseUrl: string): Promise<Figures> {
  const kinds: ServiceKind[] = ['circulation', 'catalog', 'events', 'gateway'];
  const hosts = Hosts.create('rplbench', kinds.length * setup.replicas, () => {}, {
    namespaces: false,
  });
  let cluster: ReplicaCluster | null = null;
  try {
    let next = 0;
    cluster = await ReplicaCluster.start(
      {
        databaseUrl,
        processes: kinds.flatMap((kind) =>
          Array.from({ length: setup.replicas }, (_, i) => ({
            name: `${kind}-${i + 1}`,
            kind,
            host: hosts.hosts[next++]!,
          })),
        ),
        env: { LOG_LEVEL: 'error' },
      },
      180_000,
    );
    const gateways = cluster.of('gateway').map((g) => g.url);
    // Every gateway answers both questions in full before anything is measured.
    for (const url of gateways) {
      for (const r of REQUESTS) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${r.token}` },
          body: JSON.stringify({ query: r.query }),
        });
        const text = await response.text();
        if (response.status !== 200 || !text.includes(r.expect) || text.includes('"errors"'))
          throw new Error(
            `${setup.name}: ${url} answered ${response.status} ${text.slice(0, 300)}`,
          );
      }
    }
    const load = (duration: number) =>
      Promise.all(
        gateways.map((url, i) =>
          autocannon({
            url,
            method: 'POST',
            duration,
            connections:
              Math.floor(connections / gateways.length) +
              (i < connections % gateways.length ? 1 : 0),
            requests: REQUESTS.map((r) => ({
              method: 'POST' as const,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${r.token}` },
              body: JSON.stringify({ query: r.query }),
            })),
          }),
        ),
      );
    await load(2); // warm-up
    const loadBefore = os.loadavg()[0]!;
    const results = await load(seconds);
    const total = results.reduce((sum, r) => sum + r.requests.total, 0);
    const weighted = (pick: (r: autocannon.Result) => number) =>
      results.reduce((sum, r) => sum + pick(r) * r.requests.total, 0) / Math.max(total, 1);
    return {
      requestsPerSecond: results.reduce((sum, r) => sum + r.requests.average, 0),
      p50: weighted((r) => r.latency.p50),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
      // Connection errors, autocannon's timeouts (no answer within 10 s) among them.
      failed: results.reduce((sum, r) => sum + r.errors, 0),
      loadBefore,
      loadAfter: os.loadavg()[0]!,
    };
  } finally {
    await cluster?.stop();
    await hosts.close();
  }
}

const database = `replicas_bench_${randomBytes(4).toString('hex')}`;
const template = await seededTemplate();
await admin((client) => client.query(`CREATE DATABASE ${database} TEMPLATE ${template}`));
try {
  console.log(
    `bench:replicas: ${os.cpus().length} cores, ${seconds} s per setup, ${connections} connections, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const figures = new Map<string, Figures[]>();
  for (let round = 0; round < rounds; round++) {
    for (const setup of round % 2 === 0 ? SETUPS : [...SETUPS].reverse()) {
      const f = await run(setup, urlOf(database));
      figures.set(setup.name, [...(figures.get(setup.name) ?? []), f]);
      console.log(
        `round ${round + 1}/${rounds}  ${setup.name.padEnd(18)} ${f.requestsPerSecond.toFixed(1).padStart(7)} req/s  p50 ${f.p50.toFixed(0)} ms  p99 ${f.p99} ms  non-2xx ${f.non2xx}  no answer ${f.failed}  load ${f.loadBefore.toFixed(2)} -> ${f.loadAfter.toFixed(2)}`,
      );
    }
  }
  const mean = (name: string) => {
    const list = figures.get(name)!;
    return list.reduce((sum, f) => sum + f.requestsPerSecond, 0) / list.length;
  };
  const one = mean(SETUPS[0]!.name);
  const two = mean(SETUPS[1]!.name);
  console.log(
    `\n${SETUPS[0]!.name}: ${one.toFixed(1)} req/s\n${SETUPS[1]!.name}: ${two.toFixed(1)} req/s\nratio (2 / 1): ${(two / one).toFixed(2)}`,
  );
} finally {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
}
