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
});
