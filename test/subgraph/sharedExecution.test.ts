/**
 * A subgraph executes identical queries of one caller in flight at once only once, and still
 * answers, verifies and audits each request on its own: every response carries the whole answer,
 * every disclosure is in the audit under its own request id, and callers who could see different
 * things never share.
 */
import http from 'node:http';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONAS, type PersonaName } from '../../src/dev/personas.js';
import {
  anonymousContext,
  encodeContext,
  type DisclosureContext,
} from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../../src/privacy/sign/signature.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

const METRICS = 'shared-execution-metrics-token-0123456789abcdef';
const LISTING = '{ loans(first: 1000) { nodes { id dueAt patron { id name email } } } }';

let t: TestGraph;
let circulation: URL;
// Kept-alive sockets, opened before a test sends its requests together: each request then goes
// out at once on a socket of its own, as the gateway's pooled connections send them.
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  t = await startTestGraph({ METRICS_TOKEN: METRICS });
  circulation = new URL(t.graph.urls.circulation!);
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await t?.stop();
});

/** The disclosure context the gateway would sign for `persona`, under `requestId`. */
function contextOf(persona: PersonaName, requestId: string, more: Partial<DisclosureContext> = {}) {
  if (persona === 'anonymous') return { ...anonymousContext(requestId), ...more };
  const claims = PERSONAS[persona];
  return {
    ...anonymousContext(requestId),
    principal: principalId(claims.sub),
    roles: claims.roles,
    duties: claims.duties ?? [],
    patronId: claims.patronId ? patronId(claims.patronId) : null,
    ...more,
  };
}

/** Sends one query to circulation signed as the gateway signs it; resolves to the body's text. */
function send(context: DisclosureContext, query: string): Promise<string> {
  const body = Buffer.from(JSON.stringify({ query, variables: {} }));
  const encoded = encodeContext(context);
  const signature = signRequest({
    key: audienceKey(t.config.contextSecret, 'circulation'),
    audience: 'circulation',
    method: 'POST',
    target: '/graphql',
    contentType: 'application/json',
    context: encoded,
    body,
  });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: circulation.hostname,
        port: circulation.port,
        path: '/graphql',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          [CONTEXT_HEADER]: encoded,
          [SIGNATURE_HEADER]: signature,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Opens `n` sockets to circulation and leaves them idle in the agent. */
async function warm(n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      send(contextOf('anonymous', `warm-${i}`), '{ __typename }'),
    ),
  );
}

async function sharedSoFar(): Promise<number> {
  const text = await (
    await fetch(new URL('/metrics', circulation), {
      headers: { authorization: `Bearer ${METRICS}` },
    })
  ).text();
  const sample = /^library_subgraph_shared_responses_total\{service="circulation"\} (\d+)$/m.exec(
    text,
  );
  return Number(sample?.[1] ?? 0);
}

/** The audited request ids with `prefix` whose batches are repeats of another request's. */
function repeating(prefix: string): string[] {
  const audit = new SQLite(path.join(t.dataDir, 'audit.db'), { readonly: true });
  try {
    const rows = audit
      .prepare(
        'select distinct request_id from audit_batches where request_id like ? and repeats is not null',
      )
      .all(`${prefix}%`) as { request_id: string }[];
    return rows.map((r) => r.request_id).sort();
  } finally {
    audit.close();
  }
}

/**
 * Per audited request id with `prefix`: each of its records' exception, patron and fields (a
 * repeat's records are those of the batch it repeats).
 */
function audited(prefix: string): Map<string, string[]> {
  const audit = new SQLite(path.join(t.dataDir, 'audit.db'), { readonly: true });
  try {
    const rows = audit
      .prepare(
        `select b.request_id, b.exception, coalesce(l.records, b.records) as records from audit_batches b
           left join audit_batches l on l.chain = b.chain and l.first_seq = b.repeats
         where b.request_id like ? order by b.id`,
      )
      .all(`${prefix}%`) as { request_id: string; exception: string; records: string }[];
    const byRequest = new Map<string, string[]>();
    for (const r of rows)
      byRequest.set(r.request_id, [
        ...(byRequest.get(r.request_id) ?? []),
        ...(JSON.parse(r.records) as [string, string[], string][]).map(
          ([patron, fields]) => `${r.exception} ${patron} ${fields.join(',')}`,
        ),
      ]);
    return byRequest;
  } finally {
    audit.close();
  }
}

describe('identical queries of one caller in flight at once', () => {
  it('are executed once; each gets the whole answer and its own audit records', async () => {
    const alone = await send(contextOf('circulation-staff', 'same-alone'), LISTING);
    expect(JSON.parse(alone)).not.toHaveProperty('errors');
    await warm(3);
    const before = await sharedSoFar();
    const answers = await Promise.all(
      ['same-a', 'same-b', 'same-c'].map((id) => send(contextOf('circulation-staff', id), LISTING)),
    );
    expect(await sharedSoFar()).toBe(before + 2);
    for (const answer of answers) expect(answer).toBe(alone);
    const records = audited('same-');
    expect(records.get('same-alone')!.length).toBeGreaterThan(0);
    for (const id of ['same-a', 'same-b', 'same-c'])
      expect(records.get(id), id).toEqual(records.get('same-alone'));
    // The two that shared the third's execution repeat its records rather than copy them.
    expect(repeating('same-')).toHaveLength(2);
    expect(repeating('same-alone')).toEqual([]);
  });

  it('callers whose contexts differ in anything but the request id never share', async () => {
    await warm(4);
    const before = await sharedSoFar();
    const contexts = [
      contextOf('circulation-staff', 'apart-staff'),
      contextOf('circulation-staff', 'apart-purpose', { purpose: 'overdue notices' }),
      contextOf('events-staff', 'apart-events'),
      contextOf('anonymous', 'apart-anonymous'),
    ];
    const answers = await Promise.all(contexts.map((c) => send(c, LISTING)));
    expect(await sharedSoFar()).toBe(before);
    // What each may see: circulation staff see the borrowers, the others are refused the listing.
    expect(answers[0]).toContain('"name"');
    for (const refused of answers.slice(2)) {
      expect(JSON.parse(refused)).toMatchObject({ data: null });
      expect(refused).not.toContain('"email"');
    }
    const records = audited('apart-');
    expect(records.get('apart-staff')).toBeDefined();
    expect(records.get('apart-purpose')).toEqual(records.get('apart-staff'));
    expect(records.get('apart-events')).toBeUndefined();
    expect(records.get('apart-anonymous')).toBeUndefined();
  });

  it('identical mutations are each executed', async () => {
    await warm(2);
    const before = await sharedSoFar();
    const mutation =
      'mutation { authenticateWithCard(cardNumber: "29019999999999", pin: "0000") { token } }';
    await Promise.all(['m-a', 'm-b'].map((id) => send(contextOf('anonymous', id), mutation)));
    expect(await sharedSoFar()).toBe(before);
  });
});
