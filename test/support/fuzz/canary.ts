import type { GraphClient, Sender } from './client.js';
import { Random } from './random.js';
import { PERSONAS } from '../../../src/dev/personas.js';

/** The kinds of canary value the oracle tells apart: what each persona may or may not receive. */
export const CANARY_KINDS = [
  'id',
  'name',
  'cardNumber',
  'email',
  'phone',
  'address',
  'birthDate',
] as const;
/** One kind of canary value. */
export type CanaryKind = (typeof CANARY_KINDS)[number];

/** What the canary patron is registered with: recognizable, and unlike anything the seed makes. */
export interface CanaryProfile {
  tag: string;
  name: string;
  email: string;
  phone: string;
  address: string;
  birthDate: string;
  pin: string;
}

/**
 * The canary: a patron made through the API for this run, with a loan, a hold and an event
 * registration, and a legal order that names it (scope IDENTITY), so the custodian has one
 * persona that may see part of it and others that may not.
 */
export interface Canary {
  profile: CanaryProfile;
  values: Record<CanaryKind, string>;
  patronId: string;
  homeBranchId: string;
  loanId: string;
  itemId: string;
  loanWorkId: string;
  holdId: string;
  holdWorkId: string;
  registrationId: string;
  eventId: string;
  eventBranchId: string;
  /** The reference of the legal order naming the canary. */
  legalOrder: string;
}

/** One string to look for, and the kind of canary value it gives away. */
export interface Needle {
  kind: CanaryKind;
  /** Lower case: searches are case-insensitive. */
  text: string;
}

