import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS } from '../../src/dev/personas.js';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { startGateway } from '../../src/gateway/gateway.js';
import type { RunningServer } from '../../src/http/serve.js';
import { createLogger } from '../../src/log/logger.js';
import { mintToken } from '../../src/privacy/authenticate/token.js';
import { startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';

/**
 * The pre-filter drops, before planning, every field the caller can never receive. To see that
 * subgraphs never get them, a second gateway talks to circulation and events through a recording
 * proxy, and the test reads what crossed the wire.
 */
let t: TestGraph;
let gateway: RunningServer;
const proxies: http.Server[] = [];
const seen: { subgraph: string; body: string }[] = [];

async function recordingProxy(name: string, target: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      seen.push({ subgraph: name, body: body.toString('utf8') });
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
      ) as Record<string, string>;
      const answer = await fetch(target, { method: req.method, headers, body });
      res.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
      });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

beforeAll(async () => {
  t = await startTestGraph();
  gateway = await startGateway({
    config: t.config,
    logger: createLogger('test', 'silent'),
    supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
    subgraphUrls: {
      catalog: t.graph.urls.catalog!,
      circulation: await recordingProxy('circulation', t.graph.urls.circulation!),
      events: await recordingProxy('events', t.graph.urls.events!),
    },
    port: 0,
  });
});
afterAll(async () => {
  await gateway?.stop();
  for (const p of proxies) p.close();
  await t?.stop();
});

async function ask(
  persona: keyof typeof PERSONAS | 'anonymous',
  query: string,
  variables?: object,
): Promise<GraphResponse> {
  seen.length = 0;
  const token = persona === 'anonymous' ? null : await mintToken(PERSONAS[persona], t.config);
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

const redaction = (path: (string | number)[]) => ({
  message: 'Redacted: confidential patron information',
  path,
  extensions: { code: 'PRIVACY_REDACTED' },
});

describe('gateway pre-filter', () => {
  it("never sends an anonymous caller's patron fields to any subgraph", async () => {
    const res = await ask(
      'anonymous',
      `{ me { name email } who: patron(id: "${PERSONA_PATRONS.patron.id}") { name } branches { name } }`,
    );
    expect(res.data!.me).toBeNull();
    expect(res.data!.who).toBeNull();
    expect((res.data!.branches as unknown[]).length).toBeGreaterThan(0);
    expect(res.errors).toEqual([redaction(['me']), redaction(['who'])]);
    expect(seen.filter((s) => s.subgraph === 'circulation')).toEqual([]);
  });

  it('drops attendee links inside lists, aliases and fragments, and restores them at every index', async () => {
    const query = `fragment Who on Registration { person: attendee { name } }
      { events(first: 3) { id title registrations { id ...Who } } }`;
    const res = await ask('anonymous', query);
    const events = res.data!.events as { registrations: { id: string; person: unknown }[] }[];
    const expected = events.flatMap((e, i) =>
      e.registrations.map((_, j) => redaction(['events', i, 'registrations', j, 'person'])),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(res.errors).toEqual(expected);
    expect(
      events.every((e) =>
        e.registrations.every((r) => r.person === null && Object.keys(r).join() === 'id,person'),
      ),
    ).toBe(true);
    expect(seen.map((s) => s.body).join('\n')).not.toMatch(/attendee/);
  });

  it('keeps per-record decisions in the subgraphs: staff fields are still fetched', async () => {
    const res = await ask(
      'circulation-staff',
      `{ patron(id: "${PERSONA_PATRONS.patron.id}") { name registrations { id } readingHistory { id } } }`,
    );
    expect(res.data!.patron).toEqual({
      name: PERSONA_PATRONS.patron.name,
      registrations: null,
      readingHistory: null,
    });
    expect(res.errors).toEqual([
      redaction(['patron', 'registrations']),
      redaction(['patron', 'readingHistory']),
    ]);
    const sent = seen.map((s) => s.body).join('\n');
    expect(sent).toMatch(/name/);
    expect(sent).not.toMatch(/registrations|readingHistory/);
    expect(seen.some((s) => s.subgraph === 'events')).toBe(false);
  });

  it('keeps an emptied selection valid and hides its placeholder', async () => {
    const res = await ask(
      'events-staff',
      `{ events(first: 1) { registrations { attendee { loans { id } } } } }`,
    );
    const attendees = (
      res.data!.events as { registrations: { attendee: Record<string, unknown> | null }[] }[]
    )[0]!.registrations
      .map((r) => r.attendee)
      .filter((a) => a !== null);
    expect(attendees.every((a) => JSON.stringify(a) === '{"loans":null}')).toBe(true);
    expect(JSON.stringify(res)).not.toMatch(/__privacyPrefilter/);
  });

  it("does not let one persona's pruned plan serve another persona (plans are keyed by what was dropped)", async () => {
    const query = `{ patron(id: "${PERSONA_PATRONS.patron.id}") { name } }`;
    expect((await ask('anonymous', query)).data).toEqual({ patron: null });
    expect((await ask('circulation-staff', query)).data).toEqual({
      patron: { name: PERSONA_PATRONS.patron.name },
    });
    expect((await ask('anonymous', query)).data).toEqual({ patron: null });
  });
});
