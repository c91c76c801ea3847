import type { Deadline } from '../limits/deadline.js';
import type { DisclosureContext } from '../privacy/context/disclosureContext.js';

/** The gateway's per-request context: the verified caller, and when its subgraph fetches give up. */
export interface GatewayContext {
  caller: DisclosureContext;
  deadline?: Deadline;
}
