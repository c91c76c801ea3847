import path from 'node:path';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, type PersonaName } from '../../src/dev/personas.js';
import { SharedFetches, shareKey } from '../../src/gateway/sharedFetches.js';
import { AnswerHeaders, BufferedAnswer } from '../../src/gateway/subgraphClient.js';
import {
  anonymousContext,
  encodeContext,
  type DisclosureContext,
} from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';
import { CONTEXT_HEADER, SIGNATURE_HEADER } from '../../src/privacy/sign/signature.js';
import { startSplitGraph, type SplitGraph } from '../faults/support/splitGraph.js';

/**
 * Identical subgraph fetches in flight at once are sent once, but only where sharing cannot cross
 * callers: the answer a subgraph gives (and the disclosure record it writes) depends on who asks,
 * so only callers no exception applies to share, and never a mutation.
 */

type Fetcher = RemoteGraphQLDataSource['fetcher'];

const URL_ = 'http://127.0.0.1:4001/graphql';
const QUERY_BODY = JSON.stringify({ query: '{branches{id name}}', variables: {} });
const init = (context: DisclosureContext, body = QUERY_BODY) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: encodeContext(context) },
  body,
});
const anonymous = (
  requestId: string,
  more: Partial<DisclosureContext> = {},
): DisclosureContext => ({ ...anonymousContext(requestId), ...more });

describe('the share key: who may share what', () => {
  it('two anonymous callers with the same query share, whatever their request ids and signatures', () => {
    const a = shareKey(URL_, init(anonymous('r-1')));
    const b = shareKey(URL_, {
      ...init(anonymous('r-2')),
      headers: { ...init(anonymous('r-2')).headers, [SIGNATURE_HEADER]: 'v2;t=1;n=x;s=y' },
    });
    expect(a).not.toBeNull();
    expect(b).toBe(a);
  });

  it('a different subgraph, body, variable, stated purpose or client does not share', () => {
    const base = shareKey(URL_, init(anonymous('r')));
    const others = [
      shareKey('http://127.0.0.1:4003/graphql', init(anonymous('r'))),
      shareKey(
        URL_,
        init(anonymous('r'), JSON.stringify({ query: '{branches{id}}', variables: {} })),
      ),
      shareKey(
        URL_,
        init(anonymous('r'), JSON.stringify({ query: '{branches{id name}}', variables: { a: 1 } })),
      ),
      shareKey(URL_, init(anonymous('r', { purpose: 'research' }))),
      shareKey(URL_, init(anonymous('r', { clientKey: 'c0ffee' }))),
    ];
    for (const key of others) expect(key === null || key !== base).toBe(true);
    expect(new Set(others).size).toBe(others.length);
  });

  // Every caller an exception can apply to: their fetches may disclose, and each disclosure is
  // recorded per request, so each goes alone.
  const disclosing: [string, Partial<DisclosureContext>][] = [
    [
      'a patron',
      { principal: principalId('patron:avery'), roles: ['patron'], patronId: patronId('pat_1') },
    ],
    ['staff', { principal: principalId('staff:desk'), roles: ['staff'], duties: ['circulation'] }],
    ['a partner', { principal: principalId('partner:x'), roles: ['partner'] }],
    [
      'a custodian under a legal order',
      { principal: principalId('custodian:r'), roles: ['custodian'], legalOrder: 'ORDER-1' },
    ],
    ['a principal without roles', { principal: principalId('someone') }],
    ['roles without a principal', { roles: ['analytics'] }],
    ['a legal order without a principal', { legalOrder: 'ORDER-1' }],
  ];
  it.each(disclosing)('%s never shares', (_, fields) => {
    expect(shareKey(URL_, init(anonymous('r', fields)))).toBeNull();
  });

  it('mutations, subscriptions, GETs and fetches without a context never share', () => {
    expect(
      shareKey(
        URL_,
        init(anonymous('r'), JSON.stringify({ query: 'mutation{cancelHold(holdId:"h"){id}}' })),
      ),
    ).toBeNull();
    expect(
      shareKey(
        URL_,
        init(anonymous('r'), JSON.stringify({ query: 'mutation Op__circulation__0{x}' })),
      ),
    ).toBeNull();
    expect(
      shareKey(URL_, init(anonymous('r'), JSON.stringify({ query: 'subscription{x}' }))),
    ).toBeNull();
    expect(shareKey(URL_, { ...init(anonymous('r')), method: 'GET' })).toBeNull();
    expect(
      shareKey(URL_, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: QUERY_BODY,
      }),
    ).toBeNull();
  });

  it('a context it cannot read, or with a field it does not know, never shares', () => {
    const headers = { 'content-type': 'application/json' };
    expect(
      shareKey(URL_, {
        method: 'POST',
        headers: { ...headers, [CONTEXT_HEADER]: 'not base64 json' },
        body: QUERY_BODY,
      }),
    ).toBeNull();
    const extra = Buffer.from(JSON.stringify({ ...anonymous('r'), onBehalfOf: 'pat_1' })).toString(
      'base64url',
    );
    expect(
      shareKey(URL_, {
        method: 'POST',
        headers: { ...headers, [CONTEXT_HEADER]: extra },
        body: QUERY_BODY,
      }),
    ).toBeNull();
  });
});

