/**
 * The privacy lint of `npm run compose`, one failure case per test: each case copies the repo's
 * schema inputs (rover.yaml, the three subgraph SDLs, schema/privacy.graphql and
 * schema/confidential-fields.yaml) into a temporary directory, changes one thing, composes with
 * `write: false` and expects an error naming the subgraph, the `Type.field` and the problem.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { Kind, parse, type DocumentNode, type FieldDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  composeSupergraph,
  defaultPaths,
  readConfidentialList,
  type ComposePaths,
  type ComposeResult,
} from '../../src/compose/compose.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SUBGRAPHS = ['catalog', 'circulation', 'events'] as const;
type SubgraphName = (typeof SUBGRAPHS)[number];

interface Inputs {
  rover: string;
  privacy: string;
  confidentialList: string;
  sdl: Record<SubgraphName, string>;
}

/** The repo's schema inputs, read once so that concurrent edits cannot change them mid-suite. */
let original: Inputs;
let tmpRoot: string;

beforeAll(() => {
  const read = (p: string) => fs.readFileSync(path.join(REPO, p), 'utf8');
  original = {
    rover: read('rover.yaml'),
    privacy: read('schema/privacy.graphql'),
    confidentialList: read('schema/confidential-fields.yaml'),
    sdl: {
      catalog: read('subgraphs/catalog/schema.graphql'),
      circulation: read('subgraphs/circulation/schema.graphql'),
      events: read('subgraphs/events/schema.graphql'),
    },
  };
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-lint-'));
});

afterAll(() => {
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
});

