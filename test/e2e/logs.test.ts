import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_NAMES, PERSONA_PATRONS, SEEDED_LEGAL_ORDER } from '../../src/dev/personas.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';
import { auditOutage } from '../support/auditOutage.js';

/**
 * Logs carry request ids, codes and counts, never personal data: every line the graph logs while
 * every persona reads, fails to log in, sends bad tokens and hits an audit outage is searched for
 * every persona's name, email, phone, card number, patron id, PIN and token.
 */
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});

let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph({ LOG_LEVEL: 'debug' }, sink);
});
afterAll(async () => t?.stop());

describe('logs without personal data', () => {
  it("never contain a persona's identifiers, PINs or tokens", async () => {
    const subjects = Object.values(PERSONA_PATRONS);
    const query = `query($a: ID!, $b: ID!, $c: ID!) { a: patron(id: $a) { name email phone cardNumber loans { id } registrations { id } }
      b: patron(id: $b) { name } c: patron(id: $c) { name } me { name } }`;
    const variables = { a: subjects[0]!.id, b: subjects[1]!.id, c: subjects[2]!.id };
    for (const persona of PERSONA_NAMES) {
      await t.query(persona, query, variables, { 'x-legal-process': SEEDED_LEGAL_ORDER });
      await t.query(
        persona,
        '{ loans(first: 50) { nodes { patron { name email } } } events(first: 5) { registrations { attendee { name } } } }',
      );
    }
    for (const p of subjects) {
      await t.query(
        'anonymous',
        'mutation($c: String!, $p: String!) { authenticateWithCard(cardNumber: $c, pin: $p) { token } }',
        { c: p.cardNumber, p: '0000' },
      );
    }
    const login = await t.query(
      'anonymous',
      'mutation($c: String!, $p: String!) { authenticateWithCard(cardNumber: $c, pin: $p) { token } }',
      {
        c: PERSONA_PATRONS.patron.cardNumber,
        p: PERSONA_PATRONS.patron.pin,
      },
    );
    const cardToken = (login.data?.authenticateWithCard as { token: string } | undefined)?.token;
    await fetch(t.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x.y.z' },
      body: '{"query":"{ me { name } }"}',
    });
    await t.query(
      'circulation-staff',
      `{ patron(id: "${subjects[0]!.id}") { name email } }`,
      undefined,
      { 'x-disclosure-purpose': `call ${subjects[0]!.name}` },
    );
    const restore = await auditOutage(t.graph.databases!.audit);
    await t.query('circulation-staff', `{ patron(id: "${subjects[0]!.id}") { name email } }`);
    await restore();
    await new Promise((r) => setTimeout(r, 100));

    const logged = lines.join('');
    expect(lines.length).toBeGreaterThan(5);
    const tokens = await Promise.all(PERSONA_NAMES.map((p) => t.token(p)));
    const secrets = [
      ...subjects.flatMap((p) => [
        p.id,
        p.name,
        p.email,
        p.phone,
        p.cardNumber,
        `"${p.pin}"`,
        p.address,
      ]),
      ...tokens.filter((x): x is string => x !== null),
      ...(cardToken ? [cardToken] : []),
    ];
    for (const secret of secrets)
      expect(logged.includes(secret), `a log line contains ${secret.slice(0, 12)}...`).toBe(false);
    expect(logged).toMatch(/audit write failed/);
  });
});
