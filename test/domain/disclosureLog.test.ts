import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/privacy/audit/record.js';
import { patronView, type OrderNotice } from '../../subgraphs/circulation/disclosures.js';

/** A patron's own disclosure log: recipients told as roles, sealed orders held back until the seal ends. */

const record = (overrides: Partial<StoredRecord>): StoredRecord => ({
  at: '2026-06-01T10:00:00.000Z',
  requestId: 'req',
  principal: 'patron:someone-else',
  roles: ['patron'],
  exception: 'GUARDIAN',
  reference: null,
  purpose: 'private reasons of someone else',
  patronId: 'ann',
  fields: ['Patron.name'],
  chain: 'circulation',
  seq: 1,
  prevHash: '0',
  hash: '1',
  ...overrides,
});

const orders = new Map<string, OrderNotice>([
  ['OPEN-1', { kind: 'COURT_ORDER', sealedUntil: null }],
  ['SEALED-1', { kind: 'SUBPOENA', sealedUntil: '2026-07-01T00:00:00.000Z' }],
]);

describe("the patron's own log", () => {
  it.each([
    [record({ exception: 'GUARDIAN' }), 'guardian'],
    [
      record({ exception: 'OPERATIONS', roles: ['staff'], principal: 'staff:desk' }),
      'circulation staff, OPERATIONS',
    ],
    [
      record({ exception: 'OPERATIONS', roles: ['staff'], chain: 'events' }),
      'events staff, OPERATIONS',
    ],
    [record({ exception: 'OPERATIONS', roles: ['custodian'] }), 'records custodian, OPERATIONS'],
    [
      record({ exception: 'CONSENT', roles: ['partner'], reference: 'consent-form-1' }),
      'partner, CONSENT',
    ],
    [
      record({ exception: 'LEGAL_PROCESS', roles: ['custodian'], reference: 'OPEN-1' }),
      'court order OPEN-1',
    ],
  ])('tells the recipient as a role: %#', (given, recipient) => {
    const [shown] = patronView([given], orders, '2026-06-02T00:00:00.000Z');
    expect(shown?.recipient).toBe(recipient);
    expect(JSON.stringify(shown)).not.toContain('someone-else');
    expect(JSON.stringify(shown)).not.toContain('private reasons');
    expect(Object.keys(shown!)).not.toContain('principal');
  });

  it("holds a sealed order's disclosures back until the seal ends, then shows them", () => {
    const sealed = record({
      exception: 'LEGAL_PROCESS',
      roles: ['custodian'],
      reference: 'SEALED-1',
    });
    expect(patronView([sealed], orders, '2026-06-30T23:59:59.999Z')).toEqual([]);
    expect(
      patronView([sealed], orders, '2026-07-01T00:00:00.000Z').map((r) => r.recipient),
    ).toEqual(['subpoena SEALED-1']);
  });

  it('fails closed on an order it cannot find, and leaves out the register acts', () => {
    expect(
      patronView(
        [record({ exception: 'LEGAL_PROCESS', reference: 'GONE-1' })],
        orders,
        '2026-06-02T00:00:00.000Z',
      ),
    ).toEqual([]);
    expect(
      patronView(
        [
          record({
            chain: 'registers',
            exception: 'LEGAL_PROCESS',
            reference: 'OPEN-1',
            fields: ['LegalOrder.registered'],
          }),
        ],
        orders,
        '2026-06-02T00:00:00.000Z',
      ),
    ).toEqual([]);
  });

  it("while an order naming the patron is sealed, hides the custodian's reads since its registration, whatever their exception", () => {
    const since = '2026-06-01T09:00:00.000Z';
    const before = record({
      at: '2026-05-01T00:00:00.000Z',
      exception: 'OPERATIONS',
      roles: ['custodian'],
      seq: 1,
    });
    const reviewing = record({
      exception: 'OPERATIONS',
      roles: ['custodian'],
      fields: ['DisclosureRecord.at', 'Query.disclosures'],
      seq: 2,
    });
    const underOrder = record({
      exception: 'OPERATIONS',
      roles: ['custodian'],
      reference: 'SEALED-1',
      seq: 3,
    });
    const staff = record({ exception: 'OPERATIONS', roles: ['staff'], seq: 4 });
    const log = [underOrder, reviewing, staff, before];
    expect(patronView(log, orders, '2026-06-02T00:00:00.000Z', since).map((r) => r.seq)).toEqual([
      4, 1,
    ]);
    expect(patronView(log, orders, '2026-07-01T00:00:00.000Z', null).map((r) => r.seq)).toEqual([
      3, 2, 4, 1,
    ]);
  });
});
