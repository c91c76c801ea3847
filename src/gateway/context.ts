import type { DisclosureContext } from '../privacy/context/disclosureContext.js';

/** The gateway's per-request context: the verified caller. */
export interface GatewayContext {
  caller: DisclosureContext;
}
