import fs from 'node:fs';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import {
  buildSchema,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLUnionType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, type PersonaName } from '../../src/dev/personas.js';
import type { Config, SubgraphExecutor } from '../../src/config/env.js';
import { ERRORS } from '../../src/errors/codes.js';
import { maskErrors } from '../../src/errors/mask.js';
import { createLogger } from '../../src/log/logger.js';
import {
  type DisclosureContext,
  anonymousContext,
} from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId } from '../../src/privacy/context/ids.js';
import type { SubjectFacts } from '../../src/privacy/decide/facts.js';
import { enforcePrivacy, type EnforcedContext } from '../../src/privacy/enforce/enforce.js';
import { createPrivacyContext } from '../../src/privacy/enforce/privacyContext.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';
import { jitExecutor, jitGateway } from '../../src/subgraph/jitExecutor.js';
import { startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';

/**
 * The compiled executor (SUBGRAPH_EXECUTOR=jit) answers exactly as graphql-js does: the same data,
 * the same redactions and masked errors at the same paths, nulls bubbling alike, and the same
 * disclosures noted for the audit at the same response paths.
 */

const privacySdl = fs.readFileSync(`${REPO_ROOT}schema/privacy.graphql`, 'utf8');
const typeDefs = `${privacySdl}
  interface Person { id: ID! name: String @confidential(category: IDENTITY) @disclosableUnder(exceptions: [SELF, CONSENT]) }
  type Member implements Person { id: ID! name: String }
  type Branch { id: ID! }
  union Thing = Member | Branch
  type Strict { a: String! b: String }
  type Query {
    people: [Person!]!
    things: [Thing!]!
    strict: Strict
    strictList: [Strict!]
    failing: String
    refused: String
    later: [Person!]!
  }
`;
const rows = [
  { __typename: 'Member', id: 'pat_a', name: 'Ada Secret' },
  { __typename: 'Member', id: 'pat_b', name: 'Bo Hidden' },
];
const base = buildSchema(typeDefs);
const query = (base.getQueryType() as GraphQLObjectType).getFields();
query.people!.resolve = () => rows;
query.later!.resolve = async () => rows.map((r) => Promise.resolve(r));
query.things!.resolve = () => [...rows, { __typename: 'Branch', id: 'br_1' }];
query.strict!.resolve = () => ({ a: null, b: 'kept?' });
query.strictList!.resolve = () => [
  { a: 'x', b: 'y' },
  { a: null, b: 'z' },
];
query.failing!.resolve = () => {
  throw new Error('disk on fire at /var/secret');
};
query.refused!.resolve = () => {
  throw ERRORS.BAD_USER_INPUT.err('first must be between 1 and 200.');
};
const byTypename = (o: { __typename: string }) => o.__typename;
(base.getType('Person') as GraphQLInterfaceType).resolveType = byTypename;
(base.getType('Thing') as GraphQLUnionType).resolveType = byTypename;
const schema = enforcePrivacy(base);

const partner: DisclosureContext = {
  ...anonymousContext('r'),
  principal: principalId('partner:x'),
  roles: ['partner'],
};
/** pat_a consented to partner:x reading IDENTITY fields; pat_b did not. */
const facts = (id: string): SubjectFacts => ({
  patronId: patronId(id),
  exists: true,
  birthDate: '1990-01-01',
  callerIsGuardian: false,
  consents:
    id === 'pat_a'
      ? [
          {
            grantee: principalId('partner:x'),
            scope: ['IDENTITY'],
            documentRef: 'consent-1',
            validFrom: '2000-01-01T00:00:00Z',
            validUntil: '2999-01-01T00:00:00Z',
            revokedAt: null,
          },
        ]
      : [],
  legalOrders: [],
});

const logger = createLogger('t', 'silent');
/** As serveSubgraph configures Apollo Server, but for the executor. */
const options = () => ({
  formatError: maskErrors(logger),
  includeStacktraceInErrorResponses: false,
  plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
});
const servers = {
  'graphql-js': new ApolloServer<EnforcedContext>({ schema, ...options() }),
  jit: new ApolloServer<EnforcedContext>({ gateway: jitGateway(schema), ...options() }),
} satisfies Record<SubgraphExecutor, ApolloServer<EnforcedContext>>;

/** One operation on one executor: the response and, from an audit whose write fails, the noted paths. */
async function run(
  executor: SubgraphExecutor,
  source: string,
  variables?: Record<string, unknown>,
) {
  const privacy = createPrivacyContext({
    caller: partner,
    source: { load: async (_c, ids) => ids.map(facts) },
    now: new Date(),
    pseudonymKey: 'k',
    logger,
    audit: async () => {
      throw new Error('audit down');
    },
  });
  const response = await servers[executor].executeOperation(
    { query: source, variables },
    { contextValue: { privacy } },
  );
  const written = await privacy.audit!.written();
  return {
    body: JSON.parse(JSON.stringify(response.body)) as unknown,
    http: response.http.status,
    audited: written.ok ? [] : written.paths,
  };
}

const OPERATIONS: [string, string, Record<string, unknown>?][] = [
  ['disclosed and redacted through an interface', '{ people { id name } }'],
  [
    'through a union, aliased, with __typename',
    '{ things { __typename ... on Member { n: name } ... on Branch { id } } }',
  ],
  ['list items that are promises', '{ later { name ... on Member { id } } }'],
  ['a non-null field bubbling to its object', '{ strict { a b } }'],
  ['a non-null list item bubbling to the list', '{ strictList { a b } people { id } }'],
  ['an internal error, masked', '{ failing people { name } }'],
  ['a registered error, as it is', '{ refused }'],
  [
    'variables and fragments',
    'query Q($skip: Boolean!) { people { ...P } } fragment P on Person { id name @skip(if: $skip) }',
    { skip: false },
  ],
  [
    'a variable of the wrong type',
    'query Q($skip: Boolean!) { people { id name @skip(if: $skip) } }',
    { skip: 'no' },
  ],
  ['two operations, one named', 'query A { people { id } } query B { things { __typename } }'],
];

describe('the compiled executor against graphql-js', () => {
  beforeAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.start()));
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  });

  it.each(OPERATIONS)('answers alike: %s', async (_name, source, variables) => {
    const expected = await run('graphql-js', source, variables);
    const actual = await run('jit', source, variables);
    expect(actual).toEqual(expected);
    // Asked again, the compiled operation is reused and answers the same.
    expect(await run('jit', source, variables)).toEqual(expected);
  });

  it('redacts for the caller without consent and audits the one with it, at the same paths', async () => {
    const { body, audited } = await run(
      'jit',
      '{ people { name } things { ... on Member { n: name } } }',
    );
    expect(body).toMatchObject({
      singleResult: {
        data: {
          people: [{ name: 'Ada Secret' }, { name: null }],
          things: [{ n: 'Ada Secret' }, { n: null }, {}],
        },
      },
    });
    expect(audited).toEqual([
      ['people', 0, 'name'],
      ['things', 0, 'n'],
    ]);
  });

  it('compiles each operation once, queries only, within its bound', async () => {
    const { executor, compiled } = jitExecutor(schema, 2);
    expect(compiled()).toBe(0);
    const jit = new ApolloServer<EnforcedContext>({
      gateway: {
        load: async () => ({ executor }),
        onSchemaLoadOrUpdate: (callback) => (
          callback({ apiSchema: schema, coreSupergraphSdl: '' }),
          () => {}
        ),
        stop: async () => {},
      },
    });
    await jit.start();
    try {
      const privacy = () => ({
        privacy: createPrivacyContext({
          caller: partner,
          source: { load: async (_c, ids) => ids.map(facts) },
          now: new Date(),
          pseudonymKey: 'k',
          logger,
        }),
      });
      for (const q of [
        '{ people { id } }',
        '{ people { id } }',
        '{ things { __typename } }',
        '{ strict { b } }',
      ])
        await jit.executeOperation({ query: q }, { contextValue: privacy() });
      expect(compiled()).toBe(2);
    } finally {
      await jit.stop();
    }
  });
});

