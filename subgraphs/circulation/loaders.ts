import DataLoader from 'dataloader';
import type { CirculationStore, FineRow, HoldRow, LoanRow, PatronRow } from './store.js';

/** Circulation's per-request loaders: one query per hop, whatever the list length. */
export interface CirculationLoaders {
  patron: DataLoader<string, PatronRow | null>;
  loan: DataLoader<number, LoanRow | null>;
  loansOfPatron: DataLoader<string, LoanRow[]>;
  historyOfPatron: DataLoader<string, LoanRow[]>;
  holdsOfPatron: DataLoader<string, HoldRow[]>;
  finesOfPatron: DataLoader<string, FineRow[]>;
  openLoanOfItem: DataLoader<string, LoanRow | null>;
  readyHoldOfItem: DataLoader<string, HoldRow | null>;
  waitingHoldsOfWork: DataLoader<string, number>;
}

/** Builds fresh loaders for one request (DataLoader caches must never outlive a caller). */
export function createCirculationLoaders(store: CirculationStore): CirculationLoaders {
  return {
    patron: new DataLoader((ids) => store.patronsByIds(ids)),
    loan: new DataLoader((ids) => store.loansByIds(ids)),
    loansOfPatron: new DataLoader((ids) => store.loansByPatrons(ids)),
    historyOfPatron: new DataLoader((ids) => store.readingHistories(ids)),
    holdsOfPatron: new DataLoader((ids) => store.holdsByPatrons(ids)),
    finesOfPatron: new DataLoader((ids) => store.finesByPatrons(ids)),
    openLoanOfItem: new DataLoader((ids) => store.openLoansByItems(ids)),
    readyHoldOfItem: new DataLoader((ids) => store.readyHoldsByItems(ids)),
    waitingHoldsOfWork: new DataLoader((ids) => store.waitingHoldCounts(ids)),
  };
}
