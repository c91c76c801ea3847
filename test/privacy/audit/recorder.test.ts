import { describe, expect, it } from 'vitest';
import { AuditRecorder } from '../../../src/privacy/audit/recorder.js';
import type { WireBatch } from '../../../src/privacy/audit/record.js';
import { anonymousContext } from '../../../src/privacy/context/disclosureContext.js';

const operations = { kind: 'disclose', exception: 'OPERATIONS', reference: null } as never;
const consent = (reference: string) =>
  ({ kind: 'disclose', exception: 'CONSENT', reference }) as never;
const rule = (coordinate: string) => ({ coordinate }) as never;
const path = (key: string) => ({ prev: undefined, key, typename: 'Patron' });

describe('the audit recorder', () => {
  it('writes one record per subject, exception and reference, listing each field once, sorted', async () => {
    const written: WireBatch[][] = [];
    const recorder = new AuditRecorder(
      { ...anonymousContext('req-7'), principal: 'staff:desk' as never },
      async (batches) => void written.push([...batches]),
    );
    // A list notes its rows' fields in the selection's order, row after row.
    for (const patron of ['pat_a', 'pat_b']) {
      for (const field of ['Patron.name', 'Patron.email', 'Patron.name'])
        recorder.note(rule(field), patron as never, operations, path(field));
    }
    recorder.note(rule('Patron.email'), 'pat_c' as never, operations, path('email'));
    recorder.note(rule('Patron.name'), 'pat_a' as never, consent('consent:9'), path('name'));

    expect(await recorder.written()).toEqual({ ok: true, records: 4 });
    expect(written).toHaveLength(1);
    const [byOperations, byConsent] = written[0]!;
    expect(byOperations).toMatchObject({
      requestId: 'req-7',
      principal: 'staff:desk',
      exception: 'OPERATIONS',
      reference: null,
      patrons: ['pat_a', 'pat_b', 'pat_c'],
    });
    expect(byOperations!.fields.map((f) => JSON.parse(f))).toEqual([
      ['Patron.email', 'Patron.name'],
      ['Patron.email', 'Patron.name'],
      ['Patron.email'],
    ]);
    expect(byConsent).toMatchObject({
      exception: 'CONSENT',
      reference: 'consent:9',
      patrons: ['pat_a'],
      fields: ['["Patron.name"]'],
    });
    // One write per request, however often it is asked for.
    await recorder.written();
    expect(written).toHaveLength(1);
  });

  it('writes nothing for a request that disclosed nothing', async () => {
    let writes = 0;
    const recorder = new AuditRecorder(anonymousContext('req-8'), async () => void (writes += 1));
    expect(await recorder.written()).toEqual({ ok: true, records: 0 });
    expect(writes).toBe(0);
  });

  it("keeps each subject's fields apart when a list's rows interleave subjects and fields", async () => {
    const written: WireBatch[] = [];
    const recorder = new AuditRecorder(
      anonymousContext('req-9'),
      async (batches) => void written.push(...batches),
    );
    // As graphql-js runs a listing: every loan's borrower first, then each borrower's fields.
    for (const patron of ['pat_a', 'pat_b', 'pat_a', 'pat_c'])
      recorder.note(rule('Loan.patron'), patron as never, operations, path('patron'));
    for (const patron of ['pat_a', 'pat_b', 'pat_c'])
      for (const field of ['Patron.name', 'Patron.email'])
        recorder.note(rule(field), patron as never, operations, path(field));
    recorder.note(rule('Patron.cardNumber'), 'pat_b' as never, operations, path('cardNumber'));
    recorder.note(rule('Patron.name'), 'pat_a' as never, operations, path('name'));

    expect(await recorder.written()).toEqual({ ok: true, records: 3 });
    expect(written).toHaveLength(1);
    expect(written[0]!.patrons).toEqual(['pat_a', 'pat_b', 'pat_c']);
    expect(written[0]!.fields.map((f) => JSON.parse(f))).toEqual([
      ['Loan.patron', 'Patron.email', 'Patron.name'],
      ['Loan.patron', 'Patron.cardNumber', 'Patron.email', 'Patron.name'],
      ['Loan.patron', 'Patron.email', 'Patron.name'],
    ]);
  });

  it('gives the path of every value it was told of when the write fails, so each is redacted', async () => {
    const recorder = new AuditRecorder(anonymousContext('req-10'), async () => {
      throw new Error('disk full');
    });
    const listPath = (index: number, field: string) => ({
      prev: {
        prev: { prev: { prev: undefined, key: 'loans', typename: 'Query' }, key: 'nodes' },
        key: index,
      },
      key: field,
      typename: 'Loan',
    });
    const noted: (string | number)[][] = [];
    // Fields of one subject in a row (noted without a lookup), and the same subject again later.
    for (const [index, patron] of [
      [0, 'pat_a'],
      [1, 'pat_a'],
      [2, 'pat_b'],
      [3, 'pat_a'],
    ] as const) {
      for (const field of ['patron', 'dueAt']) {
        recorder.note(
          rule(`Loan.${field}`),
          patron as never,
          operations,
          listPath(index, field) as never,
        );
        noted.push(['loans', 'nodes', index, field]);
      }
    }
    const result = await recorder.written();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.paths).toEqual(noted);
  });

  it("a request answered with another one's execution records the same disclosures under its own id, and is redacted alone if its write fails", async () => {
    const staff = { ...anonymousContext('req-lead'), principal: 'staff:desk' as never };
    const written: WireBatch[] = [];
    const leader = new AuditRecorder(staff, async (batches) => void written.push(...batches));
    leader.note(rule('Patron.name'), 'pat_a' as never, operations, path('name'));
    leader.note(rule('Patron.email'), 'pat_b' as never, operations, path('email'));
    expect(await leader.written()).toEqual({ ok: true, records: 2 });

    const follower = new AuditRecorder(
      { ...staff, requestId: 'req-follow' },
      async (batches) => void written.push(...batches),
    );
    follower.adopt(leader);
    expect(await follower.written()).toEqual({ ok: true, records: 2 });
    expect(written.map((b) => [b.requestId, b.patrons])).toEqual([
      ['req-lead', ['pat_a', 'pat_b']],
      ['req-follow', ['pat_a', 'pat_b']],
    ]);
    // It names the leader's batch, whose very arrays it carries: the audit stores it as a repeat.
    expect(written[1]!.repeats).toBe(written[0]);
    expect(written[1]!.patrons).toBe(written[0]!.patrons);
    expect(written[1]!.fields).toBe(written[0]!.fields);

    // A follower that writes before its leader names nothing, and its records go in full.
    const early = new AuditRecorder(staff, async () => undefined);
    early.note(rule('Patron.name'), 'pat_a' as never, operations, path('name'));
    const before = new AuditRecorder(
      { ...staff, requestId: 'req-before' },
      async (batches) => void written.push(...batches),
    );
    before.adopt(early);
    await before.written();
    expect(written[2]).toMatchObject({ requestId: 'req-before', patrons: ['pat_a'] });
    expect(written[2]!.repeats).toBeUndefined();

    // Its own write failing: its response is redacted at every value the execution disclosed.
    const failing = new AuditRecorder({ ...staff, requestId: 'req-fail' }, async () => {
      throw new Error('database is locked');
    });
    failing.adopt(leader);
    const result = await failing.written();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.paths).toEqual([['name'], ['email']]);
  });

  it('adopts only before it has noted or written anything of its own', async () => {
    const leader = new AuditRecorder(anonymousContext('a'), async () => undefined);
    const noted = new AuditRecorder(anonymousContext('b'), async () => undefined);
    noted.note(rule('Patron.name'), 'pat_a' as never, operations, path('name'));
    expect(() => noted.adopt(leader)).toThrow(/before it notes or writes/);
    const wrote = new AuditRecorder(anonymousContext('c'), async () => undefined);
    await wrote.written();
    expect(() => wrote.adopt(leader)).toThrow(/before it notes or writes/);
  });
});
