/**
 * npm run bench:nonces — what one signature-nonce claim costs, as a subgraph makes it on every
 * signed call: `openNonceStore` over a scratch SQLite file (and, with --postgres, a scratch schema
 * of that database), filled first with the rows a steady stream of `--rate` claims per second
 * keeps (60 s of them: the 30 s window and one more), then timed over `--claims` claims one after
 * another, the clock advancing as that stream would, so pruning runs once a simulated second.
 * With --before <dir>, the store of an earlier checkout is measured in the same run, the two
 * alternating round by round, so they share the machine's load.
 * Flags: --claims N (default 20000), --rate N (default 350), --rounds N (default 3),
 * --postgres URL, --before DIR.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { median } from './harness.js';
import type { NonceStore } from '../src/privacy/verify/nonceStore.js';
import type { StoreLocation } from '../src/db/open.js';

const options = new Command()
  .option('--claims <n>', 'timed claims per store and round', '20000')
  .option('--rate <n>', 'claims per simulated second (sets the rows a store holds)', '350')
  .option('--rounds <n>', 'rounds', '3')
  .option('--postgres <url>', 'also measure the store in a scratch schema of this database')
  .option('--before <dir>', 'an earlier checkout whose store to measure alongside')
  .parse()
  .opts<{ claims: string; rate: string; rounds: string; postgres?: string; before?: string }>();
const claims = Number(options.claims);
const rate = Number(options.rate);
const rounds = Number(options.rounds);
if (![claims, rate, rounds].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('bench:nonces: --claims, --rate and --rounds must be whole numbers above 0');
  process.exit(2);
}

/** PostgreSQL commits each claim on the server: a tenth as many timed claims there, a whole number. */
const postgresClaims = Math.max(1, Math.floor(claims / 10));

type Open = (location: StoreLocation) => Promise<NonceStore>;
const load = async (root: string): Promise<Open> =>
  (await import(path.join(root, 'src/privacy/verify/sharedNonceStore.ts'))).openNonceStore;
const builds: { name: string; open: Open }[] = [
  { name: 'this', open: await load(path.resolve(import.meta.dirname, '..')) },
  ...(options.before ? [{ name: 'before', open: await load(path.resolve(options.before)) }] : []),
];

/** Bytes this process has handed to write calls so far (SQLite's log, its checkpoints, anything else). */
const bytesWritten = (): number =>
  Number(/^wchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);

/** Claims at `rate` per simulated second from `start`; returns µs of wall and CPU time per claim. */
async function claimStream(store: NonceStore, count: number, start: number) {
  let now = start;
  const written = bytesWritten();
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    now += 1000 / rate;
    const time = Math.round(now);
    if (!(await store.claim('circulation', randomUUID(), time + 30_001, time)))
      throw new Error('a fresh nonce was refused');
  }
  const used = process.cpuUsage(cpu);
  return {
    wallUs: Number(process.hrtime.bigint() - wall) / 1000 / count,
    cpuUs: (used.user + used.system) / count,
    bytes: (bytesWritten() - written) / count,
    end: now,
  };
}

/** A scratch place for one store: a temporary SQLite file, or a fresh schema in PostgreSQL. */
async function scratch(kind: 'sqlite' | 'postgres') {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nonces-'));
    return {
      location: path.join(dir, 'nonces.db') as StoreLocation,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `nonce_bench_${randomUUID().slice(0, 8)}`;
  return {
    location: { url: options.postgres!, schema, poolSize: 2 },
    drop: async () => {
      const client = new pg.Client(options.postgres);
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

const kinds = options.postgres ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);
const results = new Map<string, { wallUs: number; cpuUs: number; bytes: number }[]>();
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const kind of kinds) {
    for (const build of order) {
      const place = await scratch(kind);
      const store = await build.open(place.location);
      try {
        // The rows a steady stream keeps, then the timed claims (fewer on PostgreSQL: one commit each).
        const steady = await claimStream(store, rate * 60, Date.now());
        const timed = await claimStream(
          store,
          kind === 'sqlite' ? claims : postgresClaims,
          steady.end,
        );
        const key = `${kind}, ${build.name}`;
        results.set(key, [...(results.get(key) ?? []), timed]);
        console.error(
          `round ${round + 1}/${rounds}: ${key}: ${timed.wallUs.toFixed(1)} µs per claim, CPU ${timed.cpuUs.toFixed(1)} µs, ${timed.bytes.toFixed(0)} bytes written`,
        );
      } finally {
        await store.close();
        await place.drop();
      }
    }
  }
}
console.log(
  `\n${rate} claims/s kept for 60 s, then ${claims} timed (PostgreSQL: ${postgresClaims}); medians of ${rounds} rounds`,
);
console.log(
  '| store | build | µs per claim | CPU µs per claim | bytes written per claim |\n| --- | --- | ---: | ---: | ---: |',
);
for (const [key, rows] of results) {
  const [kind, build] = key.split(', ');
  console.log(
    `| ${kind} | ${build} | ${median(rows.map((r) => r.wallUs)).toFixed(1)} | ${median(rows.map((r) => r.cpuUs)).toFixed(1)} | ${kind === 'sqlite' ? median(rows.map((r) => r.bytes)).toFixed(0) : 'n/a (server)'} |`,
  );
}
