import type { CardDirectory } from '../../src/privacy/context/onBehalf.js';
import type { CardLogin } from './cardLogin.js';
import type { DisclosuresContext } from './disclosures.js';
import type { CirculationLoaders } from './loaders.js';
import type { Registers } from './registers.js';
import type { CirculationStore } from './store.js';

/** Circulation's request context, as service.ts builds it for every request. */
export interface CirculationContext extends DisclosuresContext {
  store: CirculationStore;
  loaders: CirculationLoaders;
  /** Resolves the card a patron presents for on-behalf actions (src/privacy/context/onBehalf.ts). */
  cards: CardDirectory;
  /** The registers of consents, legal orders and guardianships the records custodian writes. */
  registers: Registers;
  /** Card-and-PIN login, throttled per card, PIN and client. */
  cardLogin: CardLogin;
}
