import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, SEEDED_LEGAL_ORDER, type PersonaName } from '../../src/dev/personas.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

/**
 * Random operations over the confidential fields (aliases, inline and named fragments, nested
 * entities across subgraphs, lists, variables) x every persona: no seeded patron's id, name,
 * email, card number or phone appears anywhere in the response (data or errors) unless that
 * persona has an exception for that identifier of that patron. PROPERTY_RUNS sets the count.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);

type Kind = 'id' | 'name' | 'email' | 'cardNumber' | 'phone';
interface Identity {
  id: string;
  name: string;
  email: string | null;
  cardNumber: string;
  phone: string | null;
}

let t: TestGraph;
let patrons: Identity[];
let orderCovers: Set<string>;
let subjects: string[];

beforeAll(async () => {
  t = await startTestGraph();
  const db = t.graph.databases!.circulation.db;
  patrons = (
    await db.selectFrom('patrons').select(['id', 'name', 'email', 'card_number', 'phone']).execute()
  ).map((p) => ({
    id: p.id,
    name: p.name,
    email: p.email,
    cardNumber: p.card_number,
    phone: p.phone,
  }));
  const covered = await db
    .selectFrom('legal_order_patrons')
    .innerJoin('legal_orders', 'legal_orders.id', 'legal_order_patrons.order_id')
    .select('patron_id')
    .where('reference', '=', SEEDED_LEGAL_ORDER)
    .execute();
  orderCovers = new Set(covered.map((c) => c.patron_id));
  subjects = [
    ...Object.values(PERSONA_PATRONS).map((p) => p.id),
    ...orderCovers,
    ...patrons.slice(100, 104).map((p) => p.id),
    'pat_000000000000',
  ];
});
afterAll(async () => t?.stop());

const ALL: Kind[] = ['id', 'name', 'email', 'cardNumber', 'phone'];

/** What each persona may see of each patron: the oracle, written from CONTRACT.md's table. */
function allowed(persona: PersonaName, withOrder: boolean, patron: string): Kind[] {
  const { patron: avery, minor, guardian } = PERSONA_PATRONS;
  switch (persona) {
    case 'patron':
      return patron === avery.id ? ALL : [];
    case 'minor':
      return patron === minor.id ? ALL : [];
    case 'guardian':
      return patron === guardian.id || patron === minor.id ? ALL : [];
    case 'circulation-staff':
      return ALL;
    case 'events-staff':
      return ['id', 'name'];
    case 'partner':
      return patron === avery.id ? ['id', 'name', 'email', 'phone'] : [];
    case 'records-custodian':
    case 'records-custodian-2':
      return withOrder && orderCovers.has(patron) ? ['id', 'name', 'cardNumber'] : [];
    case 'anonymous':
    case 'analytics':
      return [];
  }
}

// ---- operation generator -------------------------------------------------------------------
// An alias is derived from the field's name, so two selections never conflict on a response key.
const alias = fc.option(fc.constantFrom('a', 'who', 'x'), { nil: undefined });
const named = (field: string) =>
  alias.map((a) => (a ? `${a}_${field.split(' ')[0]}: ${field}` : field));

const scalarField = fc
  .constantFrom('id', 'name', 'email', 'cardNumber', 'phone', 'address', 'birthDate', 'pinSet')
  .chain(named);

const patronSelection: fc.Memo<string> = fc.memo((depth: number) => {
  const leaves = fc.array(scalarField, { minLength: 1, maxLength: 5 });
  const nested: fc.Arbitrary<string>[] =
    depth <= 0
      ? []
      : [
          patronSelection(depth - 1).chain((s) => named(`loans { id patron { ${s} } }`)),
          patronSelection(depth - 1).chain((s) => named(`holds { id patron { ${s} } }`)),
          patronSelection(depth - 1).chain((s) => named(`registrations { id attendee { ${s} } }`)),
          named('readingHistory { id }'),
          fc.constant('...PatronIdentity'),
          patronSelection(depth - 1).map((s) => `... on Patron { ${s} }`),
        ];
  return fc
    .tuple(
      leaves,
      fc.array(nested.length ? fc.oneof(...nested) : fc.constant('id'), { maxLength: 2 }),
    )
    .map(([a, b]) => [...a, ...b].join(' '));
});

const root = (index: number) =>
  fc.oneof(
    patronSelection(2).map((s) => ({ text: `r${index}: me { ${s} }`, vars: {} })),
    fc.tuple(fc.nat(), patronSelection(2), fc.boolean()).map(([n, s, viaVariable]) => {
      const id = subjects[n % subjects.length]!;
      return viaVariable
        ? { text: `r${index}: patron(id: $id${index}) { ${s} }`, vars: { [`id${index}`]: id } }
        : { text: `r${index}: patron(id: "${id}") { ${s} }`, vars: {} };
    }),
    patronSelection(1).map((s) => ({
      text: `r${index}: loans(first: 4) { nodes { id patron { ${s} } } }`,
      vars: {},
    })),
    patronSelection(1).map((s) => ({
      text: `r${index}: events(first: 3) { id registrations { id attendee { ${s} } } }`,
      vars: {},
    })),
  );

const operation = fc.array(fc.nat(), { minLength: 1, maxLength: 3 }).chain((slots) =>
  fc.tuple(...slots.map((_, i) => root(i))).map((roots) => {
    const vars = Object.assign({}, ...roots.map((r) => r.vars)) as Record<string, string>;
    const declared = Object.keys(vars)
      .map((v) => `$${v}: ID!`)
      .join(', ');
    const text = roots.map((r) => r.text).join(' ');
    const fragment = text.includes('...PatronIdentity')
      ? '\nfragment PatronIdentity on Patron { id name email cardNumber phone }'
      : '';
    return {
      query: `query Probe${declared ? `(${declared})` : ''} { ${text} }${fragment}`,
      variables: vars,
    };
  }),
);

const persona = fc.constantFrom<PersonaName>(
  'anonymous',
  'patron',
  'minor',
  'guardian',
  'circulation-staff',
  'events-staff',
  'partner',
  'records-custodian',
  'analytics',
);

describe('no identifier leaks, for any operation and any persona', () => {
  it(`holds for ${RUNS} random operations`, async () => {
    await fc.assert(
      fc.asyncProperty(persona, fc.boolean(), operation, async (who, withOrder, op) => {
        const headers = withOrder ? { 'x-legal-process': SEEDED_LEGAL_ORDER } : undefined;
        const res = await t.query(who, op.query, op.variables, headers);
        expect(res.status, JSON.stringify(res.errors)).toBe(200);
        expect(
          res.errors?.filter(
            (e) => !['PRIVACY_REDACTED', 'FORBIDDEN'].includes(e.extensions?.code ?? ''),
          ) ?? [],
          op.query,
        ).toEqual([]);
        const text = JSON.stringify(res);
        for (const p of patrons) {
          const may = allowed(who, withOrder, p.id);
          if (may.length === ALL.length) continue;
          for (const kind of ALL) {
            const value = p[kind];
            // Quoted, so a value is found as a whole JSON string, never as part of another.
            if (value && !may.includes(kind) && text.includes(`"${value}"`)) {
              throw new Error(`${who} received ${kind} of ${p.id} via ${op.query}`);
            }
          }
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.PROPERTY_SEED ?? 20261128) },
    );
  }, 600_000);
});