/** A fetcher whose answers the test releases by hand, counting the fetches it was sent. */
function manualFetcher() {
  const pending: {
    resolve: (text: string) => void;
    reject: (e: unknown) => void;
    signal: AbortSignal | undefined;
  }[] = [];
  const fetcher = ((_url, init) =>
    new Promise((resolve, reject) => {
      pending.push({
        resolve: (text) =>
          resolve(
            new BufferedAnswer(
              URL_,
              200,
              new AnswerHeaders([['content-type', 'application/json']]),
              text,
            ),
          ),
        reject,
        signal: init?.signal as AbortSignal | undefined,
      });
    })) as Fetcher;
  return { fetcher, pending };
}

describe('SharedFetches', () => {
  it('sends identical anonymous fetches in flight once and gives each waiter its own copy', async () => {
    const { fetcher, pending } = manualFetcher();
    const shared = new SharedFetches().share(fetcher);
    const first = shared(URL_, init(anonymous('r-1')));
    const second = shared(URL_, init(anonymous('r-2')));
    expect(pending).toHaveLength(1);
    pending[0]!.resolve('{"data":{"branches":[]}}');
    const [a, b] = await Promise.all([first, second]);
    expect(a).not.toBe(b);
    expect(await a.json()).toEqual({ data: { branches: [] } });
    expect(await b.json()).toEqual({ data: { branches: [] } });
    // Not a cache: the next one is fetched.
    void shared(URL_, init(anonymous('r-3')));
    expect(pending).toHaveLength(2);
  });

  it('a failed fetch fails every waiter', async () => {
    const { fetcher, pending } = manualFetcher();
    const shared = new SharedFetches().share(fetcher);
    const both = [shared(URL_, init(anonymous('r-1'))), shared(URL_, init(anonymous('r-2')))];
    pending[0]!.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    for (const waiter of both) await expect(waiter).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a waiter whose deadline passes stops waiting; the fetch goes on for the others and is aborted when no one waits', async () => {
    const { fetcher, pending } = manualFetcher();
    const sharing = new SharedFetches();
    const shared = sharing.share(fetcher);
    const early = new AbortController();
    const late = new AbortController();
    const first = shared(URL_, { ...init(anonymous('r-1')), signal: early.signal });
    const second = shared(URL_, { ...init(anonymous('r-2')), signal: late.signal });
    early.abort(new Error('deadline 1'));
    await expect(first).rejects.toThrow('deadline 1');
    expect(pending[0]!.signal!.aborted).toBe(false);
    late.abort(new Error('deadline 2'));
    await expect(second).rejects.toThrow('deadline 2');
    expect(pending[0]!.signal!.aborted).toBe(true);
    // The abandoned fetch is forgotten: the next caller starts a fresh one.
    expect(sharing.inFlight).toBe(0);
    void shared(URL_, init(anonymous('r-3')));
    expect(pending).toHaveLength(2);
  });

  it('callers who may see different things each get their own fetch', async () => {
    const { fetcher, pending } = manualFetcher();
    const shared = new SharedFetches().share(fetcher);
    const staff = anonymous('r-1', {
      principal: principalId('staff:desk'),
      roles: ['staff'],
      duties: ['circulation'],
    });
    void shared(URL_, init(staff));
    void shared(URL_, init({ ...staff, requestId: 'r-2' }));
    void shared(URL_, init(anonymous('r-3')));
    expect(pending).toHaveLength(3);
  });
});

