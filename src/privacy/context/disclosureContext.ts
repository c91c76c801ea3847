import { z } from 'zod';
import { DUTIES, type Duty } from '../vocabulary.js';
import { patronId, principalId, type PatronId, type PrincipalId } from './ids.js';

/** Roles a verified caller can hold (CONTRACT.md, "Callers"). */
export const ROLES = ['patron', 'staff', 'partner', 'custodian', 'analytics'] as const;
/** One role. */
export type Role = (typeof ROLES)[number];

/**
 * Everything the policy knows about who is asking, built by the gateway from a verified token and
 * the request's headers, and carried signed to each subgraph. Immutable for a request.
 */
export interface DisclosureContext {
  /** Null for an anonymous caller. */
  principal: PrincipalId | null;
  roles: readonly Role[];
  duties: readonly Duty[];
  /** The caller's own patron record, when the caller is a patron. */
  patronId: PatronId | null;
  /** The legal order a custodian invokes with `X-Legal-Process`. */
  legalOrder: string | null;
  /** The purpose a caller states with `X-Disclosure-Purpose`, kept for the audit. */
  purpose: string | null;
  requestId: string;
  /**
   * An opaque key of the network address the request came from (a keyed HMAC made by the gateway,
   * never the address), so a subgraph can throttle per client (card login) without learning it.
   * Absent where no gateway stood in front (tests, direct calls): then callers share one key.
   */
  clientKey?: string | null;
}

/** The context of a caller with no token: no roles, no exceptions. */
export function anonymousContext(requestId: string): DisclosureContext {
  return {
    principal: null,
    roles: [],
    duties: [],
    patronId: null,
    legalOrder: null,
    purpose: null,
    requestId,
  };
}

const WireSchema = z
  .object({
    principal: z.string().min(1).nullable(),
    roles: z.array(z.enum(ROLES)),
    duties: z.array(z.enum(DUTIES)),
    patronId: z.string().min(1).nullable(),
    legalOrder: z.string().min(1).max(200).nullable(),
    purpose: z.string().max(500).nullable(),
    requestId: z.string().min(1).max(100),
    clientKey: z.string().min(1).max(100).nullable().optional(),
  })
  .strict();

/** Serializes a context for the wire (the gateway signs the result). */
export function encodeContext(context: DisclosureContext): string {
  return Buffer.from(JSON.stringify(context), 'utf8').toString('base64url');
}

/** Parses a context from the wire; throws on anything malformed (callers then refuse the request). */
export function decodeContext(encoded: string): DisclosureContext {
  const raw: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  const parsed = WireSchema.parse(raw);
  return {
    ...parsed,
    principal: parsed.principal === null ? null : principalId(parsed.principal),
    patronId: parsed.patronId === null ? null : patronId(parsed.patronId),
  };
}