/** Replaces exactly one occurrence of `from`; throws when it is missing, so a case never passes vacuously. */
function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`mutation target not found: ${JSON.stringify(from.slice(0, 120))}`);
  if (text.indexOf(from, at + from.length) >= 0)
    throw new Error(`mutation target is ambiguous: ${JSON.stringify(from.slice(0, 120))}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

interface Mutation {
  sdl?: Partial<Record<SubgraphName, (sdl: string) => string>>;
  privacy?: (sdl: string) => string;
  /** Edits the parsed rover.yaml after its schema.file paths point into the copy. */
  rover?: (config: RoverConfig) => void;
}

interface RoverConfig {
  federation_version: string;
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

/** Writes a mutated copy of the inputs and returns its paths and the subgraph SDL as written. */
function copyRepo(mutation: Mutation = {}): {
  paths: ComposePaths;
  dir: string;
  sdl: Record<SubgraphName, string>;
  files: Record<SubgraphName, string>;
} {
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'case-'));
  fs.mkdirSync(path.join(dir, 'schema'));
  const sdl = { ...original.sdl };
  const files = {} as Record<SubgraphName, string>;
  for (const name of SUBGRAPHS) {
    sdl[name] = mutation.sdl?.[name]?.(original.sdl[name]) ?? original.sdl[name];
    files[name] = path.join(dir, 'subgraphs', name, 'schema.graphql');
    fs.mkdirSync(path.dirname(files[name]), { recursive: true });
    fs.writeFileSync(files[name], sdl[name]);
  }
  const rover = parseYaml(original.rover) as RoverConfig;
  for (const [name, entry] of Object.entries(rover.subgraphs)) {
    entry.schema.file = files[name as SubgraphName];
  }
  mutation.rover?.(rover);
  const paths: ComposePaths = {
    rover: path.join(dir, 'rover.yaml'),
    privacy: path.join(dir, 'schema/privacy.graphql'),
    confidentialList: path.join(dir, 'schema/confidential-fields.yaml'),
    supergraph: path.join(dir, 'schema/supergraph.graphql'),
  };
  fs.writeFileSync(paths.rover, stringifyYaml(rover));
  fs.writeFileSync(paths.privacy, mutation.privacy?.(original.privacy) ?? original.privacy);
  fs.writeFileSync(paths.confidentialList, original.confidentialList);
  return { paths, dir, sdl, files };
}

const composeCopy = (mutation: Mutation): ComposeResult =>
  composeSupergraph(copyRepo(mutation).paths, { write: false });

/** Asserts composition failed with an error that names all of `parts`. */
function expectError(result: ComposeResult, ...parts: string[]): void {
  const hit = result.errors.find((e) => parts.every((p) => e.includes(p)));
  expect(
    hit,
    `no error names ${parts.map((p) => JSON.stringify(p)).join(' + ')}; errors were:\n${result.errors.join('\n')}`,
  ).toBeDefined();
  expect(result.supergraphSdl).toBeNull();
}

/** The directives on `Type.field` in an SDL document (definitions and extensions). */
function fieldDirectives(doc: DocumentNode, typeName: string, fieldName: string): string[] | null {
  for (const def of doc.definitions) {
    if (
      (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION) &&
      def.name.value === typeName
    ) {
      const field = (def.fields ?? []).find((f: FieldDefinitionNode) => f.name.value === fieldName);
      if (field) return (field.directives ?? []).map((d) => d.name.value);
    }
  }
  return null;
}

// Fields of subgraphs/circulation/schema.graphql that the cases edit.
const PATRON_NAME = 'name: String\n    @confidential(category: IDENTITY)';
const LOAN_PATRON =
  '  patron: Patron\n' +
  '    @confidential(subject: PARENT_FIELD, subjectField: "patronId", category: CIRCULATION)\n' +
  '    @disclosableUnder(exceptions: [SELF, OPERATIONS, CONSENT, LEGAL_PROCESS, GUARDIAN], duties: [CIRCULATION])\n' +
  '  branch: Branch!';
const READING_HISTORY =
  '@confidential(category: READING_HISTORY)\n    @disclosableUnder(exceptions: [SELF, LEGAL_PROCESS])';
const PIN_SET = '@disclosableUnder(exceptions: [SELF, OPERATIONS], duties: [CIRCULATION])';
const COMPOSE_CONFIDENTIAL = '  @composeDirective(name: "@confidential")\n';
/** The copy of StatutoryException inside a subgraph's privacy block. */
const EXCEPTION_ENUM =
  'enum StatutoryException {\n  SELF\n  OPERATIONS\n  CONSENT\n  LEGAL_PROCESS\n  GUARDIAN\n}';

describe('1. baseline: the repository as it is', () => {
  it('composes with zero errors and keeps @confidential and @disclosableUnder in the supergraph', () => {
    const result = composeSupergraph(defaultPaths(REPO), { write: false });
    expect(result.errors).toEqual([]);
    expect(result.synced).toEqual([]);
    expect(result.supergraphSdl).toContain('@confidential(');
    expect(result.supergraphSdl).toContain('@disclosableUnder(');
  });

  it('keeps @confidential on every Type.field of schema/confidential-fields.yaml in the supergraph', () => {
    const result = composeSupergraph(defaultPaths(REPO), { write: false });
    const supergraph = parse(result.supergraphSdl!);
    const list = readConfidentialList(path.join(REPO, 'schema/confidential-fields.yaml'));
    const coordinates = Object.values(list)
      .flat()
      .filter((c) => !c.endsWith('.*'));
    expect(coordinates.length).toBeGreaterThan(0);
    for (const coordinate of coordinates) {
      const [typeName, fieldName] = coordinate.split('.') as [string, string];
      expect(fieldDirectives(supergraph, typeName, fieldName), coordinate).toContain(
        'confidential',
      );
    }
  });

  it('keeps @confidential on every field of a `Type.*` entry but its key', () => {
    const result = composeSupergraph(defaultPaths(REPO), { write: false });
    const supergraph = parse(result.supergraphSdl!);
    const patron = supergraph.definitions.find(
      (d) => 'name' in d && d.name?.value === 'Patron' && 'fields' in d,
    );
    const fields = (patron as unknown as { fields: { name: { value: string } }[] }).fields
      .map((f) => f.name.value)
      .filter((f) => f !== 'id');
    expect(fields.length).toBeGreaterThan(10);
    for (const field of fields)
      expect(fieldDirectives(supergraph, 'Patron', field), field).toContain('confidential');
  });

  it('a verbatim copy in a temporary directory composes too (the harness itself changes nothing)', () => {
    const result = composeCopy({});
    expect(result.errors).toEqual([]);
    expect(result.synced).toEqual([]);
  });
});

describe('2. ComposedDirectivesRule: a subgraph uses @confidential without @composeDirective', () => {
  const mutation: Mutation = {
    sdl: { circulation: (s) => replaceOnce(s, COMPOSE_CONFIDENTIAL, '') },
  };

  it('is a lint error naming circulation, the first confidential field and the problem', () => {
    expectError(
      composeCopy(mutation),
      'circulation Query.patron:',
      'uses @confidential without @composeDirective(name: "@confidential"), so composition would drop it',
      '[ComposedDirectivesRule]',
    );
  });

  it("is needed: plain composeServices drops @confidential from circulation's fields without a word", () => {
    const { sdl } = copyRepo(mutation);
    const result = composeServices(
      SUBGRAPHS.map((name) => ({
        name,
        url: `http://localhost/${name}`,
        typeDefs: parse(sdl[name]),
      })),
    );
    expect(result.errors).toBeUndefined();
    const supergraph = parse(result.supergraphSdl!);
    // The supergraph still says who may see Loan.patron, but no longer that it is confidential.
    expect(fieldDirectives(supergraph, 'Loan', 'patron')).toContain('disclosableUnder');
    expect(fieldDirectives(supergraph, 'Loan', 'patron')).not.toContain('confidential');
    expect(fieldDirectives(supergraph, 'Patron', 'name')).not.toContain('confidential');
    // ... while events, which still composes it, keeps it.
    expect(fieldDirectives(supergraph, 'Registration', 'attendee')).toContain('confidential');
  });

  it('without importing @confidential through @link is an error naming events', () => {
    const result = composeCopy({
      sdl: {
        events: (s) =>
          replaceOnce(
            s,
            'import: ["@confidential", "@disclosableUnder"]',
            'import: ["@disclosableUnder"]',
          ),
      },
    });
    expectError(
      result,
      'events Registration.attendee:',
      'uses @confidential without importing it through @link',
      '[ComposedDirectivesRule]',
    );
  });
});

