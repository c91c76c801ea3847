import type { PatronId, PrincipalId } from '../context/ids.js';
import type { PatronDataCategory } from '../vocabulary.js';

/** A consent from the subject to one grantee, as the register holds it. */
export interface ConsentFact {
  grantee: PrincipalId;
  scope: readonly PatronDataCategory[];
  documentRef: string;
  validFrom: string;
  validUntil: string;
  revokedAt: string | null;
}

/** A legal order that names the subject, as the register holds it. */
export interface LegalOrderFact {
  reference: string;
  scope: readonly PatronDataCategory[];
  validFrom: string;
  validUntil: string;
}

/**
 * What the policy may need to know about one data subject, relative to one caller: loaded in a
 * batch per request from circulation's registers. `exists: false` carries no other facts.
 */
export interface SubjectFacts {
  patronId: PatronId;
  exists: boolean;
  /** 'YYYY-MM-DD'; null when unknown, which fails GUARDIAN closed. */
  birthDate: string | null;
  /** Whether the caller (a patron) is a registered guardian of the subject. */
  callerIsGuardian: boolean;
  /** Consents from the subject to the caller's principal (any state; the policy judges). */
  consents: readonly ConsentFact[];
  /** The caller's invoked legal order, when it covers the subject. */
  legalOrders: readonly LegalOrderFact[];
}
