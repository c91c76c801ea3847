import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryProfile, needlesOf, type Canary } from '../support/fuzz/canary.js';
import { ALLOWED, canaryKindsIn, findCanary } from '../support/fuzz/oracle.js';
import { generateOperation, loadApiSchema, targetsFor } from '../support/fuzz/operations.js';
import { Random } from '../support/fuzz/random.js';
import {
  describeFailure,
  formatReport,
  prepareFuzz,
  runFuzz,
  type FuzzEnvironment,
  type FuzzReport,
} from '../support/fuzz/run.js';

/**
 * The privacy fuzz of `npm run fuzz:privacy`, 500 operations of it (FUZZ_OPERATIONS, FUZZ_SEED):
 * operations generated from the supergraph, as every persona, against a canary patron made
 * through the API; no canary value reaches a caller the oracle does not allow, nor any log line.
 * The oracle is shown to fail on a leak first: a fuzz whose oracle cannot fail proves nothing.
 */
const OPERATIONS = Number(process.env.FUZZ_OPERATIONS ?? 500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

const profile = canaryProfile(SEED);
const fakeCanary = {
  profile,
  values: {
    id: 'pat_c0ffee123456',
    name: profile.name,
    cardNumber: '29019876543210',
    email: profile.email,
    phone: profile.phone,
    address: profile.address,
    birthDate: profile.birthDate,
  },
} satisfies Pick<Canary, 'profile' | 'values'>;
const needles = needlesOf(fakeCanary);

describe('the oracle', () => {
  it("finds the canary's name in a response to anonymous, and allows it to circulation staff", () => {
    const body = JSON.stringify({ data: { patron: { name: profile.name } } });
    expect(findCanary(body, needles, ALLOWED.anonymous.kinds).map((f) => f.kind)).toContain('name');
    expect(findCanary(body, needles, ALLOWED['circulation-staff'].kinds)).toEqual([]);
  });

  it('finds contact data for the custodian whose order covers identity only, but not the name', () => {
    const body = JSON.stringify({ data: { patron: { name: profile.name, email: profile.email } } });
    expect(
      findCanary(body, needles, ALLOWED['records-custodian+canary-order'].kinds).map((f) => f.kind),
    ).toEqual(['email', 'email']);
  });

  it('finds a value in an error message, in another case, in parts and encoded', () => {
    const cases = [
      JSON.stringify({ errors: [{ message: `No loan for ${profile.email.toUpperCase()}` }] }),
      `{"data":{"x":"quoxtl"}}`,
      `{"data":{"cursor":"${Buffer.from(fakeCanary.values.id).toString('base64url')}"}}`,
      `{"data":{"digits":"${profile.phone.replace(/\D/g, '')}"}}`,
    ];
    for (const text of cases)
      expect(findCanary(text, needles, ALLOWED.partner.kinds), text).not.toEqual([]);
  });

  it('finds any canary value in a log line, even one of a caller allowed to see it', () => {
    const line = JSON.stringify({
      level: 30,
      requestId: 'r1',
      msg: 'request',
      card: fakeCanary.values.cardNumber,
    });
    expect(findCanary(line, needles, []).map((f) => f.kind)).toEqual(['cardNumber']);
  });

  it('finds nothing in an answer without the canary', () => {
    const body = JSON.stringify({
      data: { patron: null },
      errors: [
        {
          message: 'Redacted: confidential patron information',
          extensions: { code: 'PRIVACY_REDACTED' },
        },
      ],
    });
    expect(findCanary(body, needles, [])).toEqual([]);
  });
});

describe('the generator', () => {
  const schema = loadApiSchema();
  const canary = {
    ...fakeCanary,
    patronId: fakeCanary.values.id,
    homeBranchId: 'br_01',
    loanId: '20001',
    itemId: 'it_42',
    loanWorkId: 'wk_7',
    holdId: '601',
    holdWorkId: 'wk_8',
    registrationId: '3816',
    eventId: 'ev_150',
    eventBranchId: 'br_02',
    legalOrder: 'FUZZ-X',
  } satisfies Canary;
  const operations = Array.from({ length: 1000 }, (_, i) =>
    generateOperation(schema, Random.forOperation(SEED, i), targetsFor(canary), i),
  );

  it('writes only operations the API schema accepts, with every feature the fuzz promises', () => {
    const invalid = operations.flatMap((op) =>
      validate(schema, parse(op.query)).map((e) => `${e.message}\n${op.query}`),
    );
    expect(invalid.slice(0, 3)).toEqual([]);
    const share = (test: (text: string) => boolean) =>
      operations.filter((op) => test(`${op.query}\n${JSON.stringify(op.variables)}`)).length;
    expect(share((q) => /^fragment /m.test(q))).toBeGreaterThan(300);
    expect(share((q) => /\.\.\. on /.test(q))).toBeGreaterThan(200);
    expect(share((q) => /\.\.\. @(include|skip)/.test(q))).toBeGreaterThan(200);
    expect(share((q) => /\ba\d+: /.test(q))).toBeGreaterThan(900);
    expect(share((q) => /^query Fuzz\d+\(\$/.test(q))).toBeGreaterThan(500);
    expect(share((q) => q.startsWith('mutation'))).toBeGreaterThan(20);
    expect(share((q) => q.includes(canary.patronId))).toBeGreaterThan(200);
  });

  it('writes the same operation for the same seed and index, and another for another seed', () => {
    const again = generateOperation(schema, Random.forOperation(SEED, 7), targetsFor(canary), 7);
    expect(again).toEqual(operations[7]);
    expect(
      generateOperation(schema, Random.forOperation(SEED + 1, 7), targetsFor(canary), 7),
    ).not.toEqual(operations[7]);
  });
});

describe(`${OPERATIONS} generated operations against a canary made through the API`, () => {
  let env: FuzzEnvironment;
  let report: FuzzReport;
  beforeAll(async () => {
    env = await prepareFuzz(SEED);
    report = await runFuzz(env, { seed: SEED, operations: OPERATIONS, concurrency: 4 });
  }, 300_000);
  afterAll(async () => env?.stop());

  it('catches a real disclosure when it is judged for the wrong caller', async () => {
    const staff = env.callers.find((c) => c.name === 'circulation-staff')!;
    const reply = await env.client.send(
      staff,
      { query: `{ patron(id: "${env.canary.patronId}") { name email } }` },
      'oracle-check',
    );
    expect(findCanary(reply.body, env.needles, staff.allowed)).toEqual([]);
    expect(findCanary(reply.body, env.needles, ALLOWED.anonymous.kinds).map((f) => f.kind)).toEqual(
      expect.arrayContaining(['name', 'email']),
    );
  });

  // The oracle is neither stricter nor laxer than the law on one plain question: what each caller
  // receives of the canary is exactly what ALLOWED grants where this question can show it.
  it('matches the graph: each caller receives exactly its share of the canary on a plain question', async () => {
    const question = `query($p: ID!, $e: ID!) { patron(id: $p) { id name cardNumber email phone address birthDate }
      event(id: $e) { registrations { attendee { id name } } } }`;
    const expected: Record<string, string[]> = {
      'circulation-staff': ['id', 'name', 'cardNumber', 'email', 'phone', 'address', 'birthDate'],
      'events-staff': ['id', 'name'],
      'records-custodian+canary-order': ['id', 'name', 'cardNumber', 'birthDate'],
      canary: ['id', 'name', 'cardNumber', 'email', 'phone', 'address', 'birthDate'],
    };
    const seen: Record<string, string[]> = {};
    for (const caller of env.callers) {
      const reply = await env.client.send(
        caller,
        { query: question, variables: { p: env.canary.patronId, e: env.canary.eventId } },
        `table-${caller.name}`,
      );
      const kinds = [...canaryKindsIn(reply.body, env.needles)].sort();
      if (kinds.length > 0) seen[caller.name] = kinds;
      for (const kind of kinds)
        expect(caller.allowed, `${caller.name} received ${kind}`).toContain(kind);
    }
    expect(seen).toEqual(
      Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, [...v].sort()])),
    );
  });

  it('never discloses a canary value to a caller without an exception, nor to a log line', () => {
    const failures = [
      ...env.setupFindings.map((f) => `making the canary, a log line: ${f.excerpt}`),
      ...report.findings.map((f) => describeFailure(f, SEED)),
    ];
    expect(failures, `${formatReport(report)}\n${failures.slice(0, 5).join('\n')}`).toEqual([]);
  });

  // Under heavy load, a gateway fetch to a subgraph now and then fails on its connection ("socket
  // hang up", ECONNRESET: about 1 in 5,000 operations, in clusters), answered as a masked
  // INTERNAL_SERVER_ERROR with nothing disclosed. That fault is recorded in
  // docs/benchmarks/soak-and-fuzz.md and counted by the script; here every other surprise fails.
  it('answers every generated operation as a correct graph would (no 5xx, internal or validation error)', () => {
    const unexpected = report.anomalies.filter((a) => !a.connectionReset);
    expect(
      unexpected.map((a) => describeFailure(a, SEED)).slice(0, 5),
      formatReport(report),
    ).toEqual([]);
  });

  it('reached the canary: its values came back to the callers allowed them', () => {
    expect(report.operations).toBe(OPERATIONS);
    expect(report.perCaller['circulation-staff']!.kinds, formatReport(report)).toEqual(
      expect.arrayContaining(['id', 'name']),
    );
    expect(report.perCaller.canary!.kinds, formatReport(report)).toEqual(
      expect.arrayContaining(['id', 'name']),
    );
    expect(report.logLines).toBeGreaterThanOrEqual(OPERATIONS);
  });
});
