import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXAMPLES } from '../src/playground/examples.js';
import {
  machine,
  measure,
  probe,
  startVariant,
  writeReport,
  type Measurement,
  type Scenario,
} from './harness.js';
import { HOSTILE } from './hostileOperations.js';

/**
 * `npm run bench:hostile [-- --seconds 10 --rounds 5]`: starts the graph with its default limits,
 * sends each hostile operation of issue 14 and times its refusal, then loads the graph with a
 * normal query alone and again while hostile operations keep arriving, and compares the two p99s.
 * Writes docs/benchmarks/hostile.md. `--short` (3 s windows, 3 rounds) proves it works.
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    short: { type: 'boolean', default: false },
  },
});
const seconds = values.short ? 3 : Number(values.seconds);
const rounds = values.short ? 3 : Number(values.rounds);

const catalog = EXAMPLES.anonymous.find((e) => e.id === 'anonymous-catalog')!;
const normal: Scenario = {
  name: 'catalog page (playground example)',
  query: catalog.query,
  connections: 4,
};

interface Refusal {
  name: string;
  status: number;
  code: string;
  expected: boolean;
  ms: number[];
}

async function send(
  url: string,
  body: string,
): Promise<{ status: number; code: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const json = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  return {
    status: response.status,
    code: json.errors?.[0]?.extensions?.code ?? '-',
    ms: performance.now() - started,
  };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hostile-'));
const running = await startVariant(
  { name: 'default limits', env: { SEED_ON_START: 'on' } },
  dataDir,
);
try {
  const bodies = HOSTILE.map((h) => ({ hostile: h, body: h.body() }));
  await probe(running, normal, null);
  await measure(running, normal, null, 1); // warm-up: JIT and caches, not recorded

  const refusals: Refusal[] = [];
  for (const { hostile, body } of bodies) {
    const times: number[] = [];
    let last = { status: 0, code: '' };
    for (let i = 0; i < rounds; i++) {
      const answer = await send(running.url, body);
      times.push(answer.ms);
      last = answer;
    }
    refusals.push({
      name: hostile.name,
      status: last.status,
      code: last.code,
      expected: last.status === hostile.status && last.code === hostile.code,
      ms: times,
    });
    console.log(
      `${hostile.name}: ${last.status} ${last.code}, max ${Math.max(...times).toFixed(1)} ms`,
    );
  }

  const alone: Measurement = await measure(running, normal, null, seconds);
  console.log(
    `normal alone: p50 ${alone.p50} ms, p99 ${alone.p99} ms, ${alone.requestsPerSecond.toFixed(0)} req/s`,
  );
  // Hostile operations, one after another on two connections, for as long as the normal load runs.
  let attacking = true;
  let sent = 0;
  let wrong = 0;
  const attacker = async () => {
    for (let i = 0; attacking; i++) {
      const { hostile, body } = bodies[i % bodies.length]!;
      const answer = await send(running.url, body);
      sent++;
      if (answer.status !== hostile.status || answer.code !== hostile.code) wrong++;
    }
  };
  const attackers = [attacker(), attacker()];
  const underAttack = await measure(running, normal, null, seconds);
  attacking = false;
  await Promise.all(attackers);
  const ratio = underAttack.p99 / Math.max(alone.p99, 1);
  console.log(
    `normal under attack: p50 ${underAttack.p50} ms, p99 ${underAttack.p99} ms (${ratio.toFixed(2)}x), ${sent} hostile operations sent, ${wrong} answered otherwise`,
  );

  const max = (r: Refusal) => Math.max(...r.ms);
  const med = (r: Refusal) => [...r.ms].sort((a, b) => a - b)[Math.floor(r.ms.length / 2)]!;
  const markdown = `# Hostile operations: refused, and the graph stays responsive

\`npm run bench:hostile${values.short ? ' -- --short' : ''}\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}, load average
${os.loadavg()[0]!.toFixed(1)} at the end (other work shared the machine: the latencies are its, not the graph's alone): the whole graph
in one process with its default limits, demo data. Each hostile operation of issue 14 sent ${rounds} times
in a row; then ${seconds} s of a normal query (${normal.name}, ${normal.connections} connections) alone, and
${seconds} s of it while two connections keep sending the hostile operations in turn.

| operation | status | code | median to refusal | slowest |
| --- | --- | --- | --- | --- |
${refusals.map((r) => `| ${r.name} | ${r.status} | ${r.code}${r.expected ? '' : ' (unexpected)'} | ${med(r).toFixed(1)} ms | ${max(r).toFixed(1)} ms |`).join('\n')}

Target: each refused within 1 s. Slowest of all: ${Math.max(...refusals.map(max)).toFixed(1)} ms.

| normal query | req/s | p50 | p99 |
| --- | --- | --- | --- |
| alone | ${alone.requestsPerSecond.toFixed(0)} | ${alone.p50} ms | ${alone.p99} ms |
| while hostile operations arrive | ${underAttack.requestsPerSecond.toFixed(0)} | ${underAttack.p50} ms | ${underAttack.p99} ms |

p99 ratio: **${ratio.toFixed(2)}x** (target: under 2x). ${sent} hostile operations were sent during the run;
${wrong} got an answer other than their refusal. The 413s and the token refusals cost the most: the
server still receives (and, for the 413s, drains) the bytes, and lexes up to four times the token limit to say how far over a document is.
`;
  console.log(`written ${writeReport('hostile', markdown)}`);
} finally {
  await running.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
