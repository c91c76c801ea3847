/** The statute's exceptions plus the patron's own access (schema/privacy.graphql). */
export const STATUTORY_EXCEPTIONS = ['SELF', 'OPERATIONS', 'CONSENT', 'LEGAL_PROCESS', 'GUARDIAN'] as const;
/** One exception. */
export type StatutoryException = (typeof STATUTORY_EXCEPTIONS)[number];

/** Kinds of patron data; consents and legal orders are scoped by them. */
export const PATRON_DATA_CATEGORIES = [
  'IDENTITY', 'CONTACT', 'CIRCULATION', 'EVENTS', 'READING_HISTORY', 'DISCLOSURES',
] as const;
/** One category. */
export type PatronDataCategory = (typeof PATRON_DATA_CATEGORIES)[number];

/** How analytics may receive a field instead of a redaction. */
export type Deidentification = 'PSEUDONYM' | 'AGE_BAND' | 'DAY';

/** Where the patron a field identifies is found. */
export type SubjectLocator =
  | { source: 'OBJECT'; field: string }
  | { source: 'PARENT_FIELD'; field: string }
  | { source: 'ARGUMENT'; field: string }
  | { source: 'CALLER' };

/** A confidential field's rule, read from its @confidential and @disclosableUnder directives. */
export interface FieldRule {
  /** `Type.field`, for logs and lint messages. */
  coordinate: string;
  subject: SubjectLocator;
  category: PatronDataCategory;
  deidentify: Deidentification | null;
  /** The exceptions that unlock the field; SELF alone when @disclosableUnder is absent. */
  exceptions: readonly StatutoryException[];
  /** Lower-case duties that unlock OPERATIONS (e.g. `circulation`). */
  duties: readonly string[];
}