/** Through the whole graph: each subgraph behind a proxy that counts and delays what reaches it. */
describe('sharing through the gateway', () => {
  let g: SplitGraph;
  beforeAll(async () => {
    // The public response cache would answer a repeated anonymous question before any fetch.
    g = await startSplitGraph({ env: { RESPONSE_CACHE: 'off' } });
  }, 120_000);
  afterAll(async () => g?.stop());
  afterEach(() => {
    for (const proxy of Object.values(g.proxies)) proxy.set('/graphql', { kind: 'pass' });
  });

  /** Sends requests together and returns their answers, each as the text a client reads. */
  const together = (
    requests: { persona: PersonaName; query: string; headers?: Record<string, string> }[],
  ) => Promise.all(requests.map(({ persona, query, headers }) => g.query(persona, query, headers)));

  const CATALOG_PAGE = '{ works(first: 5) { nodes { id title } } branches { id name } }';
  // Long enough that requests sent together are in flight together on a loaded machine.
  const HOLD_MS = 1_500;

  it('two anonymous identical requests in flight make one catalog fetch, and both get the whole answer', async () => {
    const alone = await g.query('anonymous', CATALOG_PAGE);
    expect(alone.errors).toBeUndefined();
    g.proxies.catalog.set('/graphql', { kind: 'slow', ms: HOLD_MS });
    const before = g.proxies.catalog.seen('/graphql');
    const [a, b] = await together([
      { persona: 'anonymous', query: CATALOG_PAGE },
      { persona: 'anonymous', query: CATALOG_PAGE },
    ]);
    expect(g.proxies.catalog.seen('/graphql') - before).toBe(1);
    expect(a!.data).toEqual(alone.data);
    expect(b!.data).toEqual(alone.data);
  });

  it('the same question from callers who may see different things: each gets what it may see, and its own audit record', async () => {
    const { minor } = PERSONA_PATRONS;
    const query = `{ patron(id: "${minor.id}") { id name email } branches { id } }`;
    const personas: PersonaName[] = [
      'circulation-staff',
      'anonymous',
      'guardian',
      'partner',
      'patron',
      'events-staff',
      'circulation-staff',
    ];
    // What each persona gets asking alone.
    const alone = new Map<PersonaName, unknown>();
    for (const persona of new Set(personas))
      alone.set(persona, (await g.query(persona, query)).data);
    expect((alone.get('circulation-staff') as { patron: { name: string } }).patron.name).toBe(
      minor.name,
    );
    expect((alone.get('guardian') as { patron: { name: string } }).patron.name).toBe(minor.name);
    for (const blind of ['anonymous', 'partner', 'patron', 'events-staff'] as const)
      expect(JSON.stringify(alone.get(blind))).not.toContain(minor.name);

    g.proxies.circulation.set('/graphql', { kind: 'slow', ms: HOLD_MS });
    g.proxies.catalog.set('/graphql', { kind: 'slow', ms: HOLD_MS });
    const answers = await together(
      personas.map((persona, i) => ({
        persona,
        query,
        headers: { 'x-request-id': `shared-${i}` },
      })),
    );
    answers.forEach((answer, i) => {
      const persona = personas[i]!;
      expect(answer.data, persona).toEqual(alone.get(persona));
      if (!['circulation-staff', 'guardian'].includes(persona)) {
        for (const value of [minor.name, minor.email, minor.cardNumber])
          expect(answer.text, persona).not.toContain(value);
      }
    });
    // Each disclosure is in the audit under its own request: the two identical staff questions
    // included, so neither was answered from the other's fetch.
    const audit = new SQLite(path.join(g.dataDir, 'audit.db'), { readonly: true });
    const recorded = new Set(
      (
        audit
          .prepare("select request_id from audit_batches where request_id like 'shared-%'")
          .all() as { request_id: string }[]
      ).map((r) => r.request_id),
    );
    audit.close();
    const disclosedTo = personas
      .map((p, i) => [p, `shared-${i}`] as const)
      .filter(([p]) => p === 'circulation-staff' || p === 'guardian');
    expect(disclosedTo.filter(([, id]) => !recorded.has(id))).toEqual([]);
  });

  it('identical anonymous mutations in flight are each sent', async () => {
    const mutation =
      'mutation { authenticateWithCard(cardNumber: "29019999999999", pin: "0000") { token } }';
    g.proxies.circulation.set('/graphql', { kind: 'slow', ms: HOLD_MS });
    const before = g.proxies.circulation.seen('/graphql');
    await together([
      { persona: 'anonymous', query: mutation },
      { persona: 'anonymous', query: mutation },
    ]);
    expect(g.proxies.circulation.seen('/graphql') - before).toBe(2);
  });

  it('a subgraph failing under a shared fetch: both callers get the one clear error, and nothing of what it sent', async () => {
    const body = '<html><body>Bad gateway: Avery Quintana</body></html>';
    g.proxies.catalog.set('/graphql', {
      kind: 'answer',
      status: 502,
      contentType: 'text/html',
      body,
      delayMs: HOLD_MS,
    });
    const before = g.proxies.catalog.seen('/graphql');
    const answers = await together([
      { persona: 'anonymous', query: CATALOG_PAGE },
      { persona: 'anonymous', query: CATALOG_PAGE },
    ]);
    expect(g.proxies.catalog.seen('/graphql') - before).toBe(1);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.data).toBeNull();
      expect(answer.errors).toEqual([
        {
          message:
            'The catalog service is unavailable; the fields it serves are null. Try again shortly.',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ]);
      expect(answer.text).not.toMatch(/Avery|Bad gateway|html/);
    }
  });

  it('a signed-in caller and an anonymous one asking the same public question are not merged', async () => {
    g.proxies.catalog.set('/graphql', { kind: 'slow', ms: HOLD_MS });
    const before = g.proxies.catalog.seen('/graphql');
    await together([
      { persona: 'anonymous', query: CATALOG_PAGE },
      { persona: 'circulation-staff', query: CATALOG_PAGE },
    ]);
    expect(g.proxies.catalog.seen('/graphql') - before).toBe(2);
  });
});
