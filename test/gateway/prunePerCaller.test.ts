import fs from 'node:fs';
import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE } from '../../src/app/graph.js';
import { rulesFromSupergraph } from '../../src/gateway/prefilter/prefilterPlugin.js';
import { operationPruner, pruneOperation } from '../../src/gateway/prefilter/pruneOperation.js';
import {
  anonymousContext,
  type DisclosureContext,
} from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';

const { schema, rules } = rulesFromSupergraph(fs.readFileSync(SUPERGRAPH_FILE, 'utf8'));

const caller = (fields: Partial<DisclosureContext>): DisclosureContext => ({
  ...anonymousContext('r'),
  ...fields,
});
const callers: [string, DisclosureContext][] = [
  ['anonymous', caller({})],
  [
    'circulation staff',
    caller({ principal: principalId('staff:a'), roles: ['staff'], duties: ['circulation'] }),
  ],
  [
    'events staff',
    caller({ principal: principalId('staff:b'), roles: ['staff'], duties: ['events'] }),
  ],
  [
    'a patron',
    caller({ principal: principalId('patron:a'), roles: ['patron'], patronId: patronId('pat_1') }),
  ],
  ['a patron role without a patron record', caller({ roles: ['patron'] })],
  ['a partner', caller({ principal: principalId('partner:x'), roles: ['partner'] })],
  ['a custodian', caller({ principal: principalId('custodian:r'), roles: ['custodian'] })],
  [
    'a custodian under a legal order',
    caller({ principal: principalId('custodian:r'), roles: ['custodian'], legalOrder: 'ORDER-1' }),
  ],
  ['analytics', caller({ principal: principalId('analytics:a'), roles: ['analytics'] })],
];

describe('the pre-filter remembers a pruning per document and kind of caller', () => {
  const document = parse(`{
    loans(first: 5) { nodes { id dueAt patron { id name email cardNumber birthDate registrations { id } } } }
    events(first: 2) { title registrations { id attendee { name email loans { id } } } }
  }`);

  // Confidential fields behind a named fragment and an inline one, as well as in the operation.
  const withFragments = parse(`fragment Who on Patron { name ... on Patron { email birthDate } }
    { events(first: 2) { registrations { attendee { ...Who } } } me { ...Who cardNumber } }`);

  it.each([
    ['fields in the operation', document],
    ['fields in fragments', withFragments],
  ])(
    'with %s, gives every caller, in any order and again, what pruning for that caller alone gives',
    (_, document) => {
      const prune = operationPruner(schema, rules);
      const order = [...callers, ...[...callers].reverse(), ...callers];
      const dropped = new Set<string>();
      for (const [name, context] of order) {
        const alone = pruneOperation(document, schema, rules, context);
        const remembered = prune(document, context);
        expect({ name, query: print(remembered.document) }).toEqual({
          name,
          query: print(alone.document),
        });
        expect(remembered.signature).toBe(alone.signature);
        expect(remembered.dropped.size).toBe(alone.dropped.size);
        dropped.add(alone.signature);
      }
      // The callers differ in what they may receive: a pruning that served them all would leak.
      expect(dropped.size).toBeGreaterThan(2);
    },
  );

  it("does not carry one caller kind's pruning to another over the same document", () => {
    const prune = operationPruner(schema, rules);
    const staff = callers[1]![1];
    const anonymous = callers[0]![1];
    expect(prune(document, staff).document).toBe(prune(document, staff).document);
    expect(print(prune(document, anonymous).document)).not.toMatch(/name|email|cardNumber/);
    expect(print(prune(document, staff).document)).toMatch(/cardNumber/);
  });
});
