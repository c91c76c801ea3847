import DataLoader from 'dataloader';
import type { AuditCursor, AuditStore } from '../../src/privacy/audit/auditStore.js';
import type { StoredRecord } from '../../src/privacy/audit/record.js';
import { graphError } from '../../src/errors/codes.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import { REGISTER_CHAIN } from './registers.js';
import type { EnforcedContext } from '../../src/privacy/redact/enforce.js';

/** The most records `Patron.disclosures` returns. */
const PATRON_VIEW_LIMIT = 200;

/** What the disclosure resolvers need in the request context. */
export interface DisclosuresContext extends EnforcedContext {
  audit: AuditStore | null;
  disclosuresOfPatron: DataLoader<string, PatronDisclosure[]> | null;
}

/** What the patron's own log needs to know of a legal order it cites. */
export interface OrderNotice {
  kind: string;
  sealedUntil: string | null;
}

/** Reads the orders a batch of records cites, by reference (one statement). */
export type OrderLookup = (references: readonly string[]) => Promise<Map<string, OrderNotice>>;

/**
 * One record of a patron's own (or their guardian's) disclosure log: who received the record told
 * as a role and exception, never the recipient's principal, request or stated purpose (those may
 * name other people, a second guardian say). The custodian's `disclosures` keeps everything.
 */
export interface PatronDisclosure {
  chain: string;
  seq: number;
  at: string;
  patronId: string;
  recipient: string;
  exception: string;
  fields: readonly string[];
  reference: string | null;
}

const ORDER_KINDS: Record<string, string> = { SUBPOENA: 'subpoena', COURT_ORDER: 'court order', OTHER_LEGAL_REQUIREMENT: 'legal requirement' };

/** Who received a record, as its patron is told: a role and the exception, never a person. */
export function recipientOf(record: StoredRecord, order: OrderNotice | undefined): string {
  switch (record.exception) {
    case 'OPERATIONS':
      if (record.roles.includes('custodian')) return 'records custodian, OPERATIONS';
      if (record.roles.includes('staff')) return `${record.chain === 'circulation' || record.chain === 'events' ? record.chain : 'library'} staff, OPERATIONS`;
      return 'library, OPERATIONS';
    case 'GUARDIAN':
      return 'guardian';
    case 'CONSENT':
      return 'partner, CONSENT';
    case 'LEGAL_PROCESS':
      return `${(order && ORDER_KINDS[order.kind]) ?? 'legal order'} ${record.reference ?? ''}`.trim();
    default:
      return record.exception;
  }
}

/**
 * A patron's log as the patron (or guardian) may see it at `now`: the register's own acts left out
 * (they are not disclosures of the record), a sealed order's disclosures left out until its seal
 * ends (and those of an order that cannot be found, failing closed), and every recipient told as a
 * role. Pure, so the seal can be tested against any clock.
 */
export function patronView(records: readonly StoredRecord[], orders: ReadonlyMap<string, OrderNotice>, now: string, limit = PATRON_VIEW_LIMIT): PatronDisclosure[] {
  const view: PatronDisclosure[] = [];
  for (const r of records) {
    if (view.length >= limit) break;
    if (r.chain === REGISTER_CHAIN) continue;
    const order = r.exception === 'LEGAL_PROCESS' && r.reference !== null ? orders.get(r.reference) : undefined;
    if (r.exception === 'LEGAL_PROCESS' && (!order || (order.sealedUntil !== null && now < order.sealedUntil))) continue;
    view.push({ chain: r.chain, seq: r.seq, at: r.at, patronId: r.patronId, recipient: recipientOf(r, order), exception: r.exception, fields: r.fields, reference: r.reference });
  }
  return view;
}

/** Per-request loader of patrons' own disclosure logs, judged at the request's clock (one audit read and one order read per batch). */
export function disclosuresLoader(audit: AuditStore | null, orders: OrderLookup, now: () => string): DataLoader<string, PatronDisclosure[]> | null {
  if (!audit) return null;
  return new DataLoader(async (ids) => {
    const logs = await audit.forPatrons(ids, Number.MAX_SAFE_INTEGER);
    const references = new Set<string>();
    for (const log of logs) for (const r of log) if (r.exception === 'LEGAL_PROCESS' && r.reference !== null) references.add(r.reference);
    const known = references.size ? await orders([...references]) : new Map<string, OrderNotice>();
    const at = now();
    return logs.map((log) => patronView(log, known, at));
  });
}

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
  PatronDisclosure: {
    id: (r: PatronDisclosure) => `${r.chain}:${r.seq}`,
    subgraph: (r: PatronDisclosure) => r.chain,
  },
};
