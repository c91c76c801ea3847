/**
 * The policy's words are written once in TypeScript (src/privacy/vocabulary.ts) and once in the
 * SDL every subgraph imports (schema/privacy.graphql): the two must name the same values, or a
 * rule the lint accepts would stop a service at start, or a value the code handles would be
 * refused by composition.
 */
import fs from 'node:fs';
import {
  Kind,
  parse,
  type DirectiveDefinitionNode,
  type EnumTypeDefinitionNode,
  type TypeNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/subgraph/service.js';
import {
  decodeContext,
  encodeContext,
  anonymousContext,
} from '../../src/privacy/context/disclosureContext.js';
import {
  CUSTODIAN_DUTY,
  DEIDENTIFICATIONS,
  DUTIES,
  PATRON_DATA_CATEGORIES,
  RULE_DUTIES,
  STAFF_DUTIES,
  STATUTORY_EXCEPTIONS,
  SUBJECT_SOURCES,
} from '../../src/privacy/vocabulary.js';

const document = parse(fs.readFileSync(`${REPO_ROOT}schema/privacy.graphql`, 'utf8'));
const enums = new Map(
  document.definitions
    .filter((d): d is EnumTypeDefinitionNode => d.kind === Kind.ENUM_TYPE_DEFINITION)
    .map((d) => [d.name.value, (d.values ?? []).map((v) => v.name.value)]),
);
const directives = document.definitions.filter(
  (d): d is DirectiveDefinitionNode => d.kind === Kind.DIRECTIVE_DEFINITION,
);

const namedType = (type: TypeNode): string =>
  type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);

describe('the privacy vocabulary matches schema/privacy.graphql', () => {
  it.each([
    ['StatutoryException', STATUTORY_EXCEPTIONS],
    ['SubjectSource', SUBJECT_SOURCES],
    ['PatronDataCategory', PATRON_DATA_CATEGORIES],
    ['StaffDuty', STAFF_DUTIES],
    ['Deidentification', DEIDENTIFICATIONS],
  ] as const)('enum %s has exactly the values of the TypeScript list', (name, values) => {
    expect(enums.get(name)).toEqual([...values]);
  });

  it('every enum the directives take as an argument has its list here, and no list names another enum', () => {
    const argumentEnums = new Set(
      directives
        .flatMap((d) => (d.arguments ?? []).map((a) => namedType(a.type)))
        .filter((type) => enums.has(type)),
    );
    expect([...argumentEnums].sort()).toEqual([
      'Deidentification',
      'PatronDataCategory',
      'StaffDuty',
      'StatutoryException',
      'SubjectSource',
    ]);
    expect([...enums.keys()].sort()).toEqual([...argumentEnums].sort());
  });
});

describe('duties', () => {
  it("rules name every SDL duty in lower case; tokens may claim all but the custodian's", () => {
    expect(RULE_DUTIES).toEqual(STAFF_DUTIES.map((d) => d.toLowerCase()));
    expect(RULE_DUTIES).toContain(CUSTODIAN_DUTY);
    expect(DUTIES).toEqual(RULE_DUTIES.filter((d) => d !== CUSTODIAN_DUTY));
  });

  it("a context that claims the custodian's duty is refused on the wire, so no staff caller can unlock the audit", () => {
    const forged = encodeContext({
      ...anonymousContext('r1'),
      roles: ['staff'],
      duties: [CUSTODIAN_DUTY as never],
    });
    expect(() => decodeContext(forged)).toThrow();
    const honest = encodeContext({
      ...anonymousContext('r1'),
      roles: ['staff'],
      duties: [...DUTIES],
    });
    expect(decodeContext(honest).duties).toEqual(DUTIES);
  });
});
