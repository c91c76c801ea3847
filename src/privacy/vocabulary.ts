/**
 * The words of the privacy policy, defined once: the values of the enums of
 * `schema/privacy.graphql` (the directives' arguments), as constant lists with their union types.
 * The rules, the context, the registers and the facts import them from here;
 * `test/privacy/vocabulary.test.ts` checks that each list equals its enum in the SDL.
 */

/** The patron's own access (SELF) and the statute's four exceptions (a)-(d): `StatutoryException`. */
export const STATUTORY_EXCEPTIONS = [
  'SELF',
  'OPERATIONS',
  'CONSENT',
  'LEGAL_PROCESS',
  'GUARDIAN',
] as const;
/** One exception. */
export type StatutoryException = (typeof STATUTORY_EXCEPTIONS)[number];

/** Where the patron a confidential field identifies is found: `SubjectSource`. */
export const SUBJECT_SOURCES = ['OBJECT', 'PARENT_FIELD', 'ARGUMENT', 'CALLER'] as const;
/** One subject source. */
export type SubjectSource = (typeof SUBJECT_SOURCES)[number];

/** Kinds of patron data; consents and legal orders are scoped by them: `PatronDataCategory`. */
export const PATRON_DATA_CATEGORIES = [
  'IDENTITY',
  'CONTACT',
  'CIRCULATION',
  'EVENTS',
  'READING_HISTORY',
  'DISCLOSURES',
] as const;
/** One category. */
export type PatronDataCategory = (typeof PATRON_DATA_CATEGORIES)[number];

/** How analytics may receive a field instead of a redaction: `Deidentification`. */
export const DEIDENTIFICATIONS = ['PSEUDONYM', 'AGE_BAND', 'DAY'] as const;
/** One de-identification. */
export type Deidentification = (typeof DEIDENTIFICATIONS)[number];

/** The duties a field's `@disclosableUnder(duties:)` may name, as the SDL spells them: `StaffDuty`. */
export const STAFF_DUTIES = ['CIRCULATION', 'EVENTS', 'RECORDS'] as const;
/** One duty as the SDL spells it. */
export type StaffDuty = (typeof STAFF_DUTIES)[number];

/** A duty as rules, tokens and contexts spell it (lower case): what unlocks an OPERATIONS field. */
export type RuleDuty = Lowercase<StaffDuty>;
/** The lower-case spelling of an SDL duty. */
export const ruleDuty = (duty: StaffDuty): RuleDuty => duty.toLowerCase() as RuleDuty;
/** Every duty a rule may name. */
export const RULE_DUTIES: readonly RuleDuty[] = STAFF_DUTIES.map(ruleDuty);

/**
 * The records custodian's duty (the registers and the disclosure audit): it comes with the
 * custodian role, never from a token's `duties` claim, so no staff token can unlock the audit.
 */
export const CUSTODIAN_DUTY = 'records' satisfies RuleDuty;
/** A duty staff hold by their token's `duties` claim. */
export type Duty = Exclude<RuleDuty, typeof CUSTODIAN_DUTY>;
/** The duties a token may claim: every rule duty but the custodian's. */
export const DUTIES: readonly Duty[] = RULE_DUTIES.filter((d): d is Duty => d !== CUSTODIAN_DUTY);
