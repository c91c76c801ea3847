/**
 * An attacker inside the network captures one signed gateway -> circulation call and re-uses it:
 * as another operation (GET with `?query=`), with a query string, at another path, and against a
 * second circulation replica over the same data directory. Every one is refused, before parsing,
 * with 401 and no data.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraph, SUPERGRAPH_FILE, type RunningGraph } from '../../../src/app/graph.js';
import { startGateway } from '../../../src/gateway/gateway.js';
import type { RunningServer } from '../../../src/http/serve.js';
import { createLogger } from '../../../src/log/logger.js';
import { PERSONAS } from '../../../src/dev/personas.js';
import { mintToken } from '../../../src/privacy/authenticate/token.js';
import { encodeContext } from '../../../src/privacy/context/disclosureContext.js';
import { principalId } from '../../../src/privacy/context/ids.js';
import { FACTS_AUDIENCE, FACTS_PATH } from '../../../src/privacy/facts/factsEndpoint.js';
import {
  audienceKey,
  CONTEXT_HEADER,
  SIGNATURE_HEADER,
  signRequest,
} from '../../../src/privacy/sign/signature.js';
import { startTestGraph, type TestGraph } from '../../support/graph.js';

const AVERY = PERSONAS.patron.patronId!;
const ATTACK = `{ patron(id: "${AVERY}") { name email cardNumber } }`;

/** What the attacker saw on the wire. */
interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let t: TestGraph;
let proxy: http.Server;
let proxyUrl: string;
let tappedGateway: RunningServer;
const captured: Captured[] = [];

beforeAll(async () => {
  t = await startTestGraph();
  // The attacker's tap: it keeps each call to circulation and never lets it arrive.
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(502).end();
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
  tappedGateway = await startGateway({
    config: t.config,
    logger: createLogger('test', 'silent'),
    supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
    subgraphUrls: {
      catalog: t.graph.urls.catalog!,
      events: t.graph.urls.events!,
      circulation: proxyUrl,
    },
    port: 0,
  });
});
afterAll(async () => {
  await tappedGateway?.stop();
  proxy?.close();
  await t?.stop();
});

/** Makes circulation staff send one innocuous query through the tapped gateway, and returns the captured call. */
async function capture(): Promise<Captured> {
  const before = captured.length;
  const token = await mintToken(PERSONAS['circulation-staff'], t.config);
  await fetch(tappedGateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ loans(first: 1, status: OPEN) { nodes { id } } }' }),
  });
  expect(captured.length).toBe(before + 1);
  const call = captured[captured.length - 1]!;
  expect(call.method).toBe('POST');
  return call;
}

/** Sends raw HTTP (a GET may carry a body here, as an attacker's client allows). */
function send(
  base: string,
  request: { method: string; path: string; headers: http.IncomingHttpHeaders; body: Buffer },
) {
  const url = new URL(base);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers = {
      ...request.headers,
      host: url.host,
      'content-length': String(request.body.length),
    };
    const req = http.request(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

const refused = (result: { status: number; text: string }) => {
  expect(result.status).toBe(401);
  const json = JSON.parse(result.text) as {
    data?: unknown;
    errors?: { extensions?: { code?: string } }[];
  };
  expect(json.data).toBeUndefined();
  expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(result.text).not.toMatch(/Avery|avery|29012000000011/);
};

describe('a captured signed call to circulation', () => {
  it('cannot be re-sent as GET /graphql?query=... to run another operation', async () => {
    const call = await capture();
    const result = await send(t.graph.urls.circulation!, {
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent(ATTACK)}`,
      headers: call.headers,
      body: call.body,
    });
    refused(result);
  });

  it('cannot be re-sent as GET without its body', async () => {
    const call = await capture();
    refused(
      await send(t.graph.urls.circulation!, {
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent(ATTACK)}`,
        headers: call.headers,
        body: Buffer.alloc(0),
      }),
    );
  });

  it('cannot be re-sent as POST with a query string', async () => {
    const call = await capture();
    refused(
      await send(t.graph.urls.circulation!, {
        method: 'POST',
        path: `/graphql?query=${encodeURIComponent(ATTACK)}`,
        headers: call.headers,
        body: call.body,
      }),
    );
  });

  it('cannot be re-sent to another spelling of the path', async () => {
    for (const path of [
      '/internal/../graphql',
      '/graphql?',
      `${new URL(t.graph.urls.circulation!).origin}/graphql`,
    ]) {
      const call = await capture();
      refused(
        await send(t.graph.urls.circulation!, {
          method: 'POST',
          path,
          headers: call.headers,
          body: call.body,
        }),
      );
    }
  });

  it('is answered once as sent (control), and refused by a second circulation replica over the same data directory', async () => {
    let replica: RunningGraph | undefined;
    try {
      // The replica is up before the call is captured, so the replay reaches it well within the
      // signature's 30 s window: it is refused as a replay, not as a stale signature.
      replica = await startGraph(
        { ...t.config, ports: { ...t.config.ports, circulation: 0 } },
        createLogger('test', 'silent'),
        'circulation',
      );
      const call = await capture();
      const first = await send(t.graph.urls.circulation!, {
        method: 'POST',
        path: '/graphql',
        headers: call.headers,
        body: call.body,
      });
      expect(first.status).toBe(200);
      expect(JSON.parse(first.text)).toMatchObject({
        data: { loans: { nodes: [{ id: expect.any(String) }] } },
      });
      refused(
        await send(replica.urls.circulation!, {
          method: 'POST',
          path: '/graphql',
          headers: call.headers,
          body: call.body,
        }),
      );
      // And the other way round: a call first delivered to the replica is refused by the first instance.
      const next = await capture();
      expect(
        (
          await send(replica.urls.circulation!, {
            method: 'POST',
            path: '/graphql',
            headers: next.headers,
            body: next.body,
          })
        ).status,
      ).toBe(200);
      refused(
        await send(t.graph.urls.circulation!, {
          method: 'POST',
          path: '/graphql',
          headers: next.headers,
          body: next.body,
        }),
      );
    } finally {
      await replica?.stop();
    }
  });
});

describe('a captured signed call to the facts endpoint', () => {
  const factsCall = () => {
    const context = encodeContext({
      principal: principalId(PERSONAS.partner.sub),
      roles: ['partner'],
      duties: [],
      patronId: null,
      legalOrder: null,
      purpose: null,
      requestId: 'test',
    });
    const body = Buffer.from(JSON.stringify({ subjects: [AVERY] }));
    const request = {
      method: 'POST',
      target: FACTS_PATH,
      contentType: 'application/json',
      context,
      body,
    };
    const signature = signRequest({
      key: audienceKey(t.config.contextSecret, FACTS_AUDIENCE),
      audience: FACTS_AUDIENCE,
      ...request,
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

  it('is answered once as sent, then refused: replayed, with a query string, or as GET', async () => {
    const call = factsCall();
    const first = await send(t.graph.urls.circulation!, {
      method: 'POST',
      path: FACTS_PATH,
      ...call,
    });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ facts: [{ patronId: AVERY, exists: true }] });
    const attempts = [
      { method: 'POST', path: FACTS_PATH, ...call },
      { method: 'POST', path: `${FACTS_PATH}?subjects=pat_x`, ...factsCall() },
      { method: 'GET', path: FACTS_PATH, ...factsCall() },
    ];
    for (const attempt of attempts) {
      const result = await send(t.graph.urls.circulation!, attempt);
      expect(result.status).toBe(401);
      expect(result.text).not.toMatch(/birthDate|exists/);
    }
  });
});