describe("3. MatchingDefinitionsRule: one subgraph's copy of the definitions differs", () => {
  it("catalog's StatutoryException lacks CONSENT -> names catalog and StatutoryException", () => {
    expectError(
      composeCopy({
        sdl: {
          catalog: (s) => replaceOnce(s, EXCEPTION_ENUM, EXCEPTION_ENUM.replace('  CONSENT\n', '')),
        },
      }),
      'catalog StatutoryException:',
      'defines StatutoryException differently from schema/privacy.graphql',
      '[MatchingDefinitionsRule]',
    );
  });

  it('events\' @confidential defaults subjectField to "patronId" -> names events and @confidential', () => {
    expectError(
      composeCopy({
        sdl: {
          events: (s) =>
            replaceOnce(s, 'subjectField: String = "id"', 'subjectField: String = "patronId"'),
        },
      }),
      'events @confidential:',
      'defines @confidential differently from schema/privacy.graphql',
      '[MatchingDefinitionsRule]',
    );
  });

  it("circulation's @disclosableUnder drops the duties default -> names circulation and @disclosableUnder", () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) => replaceOnce(s, 'duties: [StaffDuty!]! = []', 'duties: [StaffDuty!]'),
        },
      }),
      'circulation @disclosableUnder:',
      'defines @disclosableUnder differently',
      '[MatchingDefinitionsRule]',
    );
  });

  it("circulation's StatutoryException lacks CONSENT while its fields use it -> an error naming circulation", () => {
    const result = composeCopy({
      sdl: {
        circulation: (s) =>
          replaceOnce(s, EXCEPTION_ENUM, EXCEPTION_ENUM.replace('  CONSENT\n', '')),
      },
    });
    expect(result.supergraphSdl).toBeNull();
    expect(
      result.errors.some((e) => e.startsWith('circulation') && e.includes('StatutoryException')),
      result.errors.join('\n'),
    ).toBe(true);
  });
});

describe('4. NullableConfidentialRule: a confidential field made non-null', () => {
  it('Patron.name: String! in circulation', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) =>
            replaceOnce(s, PATRON_NAME, PATRON_NAME.replace('name: String', 'name: String!')),
        },
      }),
      'circulation Patron.name:',
      'is @confidential but non-null',
      '[NullableConfidentialRule]',
    );
  });

  it('Registration.attendee: Patron! in events', () => {
    expectError(
      composeCopy({
        sdl: { events: (s) => replaceOnce(s, '  attendee: Patron\n', '  attendee: Patron!\n') },
      }),
      'events Registration.attendee:',
      'is @confidential but non-null',
      '[NullableConfidentialRule]',
    );
  });
});

