import type { Role } from '../privacy/context/disclosureContext.js';
import type { Duty } from '../privacy/vocabulary.js';

/**
 * The seeded personas of CONTRACT.md: who they are in the token and, for patrons, in the data.
 * The seed creates these records; `npm run token -- <persona>` signs these claims.
 */

/** A persona's name, as CONTRACT.md spells it. */
export type PersonaName =
  | 'anonymous'
  | 'patron'
  | 'minor'
  | 'guardian'
  | 'circulation-staff'
  | 'events-staff'
  | 'partner'
  | 'records-custodian'
  | 'records-custodian-2'
  | 'analytics';

/** The claims a persona's token carries (none for anonymous). */
export interface PersonaClaims {
  sub: string;
  roles: Role[];
  patronId?: string;
  duties?: Duty[];
}

/** A seeded patron behind a persona: fixed so documentation and tests can name them. */
export interface PersonaPatron {
  id: string;
  name: string;
  cardNumber: string;
  pin: string;
  email: string;
  phone: string;
  address: string;
  /** Age in whole years on the day of seeding; birth dates are derived from it. */
  age: number;
  homeBranchId: string;
}

/** The patrons behind the patron, minor and guardian personas. */
export const PERSONA_PATRONS = {
  patron: {
    id: 'pat_4c2e9a71d05b',
    name: 'Avery Quintana',
    cardNumber: '29012000000011',
    pin: '4821',
    email: 'avery.quintana@example.org',
    phone: '303-555-0142',
    address: '1180 Kipling St, Lakewood, CO 80215',
    age: 34,
    homeBranchId: 'br_01',
  },
  minor: {
    id: 'pat_9b73f0e6a218',
    name: 'Milo Okafor-Lindqvist',
    cardNumber: '29012000000029',
    pin: '7395',
    email: 'milo.ol@example.org',
    phone: '303-555-0177',
    address: '8841 W 10th Ave, Lakewood, CO 80215',
    age: 12,
    homeBranchId: 'br_02',
  },
  guardian: {
    id: 'pat_1e8d5c3b7f90',
    name: 'Ingrid Okafor-Lindqvist',
    cardNumber: '29012000000037',
    pin: '2604',
    email: 'ingrid.ol@example.org',
    phone: '303-555-0188',
    address: '8841 W 10th Ave, Lakewood, CO 80215',
    age: 41,
    homeBranchId: 'br_02',
  },
} as const satisfies Record<string, PersonaPatron>;

/** The partner organization the patron persona consented to. */
export const PARTNER_PRINCIPAL = 'partner:front-range-literacy';
/**
 * The legal order seeded for the records-custodian persona; it covers the patron persona. Registered
 * by `records-custodian` and approved by `records-custodian-2` (two-person rule).
 */
export const SEEDED_LEGAL_ORDER = 'JEFFCO-2026-CV-0142';

/** Token claims per persona; anonymous has none. */
export const PERSONAS: Record<Exclude<PersonaName, 'anonymous'>, PersonaClaims> = {
  patron: { sub: 'patron:avery', roles: ['patron'], patronId: PERSONA_PATRONS.patron.id },
  minor: { sub: 'patron:milo', roles: ['patron'], patronId: PERSONA_PATRONS.minor.id },
  guardian: { sub: 'patron:ingrid', roles: ['patron'], patronId: PERSONA_PATRONS.guardian.id },
  'circulation-staff': { sub: 'staff:desk-lakewood', roles: ['staff'], duties: ['circulation'] },
  'events-staff': { sub: 'staff:programs-lakewood', roles: ['staff'], duties: ['events'] },
  partner: { sub: PARTNER_PRINCIPAL, roles: ['partner'] },
  'records-custodian': { sub: 'custodian:records-office', roles: ['custodian'] },
  // The second custodian of the two-person rule: approves the legal orders the first registers.
  'records-custodian-2': { sub: 'custodian:records-office-2', roles: ['custodian'] },
  analytics: { sub: 'analytics:planning', roles: ['analytics'] },
};

/** Every persona name, anonymous first. */
export const PERSONA_NAMES: PersonaName[] = [
  'anonymous',
  ...(Object.keys(PERSONAS) as PersonaName[]),
];