/** The canary's registration data for a run's seed: the same seed, the same canary. */
export function canaryProfile(seed: number): CanaryProfile {
  const rng = new Random(seed ^ 0x5eed);
  const tag = Array.from({ length: 6 }, () => String.fromCharCode(97 + rng.int(0, 25))).join('');
  const line = String(rng.int(1000, 9999));
  return {
    tag,
    name: `Zephyrine Quoxtl-${tag}`,
    email: `zq.${tag}.lantern@canary.example.net`,
    phone: `(970) 555-${line}`,
    address: `${rng.int(10, 99)} Marmalade Gulch Rd, Golden, CO 80401`,
    // No seeded patron is this old (the seed's oldest are in their nineties).
    birthDate: '1928-02-29',
    pin: String(rng.int(10_000_000, 99_999_999)),
  };
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/**
 * Every string that would give a canary value away, by kind: the values, their distinctive parts
 * (a surname alone, a phone number's digits) and base64url encodings of the id and the name (as
 * an opaque cursor might carry them).
 */
export function needlesOf(canary: Pick<Canary, 'values' | 'profile'>): Needle[] {
  const { values, profile } = canary;
  const digits = values.phone.replace(/\D/g, '');
  const list: [CanaryKind, string][] = [
    ['id', values.id],
    ['id', values.id.replace(/^pat_/, '')],
    ['id', base64url(values.id)],
    ['name', values.name],
    ['name', 'Quoxtl'],
    ['name', 'Zephyrine'],
    ['name', base64url(values.name)],
    ['cardNumber', values.cardNumber],
    ['email', values.email],
    ['email', `zq.${profile.tag}.lantern`],
    ['phone', values.phone],
    ['phone', digits],
    ['phone', `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`],
    ['address', values.address],
    ['address', 'Marmalade Gulch'],
    ['birthDate', values.birthDate],
  ];
  return list
    .filter(([, text]) => text.length >= 6)
    .map(([kind, text]) => ({ kind, text: text.toLowerCase() }));
}

/** The personas that make the canary, as senders. */
const staff: Sender = {
  name: 'circulation-staff',
  claims: PERSONAS['circulation-staff'],
  headers: {},
};
const eventsStaff: Sender = { name: 'events-staff', claims: PERSONAS['events-staff'], headers: {} };
const custodian: Sender = {
  name: 'records-custodian',
  claims: PERSONAS['records-custodian'],
  headers: {},
};
const secondCustodian: Sender = {
  name: 'records-custodian-2',
  claims: PERSONAS['records-custodian-2'],
  headers: {},
};

/**
 * Makes the canary through the API, as the library would: circulation staff register the patron,
 * lend them an available item and place a hold for them on the card they present; events staff
 * register them for an upcoming event with seats; the records custodian registers a legal order
 * naming them, and a second custodian approves it (the two-person rule).
 */
export async function createCanary(client: GraphClient, seed: number): Promise<Canary> {
  const profile = canaryProfile(seed);
  const { branches } = await client.must<{ branches: { id: string }[] }>(
    staff,
    { query: '{ branches { id } }' },
    'branches',
  );
  const homeBranchId = branches[0]!.id;
  const { registerPatron: patron } = await client.must<{
    registerPatron: { id: string; cardNumber: string };
  }>(
    staff,
    {
      query:
        'mutation($input: RegisterPatronInput!) { registerPatron(input: $input) { id cardNumber } }',
      variables: {
        input: {
          name: profile.name,
          email: profile.email,
          phone: profile.phone,
          address: profile.address,
          birthDate: profile.birthDate,
          homeBranchId,
          pin: profile.pin,
        },
      },
    },
    'registerPatron',
  );

  const { works } = await client.must<{
    works: { nodes: { id: string; items: { id: string; availability: string }[] }[] };
  }>(staff, { query: '{ works(first: 60) { nodes { id items { id availability } } } }' }, 'works');
  const lendable = works.nodes.find((w) => w.items.some((i) => i.availability === 'AVAILABLE'));
  if (!lendable) throw new Error('no available item to lend the canary');
  const item = lendable.items.find((i) => i.availability === 'AVAILABLE')!;
  const { checkout } = await client.must<{ checkout: { id: string } }>(
    staff,
    {
      query:
        'mutation($item: ID!, $card: String) { checkout(itemId: $item, cardNumber: $card) { id } }',
      variables: { item: item.id, card: patron.cardNumber },
    },
    'checkout',
  );
  const holdWork = works.nodes.find((w) => w.id !== lendable.id && w.items.length > 0)!;
  const { placeHold } = await client.must<{ placeHold: { id: string } }>(
    staff,
    {
      query:
        'mutation($work: ID!, $branch: ID!, $card: String) { placeHold(workId: $work, pickupBranchId: $branch, cardNumber: $card) { id } }',
      variables: { work: holdWork.id, branch: homeBranchId, card: patron.cardNumber },
    },
    'placeHold',
  );

  const { events } = await client.must<{
    events: { id: string; capacity: number; registrationCount: number; branch: { id: string } }[];
  }>(
    eventsStaff,
    { query: '{ events(first: 50) { id capacity registrationCount branch { id } } }' },
    'events',
  );
  const event = events.find((e) => e.registrationCount < e.capacity);
  if (!event) throw new Error('no upcoming event with a free seat for the canary');
  const { registerForEvent } = await client.must<{ registerForEvent: { id: string } }>(
    eventsStaff,
    {
      query:
        'mutation($event: ID!, $card: String) { registerForEvent(eventId: $event, cardNumber: $card) { id } }',
      variables: { event: event.id, card: patron.cardNumber },
    },
    'registerForEvent',
  );

  const legalOrder = `FUZZ-${profile.tag.toUpperCase()}-${seed >>> 0}`;
  const { registerLegalOrder: order } = await client.must<{ registerLegalOrder: { id: string } }>(
    custodian,
    {
      query:
        'mutation($input: RegisterLegalOrderInput!) { registerLegalOrder(input: $input) { id } }',
      variables: {
        input: {
          reference: legalOrder,
          kind: 'SUBPOENA',
          authority: 'Fuzz County Court',
          patronIds: [patron.id],
          scope: ['IDENTITY'],
          validUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        },
      },
    },
    'registerLegalOrder',
  );
  await client.must(
    secondCustodian,
    {
      query: 'mutation($id: ID!) { approveLegalOrder(orderId: $id) { status } }',
      variables: { id: order.id },
    },
    'approveLegalOrder',
  );

  return {
    profile,
    values: {
      id: patron.id,
      name: profile.name,
      cardNumber: patron.cardNumber,
      email: profile.email,
      phone: profile.phone,
      address: profile.address,
      birthDate: profile.birthDate,
    },
    patronId: patron.id,
    homeBranchId,
    loanId: checkout.id,
    itemId: item.id,
    loanWorkId: lendable.id,
    holdId: placeHold.id,
    holdWorkId: holdWork.id,
    registrationId: registerForEvent.id,
    eventId: event.id,
    eventBranchId: event.branch.id,
    legalOrder,
  };
}
