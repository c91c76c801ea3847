import DataLoader from 'dataloader';
import type { CardDirectory } from '../../src/privacy/context/onBehalf.js';
import type { EnforcedContext } from '../../src/privacy/enforce/enforce.js';
import type { EventRow, EventsStore, RegistrationRow } from './store.js';

/** Events' per-request loaders. */
export interface EventsLoaders {
  event: DataLoader<string, EventRow | null>;
  registrationsOfEvent: DataLoader<string, RegistrationRow[]>;
  registrationsOfPatron: DataLoader<string, RegistrationRow[]>;
  registrationCount: DataLoader<string, number>;
}

/** Builds fresh loaders for one request. */
export function createEventsLoaders(store: EventsStore): EventsLoaders {
  return {
    event: new DataLoader((ids) => store.eventsByIds(ids)),
    registrationsOfEvent: new DataLoader((ids) => store.registrationsOfEvents(ids)),
    registrationsOfPatron: new DataLoader((ids) => store.registrationsOfPatrons(ids)),
    registrationCount: new DataLoader((ids) => store.registrationCounts(ids)),
  };
}

/** Events' request context. */
export interface EventsContext extends EnforcedContext {
  store: EventsStore;
  loaders: EventsLoaders;
  /** Resolves the card a patron presents for on-behalf registration, through circulation. */
  cards: CardDirectory;
}
