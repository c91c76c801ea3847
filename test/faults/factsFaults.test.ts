import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PARTNER_PRINCIPAL, PERSONA_PATRONS, type PersonaName } from '../../src/dev/personas.js';
import type { Fault } from './support/faultProxy.js';
import { startSplitGraph, type SplitGraph } from './support/splitGraph.js';

/**
 * Events decides who may see an attendee from circulation's registers, read over the facts
 * endpoint. When that endpoint is unreachable, slow past its timeout, or answers garbage, every
 * field that depends on those facts is redacted: no facts, no disclosure.
 */
let g: SplitGraph;
const ORDER = 'FAULTS-2026-CV-0001';
/** Short enough to prove the setting applies (the default is 5 s), long enough for a loaded machine. */
const FACTS_TIMEOUT_MS = 1500;
beforeAll(async () => {
  g = await startSplitGraph({ env: { FACTS_TIMEOUT_MS: String(FACTS_TIMEOUT_MS) } });
  // A consent and an order that reach the patron's events, so each exception needs facts here.
  const from = new Date(Date.now() - 60_000).toISOString();
  const until = new Date(Date.now() + 86_400_000).toISOString();
  await g.query('records-custodian', 'mutation { revokeConsent(consentId: "1") { revokedAt } }');
  const consent = await g.query(
    'records-custodian',
    `mutation { recordConsent(input: { patronId: "${patron.id}", grantee: "${PARTNER_PRINCIPAL}",
    scope: [IDENTITY, CONTACT, EVENTS], documentRef: "consent-faults-1", validFrom: "${from}", validUntil: "${until}" }) { id } }`,
  );
  const order = await g.query(
    'records-custodian',
    `mutation { registerLegalOrder(input: { reference: "${ORDER}", kind: SUBPOENA,
    authority: "Jefferson County District Court", patronIds: ["${patron.id}"], scope: [IDENTITY, EVENTS], validUntil: "${until}" }) { id } }`,
  );
  // Two-person rule: a second custodian approves the order.
  const approved = await g.query(
    'records-custodian-2',
    `mutation { approveLegalOrder(orderId: "${(order.data?.registerLegalOrder as { id: string }).id}") { status } }`,
  );
  expect([consent.errors, order.errors, approved.errors]).toEqual([
    undefined,
    undefined,
    undefined,
  ]);
});
afterAll(async () => g?.stop());
afterEach(() => g.proxies.circulation.set('/internal/facts', { kind: 'pass' }));

const { minor, patron } = PERSONA_PATRONS;

/**
 * Persona x query x the path of the field that needs facts (GUARDIAN, CONSENT, LEGAL_PROCESS),
 * disclosed while the facts are there; the patron's id in the query is theirs to send.
 */
const DEPENDENT: [PersonaName, string, string, Record<string, string>][] = [
  [
    'guardian',
    `{ patron(id: "${minor.id}") { registrations { registeredAt event { title } } } }`,
    'patron.registrations',
    {},
  ],
  [
    'partner',
    `{ patron(id: "${patron.id}") { registrations { registeredAt } } }`,
    'patron.registrations',
    {},
  ],
  [
    'records-custodian',
    `{ patron(id: "${patron.id}") { registrations { registeredAt } } }`,
    'patron.registrations',
    { 'x-legal-process': ORDER },
  ],
];

const FAULTS: [string, Fault][] = [
  ['unreachable', { kind: 'drop' }],
  ['answering 500', { kind: 'answer', status: 500, contentType: 'text/plain', body: 'oops' }],
  [
    'answering non-JSON',
    { kind: 'answer', status: 200, contentType: 'application/json', body: '{"facts":[{"patr' },
  ],
  [
    'answering the wrong shape',
    {
      kind: 'answer',
      status: 200,
      contentType: 'application/json',
      body: '{"facts":[{"patronId":"x","exists":true}]}',
    },
  ],
];

const at = (data: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k], data);
/** Every patron id, a facts-dependent value events would otherwise return. */
const PATRON_ID = /pat_[0-9a-f]{12}/g;

describe.each(FAULTS)('circulation facts %s', (_, fault) => {
  it.each(DEPENDENT)(
    '%s: the dependent field is redacted',
    async (persona, query, path, headers) => {
      const normal = await g.query(persona, query, headers);
      expect(at(normal.data, path), 'disclosed while the facts are there').toBeTruthy();

      g.proxies.circulation.set('/internal/facts', fault);
      const faulted = await g.query(persona, query, headers);
      expect(faulted.status).toBe(200);
      expect(at(faulted.data, path)).toBeNull();
      expect(faulted.errors?.length).toBeGreaterThan(0);
      expect(new Set(faulted.errors!.map((e) => e.extensions?.code))).toEqual(
        new Set(['PRIVACY_REDACTED']),
      );
      // Events could not decide, so nothing it holds about a patron left it.
      expect(faulted.text.match(PATRON_ID) ?? []).toEqual([]);
      expect(g.proxies.circulation.seen('/internal/facts')).toBeGreaterThan(0);
    },
  );
});

describe('circulation facts slow', () => {
  it('past the facts timeout (FACTS_TIMEOUT_MS): redacted, not waited for forever', async () => {
    const [persona, query, path, headers] = DEPENDENT[0]!;
    g.proxies.circulation.set('/internal/facts', { kind: 'slow', ms: 10_000 });
    const started = Date.now();
    const res = await g.query(persona, query, headers);
    // Well past the configured timeout, well short of the slow answer (and of the 5 s default).
    expect(Date.now() - started).toBeLessThan(FACTS_TIMEOUT_MS + 3000);
    expect(at(res.data, path)).toBeNull();
    expect(res.text.match(PATRON_ID) ?? []).toEqual([]);
  }, 20_000);
});
