/**
 * A library card number as typed or scanned, normalised once for every lookup (card login and
 * on-behalf actions): whitespace anywhere in it is dropped, so spaces a reader types neither make
 * another card nor another throttling counter.
 */
export function normalizeCardNumber(typed: string): string {
  return typed.replace(/\s+/g, '');
}
