/**
 * What `bench:privacy` and `bench:privacy:instructions` measure: the builds, the scenarios, the
 * issue's targets, and the seeded data and tokens they run with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabases, type PostgresLocations } from '../src/app/databases.js';
import { PERSONA_PATRONS, PERSONAS, type PersonaName } from '../src/dev/personas.js';
import { loadConfig } from '../src/config/env.js';
import { mintToken } from '../src/privacy/authenticate/token.js';
import { seed } from '../src/dev/seed/seed.js';
import type { Command } from 'commander';
import type { Scenario, Variant } from './harness.js';

/**
 * The public response cache would answer (c) from memory after the first request: it is off in
 * every build, so that each request is computed and (c) measures what privacy costs computing it
 * (`bench:cache` measures the cache).
 */
const UNCACHED = { RESPONSE_CACHE: 'off' };

/** The builds: the same graph with parts of privacy switched off. */
export const ALL_VARIANTS: Variant[] = [
  { name: 'full', env: { ...UNCACHED } },
  { name: 'no-guard', env: { ...UNCACHED }, switches: { enforcement: false } },
  { name: 'no-trust', env: { ...UNCACHED }, switches: { prefilter: false, signing: false } },
  { name: 'no-audit', env: { ...UNCACHED }, switches: { audit: false } },
  {
    name: 'bare',
    env: { ...UNCACHED },
    switches: { enforcement: false, prefilter: false, signing: false, audit: false },
  },
];

/**
 * The command line both privacy benchmarks share: adds `--only` and `--builds` (what to run) to
 * `command`'s own options, parses it, and returns those options with the builds and scenarios
 * picked; exits 2 naming an unknown build, as `name`.
 */
export function parseSelection<Options>(command: Command, name: string) {
  const options = command
    .option('--only <letters>', 'run only these scenarios, e.g. "ab"')
    .option(
      '--builds <names>',
      'run only these builds, e.g. "full,no-audit" (ratios need both of their builds)',
    )
    .parse()
    .opts<Options & { only?: string; builds?: string }>();
  return {
    options,
    variants: chooseVariants(name, options.builds),
    scenarios: chooseScenarios(options.only),
  };
}

/** The builds named by `--builds` (all when it is absent); exits 2 on an unknown name. */
function chooseVariants(command: string, builds: string | undefined): Variant[] {
  const names = builds?.split(',').map((b) => b.trim());
  const unknown = names?.find((b) => !ALL_VARIANTS.some((v) => v.name === b));
  if (unknown) {
    console.error(
      `${command}: unknown build "${unknown}"; builds are ${ALL_VARIANTS.map((v) => v.name).join(', ')}`,
    );
    process.exit(2);
  }
  return names ? ALL_VARIANTS.filter((v) => names.includes(v.name)) : ALL_VARIANTS;
}

/** The scenarios, each as one persona. */
export const SCENARIOS: (Scenario & { persona: PersonaName })[] = [
  {
    name: '(a) 1,000 loans with patron fields, circulation-staff',
    persona: 'circulation-staff',
    connections: 4,
    query: '{ loans(first: 1000) { nodes { id dueAt patron { id name email cardNumber } } } }',
  },
  {
    name: "(b) a patron's own record, patron",
    persona: 'patron',
    connections: 8,
    query:
      '{ me { id name email cardNumber loans { id dueAt } holds { id status } fines { amountCents } } }',
  },
  {
    name: '(c) catalog only, anonymous',
    persona: 'anonymous',
    connections: 8,
    query:
      '{ works(first: 20, search: "the") { nodes { id title creators format } totalCount } branches { id name } }',
  },
  {
    name: '(d) anonymous query touching patron fields',
    persona: 'anonymous',
    connections: 8,
    query: `{ patron(id: "${PERSONA_PATRONS.patron.id}") { name loans { id } } events(first: 10) { title registrations { id attendee { name email } } } }`,
  },
];

/** The scenarios picked by `--only` letters (all when it is absent). */
const chooseScenarios = (only: string | undefined) =>
  SCENARIOS.filter((s) => !only || only.includes(s.name[1]!));

/** One of the targets: in `scenario`, build `a` against build `b` must reach `target`. */
export interface Target {
  scenario: string;
  a: string;
  b: string;
  label: string;
  target: number;
  /** When set, a's median latency over b's must also stay at or below this. */
  p50?: number;
}

/** The target for the full build against `b` in scenario `SCENARIOS[index]`. */
const fullAgainst = (b: string, label: string, index: number, target: number): Target => ({
  scenario: SCENARIOS[index]!.name,
  a: 'full',
  b,
  label,
  target,
});

/** The targets, in the order the reports list them. */
export const TARGETS: Target[] = [
  fullAgainst('no-guard', 'enforcement on/off', 0, 0.9),
  fullAgainst('no-guard', 'enforcement on/off', 1, 0.97),
  fullAgainst('no-guard', 'enforcement on/off', 2, 0.97),
  fullAgainst('no-trust', 'signing + pre-filter on/off', 0, 0.97),
  fullAgainst('no-trust', 'signing + pre-filter on/off', 1, 0.97),
  fullAgainst('no-trust', 'signing + pre-filter on/off', 2, 0.97),
  fullAgainst('no-audit', 'audit on/off', 0, 0.95),
  fullAgainst('bare', 'privacy gateway vs bare gateway', 3, 1.0),
  // Issue 19: the staff listing against a plain gateway, in this one-process graph too.
  { ...fullAgainst('bare', 'privacy gateway vs plain gateway', 0, 0.9), p50: 1.15 },
];

/**
 * Seeds the demo library into a fresh directory, for every build to share; with `postgres`, those
 * subgraphs' stores go to PostgreSQL instead (the audit stays in the directory).
 */
export async function seedBenchData(postgres: PostgresLocations = {}): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-privacy-'));
  console.error(
    `seeding demo data into ${Object.keys(postgres).length ? 'PostgreSQL' : dataDir} ...`,
  );
  const dbs = await openDatabases(dataDir, postgres);
  await seed(
    { catalog: dbs.catalog.db, circulation: dbs.circulation.db, events: dbs.events.db },
    { scale: 'demo' },
  );
  for (const db of Object.values(dbs)) await db.close();
  return dataDir;
}

/** A token per scenario persona (none for anonymous), signed with the test configuration's key. */
export async function tokensFor(
  scenarios: readonly (typeof SCENARIOS)[number][],
): Promise<Map<PersonaName, string | null>> {
  const config = loadConfig({ NODE_ENV: 'test' });
  const tokens = new Map<PersonaName, string | null>();
  for (const s of scenarios)
    tokens.set(
      s.persona,
      s.persona === 'anonymous' ? null : await mintToken(PERSONAS[s.persona], config),
    );
  return tokens;
}