describe('5. ConfidentialListRule: a listed field loses @confidential', () => {
  it('Loan.patron without its privacy directives in circulation', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) => replaceOnce(s, LOAN_PATRON, '  patron: Patron\n  branch: Branch!'),
        },
      }),
      'circulation Loan.patron:',
      'is on schema/confidential-fields.yaml but lacks @confidential',
      '[ConfidentialListRule]',
    );
  });

  it('a listed field removed from its subgraph (Patron.pinSet)', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) =>
            replaceOnce(
              s,
              `  pinSet: Boolean\n    @confidential(category: IDENTITY)\n    ${PIN_SET}\n`,
              '',
            ),
        },
      }),
      'circulation Patron.pinSet:',
      'is on schema/confidential-fields.yaml but not in this subgraph',
      '[ConfidentialListRule]',
    );
  });

  // The list is keyed by subgraph name: renaming a subgraph in rover.yaml must not silently drop
  // its entries. Here circulation is renamed `lending` and Loan.patron loses @confidential.
  it('still applies when the subgraph is renamed in rover.yaml (a list entry that matches no subgraph is an error)', () => {
    const result = composeCopy({
      sdl: {
        circulation: (s) => replaceOnce(s, LOAN_PATRON, '  patron: Patron\n  branch: Branch!'),
      },
      rover: (config) => {
        config.subgraphs.lending = config.subgraphs.circulation!;
        delete config.subgraphs.circulation;
      },
    });
    expect(
      result.errors.length,
      'a schema whose Loan.patron lacks @confidential composed with no error',
    ).toBeGreaterThan(0);
    expect(result.supergraphSdl).toBeNull();
  });
});

describe('5b. ConfidentialListRule: every field of Patron but id, in every subgraph', () => {
  it('refuses a new Patron field added without @confidential, naming the subgraph and field', () => {
    const result = composeCopy({
      sdl: {
        events: (s) =>
          replaceOnce(
            s,
            'type Patron @key(fields: "id") {\n  id: ID!',
            'type Patron @key(fields: "id") {\n  id: ID!\n  favoriteEvent: Event',
          ),
      },
    });
    expectError(
      result,
      'events Patron.favoriteEvent:',
      'every field of Patron but id',
      'ConfidentialListRule',
    );
  });
});

describe('6. DisclosableAloneRule: @disclosableUnder without @confidential', () => {
  it('on a non-confidential field (Loan.dueAt)', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) =>
            replaceOnce(
              s,
              '  dueAt: DateTime!\n  returnedAt',
              '  dueAt: DateTime! @disclosableUnder(exceptions: [SELF])\n  returnedAt',
            ),
        },
      }),
      'circulation Loan.dueAt:',
      'has @disclosableUnder without @confidential',
      '[DisclosableAloneRule]',
    );
  });

  it('left behind when @confidential is removed (Hold.patron)', () => {
    const result = composeCopy({
      sdl: {
        circulation: (s) =>
          replaceOnce(
            s,
            '  work: Work!\n  patron: Patron\n    @confidential(subject: PARENT_FIELD, subjectField: "patronId", category: CIRCULATION)\n',
            '  work: Work!\n  patron: Patron\n',
          ),
      },
    });
    expectError(
      result,
      'circulation Hold.patron:',
      'has @disclosableUnder without @confidential',
      '[DisclosableAloneRule]',
    );
    expectError(
      result,
      'circulation Hold.patron:',
      'lacks @confidential',
      '[ConfidentialListRule]',
    );
  });

  // @disclosableUnder is allowed on types too: alone there it is refused just the same.
  it('on a type (type Fine @disclosableUnder(...) with no @confidential)', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) =>
            replaceOnce(s, 'type Fine {', 'type Fine @disclosableUnder(exceptions: [SELF]) {'),
        },
      }),
      'circulation Fine',
      '@disclosableUnder without @confidential',
    );
  });
});

describe('7. an unknown value in a privacy directive is an error, never a pass', () => {
  it('@disclosableUnder(exceptions: [SELF, FRIENDS]) on Patron.readingHistory', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) =>
            replaceOnce(
              s,
              READING_HISTORY,
              READING_HISTORY.replace('[SELF, LEGAL_PROCESS]', '[SELF, FRIENDS]'),
            ),
        },
      }),
      'circulation',
      'Patron.readingHistory',
      'exceptions',
    );
  });

  it('@disclosableUnder(duties: [CIRCULATION, JANITORIAL]) on Patron.pinSet', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) =>
            replaceOnce(s, PIN_SET, PIN_SET.replace('[CIRCULATION]', '[CIRCULATION, JANITORIAL]')),
        },
      }),
      'circulation',
      'Patron.pinSet',
      'duties',
    );
  });

  it('@confidential(category: SECRETS) on Registration.attendee', () => {
    expectError(
      composeCopy({
        sdl: {
          events: (s) =>
            replaceOnce(
              s,
              'subjectField: "patronId", category: EVENTS)',
              'subjectField: "patronId", category: SECRETS)',
            ),
        },
      }),
      'events',
      'Registration.attendee',
      'category',
    );
  });
});

