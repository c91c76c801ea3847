import type { PatronRow } from './store.js';

/**
 * A patron as circulation's resolvers receive it: its row, or only its id when the id is unknown
 * (`Patron.__resolveReference` answers a stub, so an unknown patron is redacted like a hidden one).
 */
export type PatronParent = Partial<PatronRow> & Pick<PatronRow, 'id'>;

/** An entity another subgraph owns (an item, a work), as its reference names it: its id alone. */
export interface EntityReference {
  __typename?: string;
  id: string;
}