/** The whole graph, once per executor (circulation compiled too, to compare its redactions and audit). */
const PAGE = `{
  works(first: 100) { nodes { id title creators isbn year format items { id barcode status branch { id name } } } }
  events(from: "2000-01-01T00:00:00Z", first: 50) { id title description startsAt endsAt capacity branch { id name } }
}`;
const patron = PERSONA_PATRONS.patron.id;
const GRAPH_OPERATIONS: [PersonaName, string, Record<string, unknown>?][] = [
  ['anonymous', PAGE],
  [
    'anonymous',
    '{ branches { id name } works(first: 2) { nodes { __typename ...W } } } fragment W on Work { t: title items { id status } }',
  ],
  ['anonymous', 'query($n: Int) { works(first: $n) { nodes { id } } }', { n: 3 }],
  ['anonymous', '{ works(first: 500) { nodes { id } } }'],
  ['anonymous', '{ works(first: 3, after: "forged") { nodes { id } } }'],
  ['anonymous', '{ events(from: "yesterday") { id } }'],
  ['anonymous', '{ item(id: "it_1", barcode: "x") { id } }'],
  ['anonymous', `{ patron(id: "${patron}") { name email } }`],
  [
    'patron',
    `{ me { id name email readingHistory { id } loans { dueAt item { barcode availability work { title } branch { name } } }
            registrations { event { title branch { name } } } } }`,
  ],
  [
    'circulation-staff',
    `{ loans(first: 30) { nodes { id dueAt patron { id name email cardNumber birthDate readingHistory { id } registrations { id } } item { work { title } } } } }`,
  ],
  [
    'partner',
    `{ patron(id: "${patron}") { name email phone cardNumber loans { id } readingHistory { id } } }`,
  ],
  [
    'records-custodian',
    `{ patron(id: "${patron}") { name loans { id item { work { title } } } } }`,
  ],
];