describe('8. RuleArgumentsRule: a rule that cannot be used', () => {
  it('OPERATIONS without duties on Patron.pinSet', () => {
    expectError(
      composeCopy({
        sdl: {
          circulation: (s) =>
            replaceOnce(s, PIN_SET, '@disclosableUnder(exceptions: [SELF, OPERATIONS])'),
        },
      }),
      'circulation Patron.pinSet:',
      'OPERATIONS needs the duties that unlock it',
      '[RuleArgumentsRule]',
    );
  });

  it('OPERATIONS with an empty duties list on Registration.attendee', () => {
    expectError(
      composeCopy({
        sdl: {
          events: (s) =>
            replaceOnce(
              s,
              'subjectField: "patronId", category: EVENTS)\n    @disclosableUnder(exceptions: [SELF, OPERATIONS, CONSENT, LEGAL_PROCESS, GUARDIAN], duties: [EVENTS])',
              'subjectField: "patronId", category: EVENTS)\n    @disclosableUnder(exceptions: [SELF, OPERATIONS, CONSENT, LEGAL_PROCESS, GUARDIAN], duties: [])',
            ),
        },
      }),
      'events Registration.attendee:',
      'OPERATIONS needs the duties that unlock it',
      '[RuleArgumentsRule]',
    );
  });
});

describe('9. compose --check: a stale privacy block', () => {
  it('with write: false a subgraph whose block is stale is reported in synced, and nothing is written', () => {
    const copy = copyRepo({
      sdl: {
        circulation: (s) =>
          replaceOnce(s, '# Legal ground: C.R.S.', '# Legal ground (an old copy): C.R.S.'),
      },
    });
    const before = fs.readFileSync(copy.files.circulation, 'utf8');
    const result = composeSupergraph(copy.paths, { write: false });
    expect(result.synced).toEqual([copy.files.circulation]);
    expect(fs.readFileSync(copy.files.circulation, 'utf8')).toBe(before);
    expect(fs.existsSync(copy.paths.supergraph)).toBe(false);
  });

  it('an edit of schema/privacy.graphql makes every subgraph stale; write: true refreshes them', () => {
    const copy = copyRepo({
      privacy: (s) => `${s.trimEnd()}\n# reviewed by the records custodian\n`,
    });
    expect(composeSupergraph(copy.paths, { write: false }).synced.sort()).toEqual(
      Object.values(copy.files).sort(),
    );
    const written = composeSupergraph(copy.paths, { write: true });
    expect(written.errors).toEqual([]);
    expect(written.synced.sort()).toEqual(Object.values(copy.files).sort());
    for (const file of Object.values(copy.files))
      expect(fs.readFileSync(file, 'utf8')).toContain('# reviewed by the records custodian');
    expect(composeSupergraph(copy.paths, { write: false }).synced).toEqual([]);
  });

  const cli = (args: string[]) =>
    execFileSync('npx', ['tsx', 'src/cli/compose.ts', ...args], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const cliFailure = (args: string[]): { status: number | null; stderr: string } => {
    try {
      cli(args);
    } catch (error) {
      const e = error as { status: number | null; stderr: string };
      return { status: e.status, stderr: String(e.stderr) };
    }
    throw new Error(`compose ${args.join(' ')} exited 0`);
  };

  it('the real CLI: --check exits 0 on the repository', () => {
    expect(cli(['--check'])).toContain('up to date');
  }, 30_000);

  it('the real CLI: --check --out <a file with different content> exits 1 saying stale', () => {
    const out = path.join(fs.mkdtempSync(path.join(tmpRoot, 'cli-')), 'supergraph.graphql');
    fs.writeFileSync(out, 'schema { query: Query }\n');
    const { status, stderr } = cliFailure(['--check', '--out', out]);
    expect(status).toBe(1);
    expect(stderr).toContain('stale');
    expect(fs.readFileSync(out, 'utf8')).toBe('schema { query: Query }\n');
  }, 30_000);

  it('the real CLI: --check --config <a copy with a non-null confidential field> exits 1 naming it', () => {
    const copy = copyRepo({
      sdl: {
        circulation: (s) =>
          replaceOnce(s, PATRON_NAME, PATRON_NAME.replace('name: String', 'name: String!')),
      },
    });
    const { status, stderr } = cliFailure([
      '--check',
      '--config',
      copy.paths.rover,
      '--out',
      copy.paths.supergraph,
    ]);
    expect(status).toBe(1);
    expect(stderr).toContain('circulation Patron.name: is @confidential but non-null');
    expect(fs.existsSync(copy.paths.supergraph)).toBe(false);
  }, 30_000);
});
