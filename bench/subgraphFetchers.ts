/**
 * npx tsx bench/subgraphFetchers.ts [fetches] — what one subgraph fetch costs the gateway's process
 * in each client it could use: @apollo/gateway's default (make-fetch-happen), undici's `fetch` with
 * a keep-alive `Agent` as its dispatcher, and undici's `request` read whole into a `BufferedAnswer`
 * (the gateway's `SubgraphClient`). A subgraph-sized JSON answer (about 2 KB) from a server in
 * another process, 20 fetches at a time, interleaved rounds; CPU is this process's only.
 */
import { fork } from 'node:child_process';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, fetch as undiciFetch } from 'undici';
import { SubgraphClient } from '../src/gateway/subgraphClient.js';
import { median } from './harness.js';

const SERVER = `
const http = require('node:http');
const body = JSON.stringify({ data: { works: { nodes: Array.from({ length: 20 }, (_, i) => ({ id: 'wk_' + i, title: 'A title number ' + i + ' of the catalog', creators: ['Someone Writer'], format: 'BOOK' })), totalCount: 123 } } });
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); }); });
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
`;

const fetches = Number(process.argv[2] ?? 10_000);
const child = fork('-e', [SERVER], { execArgv: [] });
try {
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve(m as number)),
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  const init = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-disclosure-context': Buffer.from('{"principal":null}').toString('base64url'),
    },
    body: JSON.stringify({
      query: '{ works(first: 20) { nodes { id title creators format } totalCount } }',
      variables: {},
    }),
  };
  const agent = new Agent({ connections: 128 });
  const client = new SubgraphClient({ deadlineMs: 10_000, maxResponseBytes: 16 * 1024 * 1024 });
  const makeFetchHappen = new RemoteGraphQLDataSource({ url }).fetcher;
  const clients: Record<string, () => Promise<unknown>> = {
    'make-fetch-happen': async () => (await makeFetchHappen(url, init)).json(),
    'undici fetch + Agent': async () =>
      (await undiciFetch(url, { ...init, dispatcher: agent })).json(),
    'undici request (SubgraphClient)': async () => (await client.fetcher(url, init)).json(),
  };
  const run = async (fetchOnce: () => Promise<unknown>, n: number) => {
    let left = n;
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (left-- > 0) await fetchOnce();
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    return { perSecond: n / seconds, cpuMicros: (used.user + used.system) / n };
  };
  for (const fetchOnce of Object.values(clients)) await run(fetchOnce, 1_000); // warm-up
  const figures = new Map<string, { perSecond: number; cpuMicros: number }[]>();
  for (let round = 0; round < 3; round++) {
    for (const [name, fetchOnce] of Object.entries(clients))
      figures.set(name, [...(figures.get(name) ?? []), await run(fetchOnce, fetches)]);
  }
  console.log(`| client | fetches/s | CPU µs per fetch |\n| --- | ---: | ---: |`);
  for (const [name, list] of figures) {
    console.log(
      `| ${name} | ${median(list.map((f) => f.perSecond)).toFixed(0)} | ${median(list.map((f) => f.cpuMicros)).toFixed(0)} |`,
    );
  }
  await agent.close();
  await client.close();
} finally {
  child.kill();
}
