import {
  buildSchema,
  execute,
  parse,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLUnionType,
} from 'graphql';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { REPO_ROOT } from '../../../src/subgraph/service.js';
import { createLogger } from '../../../src/log/logger.js';
import {
  anonymousContext,
  type DisclosureContext,
} from '../../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../../src/privacy/context/ids.js';
import type { SubjectFacts } from '../../../src/privacy/decide/facts.js';
import { enforcePrivacy } from '../../../src/privacy/enforce/enforce.js';
import {
  createPrivacyContext,
  type FactsSource,
} from '../../../src/privacy/enforce/privacyContext.js';

/**
 * Enforcement on a schema of its own: fields reached through an interface and a union, a type-level
 * @confidential, and a facts source that fails. Each ends in the contract's redaction.
 */
const privacySdl = fs.readFileSync(`${REPO_ROOT}schema/privacy.graphql`, 'utf8');
const typeDefs = `${privacySdl}
  interface Person { id: ID! name: String @confidential(category: IDENTITY) @disclosableUnder(exceptions: [SELF, CONSENT]) }
  type Member implements Person {
    id: ID! name: String card: String @confidential(category: IDENTITY) @disclosableUnder(exceptions: [SELF, GUARDIAN])
  }
  type Note @confidential(subject: PARENT_FIELD, subjectField: "memberId", category: CIRCULATION) @disclosableUnder(exceptions: [SELF]) {
    memberId: ID text: String
  }
  type Branch { id: ID! }
  union Thing = Member | Branch
  type Query { people: [Person!]! things: [Thing!]! notes: [Note!]! }
`;
const rows = [
  { __typename: 'Member', id: 'pat_a', name: 'Ada Secret', card: 'C-0001' },
  { __typename: 'Member', id: 'pat_b', name: 'Bo Hidden', card: 'C-0002' },
];
const base = buildSchema(typeDefs);
const query = (base.getQueryType() as GraphQLObjectType).getFields();
query.people!.resolve = () => rows;
query.things!.resolve = () => [...rows, { __typename: 'Branch', id: 'br_1' }];
query.notes!.resolve = () => [
  { memberId: 'pat_a', text: 'late fee' },
  { memberId: 'pat_b', text: 'lost card' },
];
const byTypename = (o: { __typename: string }) => o.__typename;
(base.getType('Person') as GraphQLInterfaceType).resolveType = byTypename;
(base.getType('Thing') as GraphQLUnionType).resolveType = byTypename;
const schema = enforcePrivacy(base);

const self: DisclosureContext = {
  ...anonymousContext('r'),
  principal: principalId('p'),
  roles: ['patron'],
  patronId: patronId('pat_a'),
};
const partner: DisclosureContext = {
  ...anonymousContext('r'),
  principal: principalId('partner:x'),
  roles: ['partner'],
};

async function run(
  caller: DisclosureContext,
  query: string,
  source: FactsSource = { load: async (_c, ids) => ids.map(noFacts) },
  logs?: string[],
) {
  const sink = new Writable({
    write(chunk, _e, done) {
      logs?.push(String(chunk));
      done();
    },
  });
  const privacy = createPrivacyContext({
    caller,
    source,
    now: new Date(),
    pseudonymKey: 'k',
    logger: createLogger('t', 'info', sink),
  });
  const result = await execute({ schema, document: parse(query), contextValue: { privacy } });
  return JSON.parse(JSON.stringify(result)) as {
    data: Record<string, unknown>;
    errors?: { message: string; path: unknown[]; extensions: { code: string } }[];
  };
}
const noFacts = (id: string): SubjectFacts => ({
  patronId: patronId(id),
  exists: true,
  birthDate: '1990-01-01',
  callerIsGuardian: false,
  consents: [],
  legalOrders: [],
});

describe('enforcement reaches every way to a confidential field', () => {
  it('guards an object field through the interface it implements', async () => {
    const res = await run(self, '{ people { id name } }');
    expect(res.data.people).toEqual([
      { id: 'pat_a', name: 'Ada Secret' },
      { id: 'pat_b', name: null },
    ]);
    expect(res.errors?.map((e) => [e.path, e.extensions.code])).toEqual([
      [['people', 1, 'name'], 'PRIVACY_REDACTED'],
    ]);
  });

  it('guards the same field reached through a union', async () => {
    const res = await run(self, '{ things { ... on Member { n: name } ... on Branch { id } } }');
    expect(res.data.things).toEqual([{ n: 'Ada Secret' }, { n: null }, { id: 'br_1' }]);
  });

  it('guards every field of a type-level @confidential', async () => {
    const res = await run(self, '{ notes { memberId text } }');
    expect(res.data.notes).toEqual([
      { memberId: 'pat_a', text: 'late fee' },
      { memberId: null, text: null },
    ]);
    expect(res.errors).toHaveLength(2);
  });

  it('redacts, and logs without personal data, when the facts cannot be read', async () => {
    const logs: string[] = [];
    const broken: FactsSource = {
      load: async () => {
        throw new Error('registers unavailable for pat_a');
      },
    };
    const res = await run(partner, '{ people { name } }', broken, logs);
    expect(res.data.people).toEqual([{ name: null }, { name: null }]);
    expect(
      res.errors?.every(
        (e) =>
          e.extensions.code === 'PRIVACY_REDACTED' &&
          e.message === 'Redacted: confidential patron information',
      ),
    ).toBe(true);
    const logged = logs.join('\n');
    expect(logged).toMatch(/privacy decision failed; redacted/);
    expect(logged).not.toMatch(/Ada Secret|Bo Hidden/);
  });

  it("reads no facts for the caller's own record, and batches them for anyone else's", async () => {
    const asked: string[][] = [];
    const counting: FactsSource = {
      load: async (_c, ids) => (asked.push([...ids]), ids.map(noFacts)),
    };
    const res = await run(self, '{ people { ... on Member { card } } }', counting);
    expect(res.data.people).toEqual([{ card: 'C-0001' }, { card: null }]);
    // SELF holds for pat_a without a register; only pat_b needs one, for GUARDIAN (not a guardian: redacted).
    expect(asked).toEqual([['pat_b']]);
  });

  it('redacts when a facts source answers about someone else', async () => {
    const lying: FactsSource = {
      load: async (_c, ids) =>
        ids.map(() => ({
          ...noFacts('pat_z'),
          consents: [
            {
              grantee: principalId('partner:x'),
              scope: ['IDENTITY'],
              documentRef: 'd',
              validFrom: '2000-01-01T00:00:00Z',
              validUntil: '2999-01-01T00:00:00Z',
              revokedAt: null,
            },
          ],
        })),
    };
    const res = await run(partner, '{ people { name } }', lying);
    expect(res.data.people).toEqual([{ name: null }, { name: null }]);
  });
});