const everywhere = (executor: SubgraphExecutor) => (config: Config) => ({
  ...config,
  subgraphExecutors: { catalog: executor, circulation: executor, events: executor },
});

describe('the graph with compiled subgraphs against graphql-js', () => {
  const graphs = {} as Record<SubgraphExecutor, TestGraph>;
  beforeAll(async () => {
    graphs['graphql-js'] = await startTestGraph({}, undefined, {}, everywhere('graphql-js'));
    graphs.jit = await startTestGraph({}, undefined, {}, everywhere('jit'));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(Object.values(graphs).map((g) => g?.stop()));
  });

  it('answers every persona alike, and audits the same disclosures', async () => {
    const answers = async (g: TestGraph) => {
      const out: GraphResponse[] = [];
      for (const [i, [persona, source, variables]] of GRAPH_OPERATIONS.entries())
        out.push(await g.query(persona, source, variables, { 'x-request-id': `parity-${i}` }));
      return out;
    };
    const expected = await answers(graphs['graphql-js']);
    const actual = await answers(graphs.jit);
    expect(actual).toEqual(expected);
    // The operations above are not vacuous: data, redactions and refusals among them.
    const all = JSON.stringify(expected);
    expect(all).toMatch(/PRIVACY_REDACTED/);
    expect(all).toMatch(/BAD_USER_INPUT/);
    expect(all).toMatch(/Avery Quintana/);

    const audit = async (g: TestGraph) => {
      const res = await g.query(
        'records-custodian',
        '{ disclosures(first: 500) { nodes { principal exception fields purpose requestId subgraph reference patron { id } } } }',
      );
      const nodes = (res.data!.disclosures as { nodes: { requestId: string }[] }).nodes;
      return nodes.filter((n) => n.requestId.startsWith('parity-'));
    };
    const records = await audit(graphs['graphql-js']);
    expect(records.length).toBeGreaterThan(0);
    expect(await audit(graphs.jit)).toEqual(records);
  }, 120_000);
});
