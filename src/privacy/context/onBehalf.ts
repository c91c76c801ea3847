import { ERRORS } from '../../errors/codes.js';
import type { PatronId } from './ids.js';
import type { Duty } from '../vocabulary.js';
import type { DisclosureContext } from './disclosureContext.js';
import { isStaffWith } from './roles.js';
import { normalizeCardNumber } from './cardNumber.js';

/**
 * Acting on behalf of a patron (checkout, holds, event registration) with the card the patron
 * presents, never a patron id: an id is no proof the patron is at the desk, and answering for
 * any id turned staff into an oracle of names. An unknown card, a malformed one and a card the
 * caller may not act for get this one same answer.
 */
export const ON_BEHALF_REFUSED = 'No patron you may act for holds that card.';

/** Resolves presented cards to their holders, as far as the caller may act for them. */
export interface CardDirectory {
  /** Each card's holder, or null when there is none or the caller may not act for them; in order. */
  cardHolders(caller: DisclosureContext, cards: readonly string[]): Promise<(PatronId | null)[]>;
}

/** Whether a facts source also resolves cards (circulation's, and the remote one over its endpoint). */
export const isCardDirectory = (source: object): source is CardDirectory =>
  typeof (source as Partial<CardDirectory>).cardHolders === 'function';

/** A directory that resolves no card: where none is configured, every on-behalf action is refused. */
export const NO_CARDS: CardDirectory = { cardHolders: async (_, cards) => cards.map(() => null) };

/**
 * Whether a caller may act for the holder of a card they present: staff (any duty; the mutation
 * checks its own duty) for anyone holding a card, a patron for themself only.
 */
export function mayActForHolder(caller: DisclosureContext, holder: PatronId): boolean {
  if (caller.roles.includes('staff') && caller.duties.length > 0) return true;
  return caller.roles.includes('patron') && caller.patronId === holder;
}

/** The longest card number looked up; longer ones are refused like unknown cards. */
const MAX_CARD = 40;

/**
 * The patron an on-behalf operation acts for: staff with `duty` act for the holder of the card
 * presented (required); a patron acts for themself, and a card they present must be their own.
 * Anyone else is FORBIDDEN before any card is looked up. Every refusal of a card is the same
 * BAD_USER_INPUT (ON_BEHALF_REFUSED), after the same one lookup.
 */
export async function actingForCard(
  caller: DisclosureContext,
  cardNumber: string | null | undefined,
  duty: Duty,
  directory: CardDirectory,
): Promise<PatronId> {
  const staff = isStaffWith(caller, duty);
  const patron = !staff && caller.roles.includes('patron') && caller.patronId !== null;
  if (!staff && !patron) throw ERRORS.FORBIDDEN.err('Your role may not perform this operation.');
  const card = normalizeCardNumber(cardNumber ?? '');
  if (card === '') {
    if (staff)
      throw ERRORS.BAD_USER_INPUT.err(
        'cardNumber is required when staff act for a patron: the number on the card the patron presents.',
      );
    return caller.patronId!;
  }
  const [holder] = await directory.cardHolders(caller, [card.length > MAX_CARD ? '' : card]);
  if (!holder || !mayActForHolder(caller, holder))
    throw ERRORS.BAD_USER_INPUT.err(ON_BEHALF_REFUSED);
  return holder;
}
