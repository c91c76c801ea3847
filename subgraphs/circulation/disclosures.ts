import DataLoader from 'dataloader';
import type { AuditCursor, AuditStore } from '../../src/privacy/audit/auditStore.js';
import type { StoredRecord } from '../../src/privacy/audit/record.js';
import { graphError } from '../../src/errors/codes.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import type { EnforcedContext } from '../../src/privacy/redact/enforce.js';

/** The most records `Patron.disclosures` returns. */
const PATRON_VIEW_LIMIT = 200;

/** What the disclosure resolvers need in the request context. */
export interface DisclosuresContext extends EnforcedContext {
  audit: AuditStore | null;
  disclosuresOfPatron: DataLoader<string, StoredRecord[]> | null;
}

/** Per-request loader of patrons' disclosure logs (one statement per batch). */
export const disclosuresLoader = (audit: AuditStore | null): DataLoader<string, StoredRecord[]> | null =>
  audit ? new DataLoader((ids) => audit.forPatrons(ids, PATRON_VIEW_LIMIT)) : null;

interface DisclosuresArgs {
  patronId?: string | null;
  principal?: string | null;
  exception?: string | null;
  from?: string | null;
  to?: string | null;
  first?: number;
  after?: string | null;
}

const instant = (name: string, value: string | null | undefined): string | null => {
  if (value == null) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw graphError('BAD_USER_INPUT', `${name} must be an ISO 8601 date-time.`);
  return new Date(t).toISOString();
};

/** Reads a cursor `disclosures` returned: a record's batch row and place in it. */
function parseCursor(cursor: string): AuditCursor {
  const match = /^(\d{1,15})\.(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw graphError('BAD_USER_INPUT', 'after is not a cursor this API returned.');
  return { batch: Number(match[1]), index: Number(match[2]) };
}

const unavailable = () => graphError('FORBIDDEN', 'The disclosure audit is not enabled on this deployment.');

/**
 * "Who has seen this patron's record": the custodian's `disclosures` query over every chain of the
 * audit, and the patron's (or guardian's) own `Patron.disclosures`. Each record is itself
 * confidential (type-level rule), so it is disclosed only under SELF, GUARDIAN or the custodian's
 * records duty, and reading it is audited in turn.
 */
export const disclosureResolvers = {
  Query: {
    disclosures: async (_: unknown, args: DisclosuresArgs, ctx: DisclosuresContext) => {
      requireRole(ctx.privacy.caller, ['custodian']);
      if (!ctx.audit) throw unavailable();
      const first = args.first ?? 50;
      if (first < 1 || first > 500) throw graphError('BAD_USER_INPUT', 'first must be between 1 and 500.');
      const after = args.after ? parseCursor(args.after) : null;
      const page = await ctx.audit.query(
        { patronId: args.patronId, principal: args.principal, exception: args.exception, from: instant('from', args.from), to: instant('to', args.to) },
        first,
        after,
      );
      const last = page.cursors[page.cursors.length - 1];
      return {
        nodes: page.records,
        pageInfo: { hasNextPage: page.more, endCursor: last === undefined ? null : Buffer.from(`${last.batch}.${last.index}`).toString('base64url') },
      };
    },
  },
  Patron: {
    disclosures: async (p: { id: string }, args: { first?: number }, ctx: DisclosuresContext) => {
      if (!ctx.disclosuresOfPatron) throw unavailable();
      const records = await ctx.disclosuresOfPatron.load(p.id);
      return records.slice(0, Math.max(0, Math.min(args.first ?? 50, PATRON_VIEW_LIMIT)));
    },
  },
  DisclosureRecord: {
    id: (r: StoredRecord) => `${r.chain}:${r.seq}`,
    subgraph: (r: StoredRecord) => r.chain,
    patron: (r: StoredRecord) => ({ __typename: 'Patron', id: r.patronId }),
  },
};
