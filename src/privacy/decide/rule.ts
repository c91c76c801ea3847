import type {
  Deidentification,
  PatronDataCategory,
  RuleDuty,
  StatutoryException,
  SubjectSource,
} from '../vocabulary.js';

/** Where the patron a field identifies is found. */
export type SubjectLocator =
  | { source: Exclude<SubjectSource, 'CALLER'>; field: string }
  | { source: Extract<SubjectSource, 'CALLER'> };

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
  duties: readonly RuleDuty[];
}
