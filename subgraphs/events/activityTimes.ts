import { activityTime, REGISTRATION_ACTIVITY } from '../../src/privacy/enforce/activityTime.js';
import type { EventsContext } from './context.js';
import type { RegistrationRow } from './store.js';

/**
 * The time of a registration, exact only for a caller with an exception for its patron and to
 * the day for everyone else (src/privacy/enforce/activityTime.ts). Merged over resolvers.ts.
 */
export const activityTimeResolvers = {
  Registration: {
    registeredAt: (r: RegistrationRow, _: unknown, ctx: EventsContext) =>
      activityTime(ctx.privacy, REGISTRATION_ACTIVITY, r.patron_id, r.registered_at),
  },
};
