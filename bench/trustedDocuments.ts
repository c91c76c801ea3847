/**
 * What a registered operation saves per request: the gateway's work on an operation's text before
 * planning (the limits' analysis, Apollo Server's parse and validation) for each playground example
 * sent as unknown text, against the same example served from a trusted-documents manifest by id
 * (a map lookup, the limits' pinned analysis, the pre-parsed document), and against the text once
 * the run-time caches hold it (which a registered operation never leaves). Prints microseconds per
 * request, median of rounds. `npx tsx bench/trustedDocuments.ts [--rounds 7] [--iterations 2000]`
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { buildASTSchema, parse, specifiedRules, validate } from 'graphql';
import { SUPERGRAPH_FILE } from '../src/app/graph.js';
import { loadConfig } from '../src/config/env.js';
import { OperationChecker } from '../src/limits/operationLimits.js';
import { DocumentResolver } from '../src/gateway/trustedDocuments/documentResolver.js';
import { TrustedDocumentStore } from '../src/gateway/trustedDocuments/documentStore.js';
import { apiSchemaOf, limitsOf } from '../src/gateway/trustedDocuments/setup.js';
import { sha256Hex, TrustedDocuments } from '../src/gateway/trustedDocuments/trustedDocuments.js';
import { COMPARE_EXAMPLE, EXAMPLES } from '../src/playground/examples.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    iterations: { type: 'string', default: '2000' },
  },
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);

const sdl = fs.readFileSync(SUPERGRAPH_FILE, 'utf8');
const apiSchema = apiSchemaOf(sdl);
const limitSchema = buildASTSchema(parse(sdl), { assumeValidSDL: true });
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const bodies = [
  ...new Map(
    [COMPARE_EXAMPLE, ...Object.values(EXAMPLES).flat()].map((e) => [e.query, e]),
  ).values(),
].map((e) => e.query);
const manifest = {
  format: 'apollo-persisted-query-manifest' as const,
  version: 1 as const,
  operations: bodies.map((body) => ({
    id: sha256Hex(body),
    name: /(query|mutation) (\w+)/.exec(body)![2]!,
    type: 'query' as const,
    body,
  })),
};

const pinned = new OperationChecker(limitSchema, config.limits.operation);
const trusted = TrustedDocuments.load(manifest, 'examples', {
  apiSchema,
  introspection: true,
  limits: limitsOf(pinned),
});
const resolver = new DocumentResolver({ ...config.trustedDocuments, mode: 'require' }, trusted);
const store = new TrustedDocumentStore(trusted);
/** What the client sends: computed once, as an app ships its manifest's ids. */
const ids = new Map(manifest.operations.map((o) => [o.body, o.id]));

/** The text path: a fresh checker each time (nothing remembered), then Apollo's parse and validate. */
function sent(body: string): void {
  new OperationChecker(limitSchema, config.limits.operation).check({ query: body, variables: {} });
  const document = parse(body);
  if (validate(apiSchema, document, specifiedRules).length) throw new Error('invalid example');
}

const warmChecker = new OperationChecker(limitSchema, config.limits.operation);
const warmStore = new TrustedDocumentStore(null);

/** The text path once both caches hold the text: the checker's remembered verdict, the document store's LRU. */
async function repeated(body: string): Promise<void> {
  warmChecker.check({ query: body, variables: {} });
  const key = `schema:${sha256Hex(body)}`;
  if (!(await warmStore.get(key))) await warmStore.set(key, parse(body));
}

/** The registered path: id -> body, the pinned limits, and the document store's pre-parsed document. */
async function registered(body: string): Promise<void> {
  const resolved = resolver.resolve({
    extensions: { persistedQuery: { version: 1, sha256Hash: ids.get(body)! } },
  });
  pinned.check({ query: resolved.query, variables: {} });
  if (!(await store.get(`schema:${sha256Hex(resolved.query as string)}`)))
    throw new Error('not pre-parsed');
}

async function time(run: (body: string) => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run(bodies[i % bodies.length]!);
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = { sent: [] as number[], repeated: [] as number[], registered: [] as number[] };
await time(sent);
await time(repeated);
await time(registered);
for (let round = 0; round < rounds; round++) {
  results.sent.push(await time(sent));
  results.repeated.push(await time(repeated));
  results.registered.push(await time(registered));
}
console.log(
  `${bodies.length} playground examples, ${rounds} rounds of ${iterations} requests each (median, microseconds per request)`,
);
console.log(
  `sent as text (limits analysis, parse, validate): ${median(results.sent).toFixed(1)} us`,
);
console.log(
  `sent as text again, both caches warm (remembered verdict, LRU document): ${median(results.repeated).toFixed(1)} us`,
);
console.log(
  `registered, by id (lookup, pinned limits, pre-parsed document): ${median(results.registered).toFixed(1)} us`,
);
