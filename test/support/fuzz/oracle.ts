import { PERSONAS, SEEDED_LEGAL_ORDER, type PersonaName } from '../../../src/dev/personas.js';
import { CANARY_KINDS, type Canary, type CanaryKind, type Needle } from './canary.js';
import type { Sender } from './client.js';

/**
 * The oracle of the privacy fuzz: which of the canary's values each caller may receive, written
 * from CONTRACT.md's persona table, and the search that finds any other one in a response or a
 * log line. The canary is no persona's own record, no minor, consented to no one, and is named by
 * one legal order, scoped IDENTITY.
 */

/** Every caller the fuzz sends operations as: the personas, the custodian three ways, and the canary. */
export const CALLER_NAMES = [
  'anonymous',
  'patron',
  'minor',
  'guardian',
  'circulation-staff',
  'events-staff',
  'partner',
  'records-custodian',
  'records-custodian+seeded-order',
  'records-custodian+canary-order',
  'records-custodian-2',
  'analytics',
  'canary',
] as const;
/** One caller of the fuzz. */
export type CallerName = (typeof CALLER_NAMES)[number];

const ALL = CANARY_KINDS;

/**
 * What each caller may receive of the canary, and why. Everything else of the canary must never
 * reach them, in data, errors or headers; and no canary value may reach any log line, whoever asks.
 */
export const ALLOWED: Record<CallerName, { kinds: readonly CanaryKind[]; why: string }> = {
  anonymous: { kinds: [], why: 'no patron data at all' },
  patron: { kinds: [], why: 'SELF covers only their own record' },
  minor: { kinds: [], why: 'SELF covers only their own record' },
  guardian: { kinds: [], why: 'GUARDIAN covers only their own minor' },
  'circulation-staff': { kinds: ALL, why: 'OPERATIONS (circulation): contact data, loans, holds' },
  'events-staff': {
    kinds: ['id', 'name'],
    why: "OPERATIONS (events): attendees' names; nothing of circulation",
  },
  partner: { kinds: [], why: 'the canary consented to no one' },
  'records-custodian': {
    kinds: ['id'],
    why: 'OPERATIONS (records): the disclosure audit names the patrons disclosed',
  },
  'records-custodian+seeded-order': {
    kinds: ['id'],
    why: 'the seeded order does not name the canary; the audit as above',
  },
  'records-custodian+canary-order': {
    kinds: ['id', 'name', 'cardNumber', 'birthDate'],
    why: "LEGAL_PROCESS, the order's scope is IDENTITY only",
  },
  'records-custodian-2': {
    kinds: ['id'],
    why: 'the second custodian approved the order but invokes none; the audit as above',
  },
  analytics: { kinds: [], why: 'de-identified data only: pseudonyms, age bands, days' },
  canary: { kinds: ALL, why: 'SELF: their own record' },
};

/** A caller of the fuzz: how it authenticates and what the oracle allows it. */
export interface Caller extends Sender {
  name: CallerName;
  persona: PersonaName | 'canary';
  allowed: readonly CanaryKind[];
}

/** The fuzz's callers against this canary (the legal-order headers and the canary's own token need it). */
export function fuzzCallers(canary: Pick<Canary, 'patronId' | 'legalOrder'>): Caller[] {
  const custodian = PERSONAS['records-custodian'];
  const make = (
    name: CallerName,
    persona: PersonaName | 'canary',
    claims: Sender['claims'],
    headers: Record<string, string> = {},
  ): Caller => ({
    name,
    persona,
    claims,
    headers,
    allowed: ALLOWED[name].kinds,
  });
  return CALLER_NAMES.map((name) => {
    switch (name) {
      case 'anonymous':
        return make(name, 'anonymous', null);
      case 'records-custodian+seeded-order':
        return make(name, 'records-custodian', custodian, {
          'x-legal-process': SEEDED_LEGAL_ORDER,
        });
      case 'records-custodian+canary-order':
        return make(name, 'records-custodian', custodian, { 'x-legal-process': canary.legalOrder });
      case 'canary':
        return make(name, 'canary', {
          sub: 'patron:fuzz-canary',
          roles: ['patron'],
          patronId: canary.patronId,
        });
      default:
        return make(name, name, PERSONAS[name]);
    }
  });
}

/** One canary value found where it must not be. */
export interface Finding {
  kind: CanaryKind;
  /** The needle found (lower case). */
  needle: string;
  /** Some text around it, to read the finding without the whole body. */
  excerpt: string;
}

/**
 * Searches `text` (case-insensitively) for every needle whose kind is not in `allowed`. For a log
 * line pass `allowed = []`: no canary value belongs in a log.
 */
export function findCanary(
  text: string,
  needles: readonly Needle[],
  allowed: readonly CanaryKind[],
): Finding[] {
  const lower = text.toLowerCase();
  const findings: Finding[] = [];
  for (const needle of needles) {
    if (allowed.includes(needle.kind)) continue;
    const at = lower.indexOf(needle.text);
    if (at < 0) continue;
    findings.push({
      kind: needle.kind,
      needle: needle.text,
      excerpt: text.slice(Math.max(0, at - 80), at + needle.text.length + 80),
    });
  }
  return findings;
}

/** Which kinds of the canary's values a text carries at all: the fuzz counts it to show it reached the canary. */
export function canaryKindsIn(text: string, needles: readonly Needle[]): Set<CanaryKind> {
  const lower = text.toLowerCase();
  return new Set(needles.filter((n) => lower.includes(n.text)).map((n) => n.kind));
}
