import { ERRORS } from '../../errors/codes.js';
import type { Duty } from '../vocabulary.js';
import type { DisclosureContext, Role } from './disclosureContext.js';

/** Throws FORBIDDEN unless the caller holds one of `roles` (and, for staff, one of `duties`). */
export function requireRole(
  caller: DisclosureContext,
  roles: readonly Role[],
  duties: readonly Duty[] = [],
): void {
  const allowed = caller.roles.some(
    (role) =>
      roles.includes(role) &&
      (role !== 'staff' || duties.length === 0 || caller.duties.some((d) => duties.includes(d))),
  );
  if (!allowed) throw ERRORS.FORBIDDEN.err('Your role may not perform this operation.');
}

/** True for circulation staff. */
export const isStaffWith = (caller: DisclosureContext, duty: Duty): boolean =>
  caller.roles.includes('staff') && caller.duties.includes(duty);
