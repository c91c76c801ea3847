import DataLoader from 'dataloader';
import type { AuditCursor, AuditLog } from '../../src/privacy/audit/store/auditStore.js';
import type { StoredRecord } from '../../src/privacy/audit/record.js';
import { ERRORS } from '../../src/errors/codes.js';
import { requireRole } from '../../src/privacy/context/roles.js';
import { REGISTER_CHAIN } from './registers.js';
import type { EnforcedContext } from '../../src/privacy/enforce/enforce.js';

/** The most records `Patron.disclosures` returns. */
const PATRON_VIEW_LIMIT = 200;

/** What the disclosure resolvers need in the request context. */
export interface DisclosuresContext extends EnforcedContext {
  audit: AuditLog | null;
  disclosuresOfPatron: DataLoader<string, PatronDisclosure[]> | null;
}

/** What the patron's own log needs to know of a legal order it cites. */
export interface OrderNotice {
  kind: string;
  sealedUntil: string | null;
}

/** One legal order naming a patron, as the patron's own log needs it. */
export interface OrderOfPatron extends OrderNotice {
  patronId: string;
  reference: string;
  /** When the order was registered: from then on, while sealed, it hides the custodian's reads of the patron. */
  registeredAt: string;
}

/** Reads every legal order naming any of a batch of patrons (one statement). */
export type OrdersOfPatrons = (patronIds: readonly string[]) => Promise<OrderOfPatron[]>;

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

const ORDER_KINDS: Record<string, string> = {
  SUBPOENA: 'subpoena',
  COURT_ORDER: 'court order',
  OTHER_LEGAL_REQUIREMENT: 'legal requirement',
};

/** Who received a record, as its patron is told: a role and the exception, never a person. */
export function recipientOf(record: StoredRecord, order: OrderNotice | undefined): string {
  switch (record.exception) {
    case 'OPERATIONS':
      if (record.roles.includes('custodian')) return 'records custodian, OPERATIONS';
      if (record.roles.includes('staff'))
        return `${record.chain === 'circulation' || record.chain === 'events' ? record.chain : 'library'} staff, OPERATIONS`;
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
 * Whether the patron (or guardian) may see one record at `now`. Left out: the register's own acts
 * (they are not disclosures of the record); any record citing a sealed order, whatever its exception,
 * and a legal-process record citing an order that cannot be found (failing closed); and, while an
 * order naming the patron is sealed (`sealedSince`, the earliest such order's registration), every
 * custodian's record since then: a custodian reviewing the patron's log or record during the seal
 * would otherwise tell the patron that something is under way.
 */
export function shownToPatron(
  r: StoredRecord,
  orders: ReadonlyMap<string, OrderNotice>,
  now: string,
  sealedSince: string | null,
): boolean {
  if (r.chain === REGISTER_CHAIN) return false;
  const order = r.reference !== null ? orders.get(r.reference) : undefined;
  if (order && order.sealedUntil !== null && now < order.sealedUntil) return false;
  if (r.exception === 'LEGAL_PROCESS' && !order) return false;
  if (sealedSince !== null && r.at >= sealedSince && r.roles.includes('custodian')) return false;
  return true;
}

/**
 * A patron's log as the patron (or guardian) may see it at `now` (see `shownToPatron`), every
 * recipient told as a role. Pure, so the seal can be tested against any clock.
 */
export function patronView(
  records: readonly StoredRecord[],
  orders: ReadonlyMap<string, OrderNotice>,
  now: string,
  sealedSince: string | null = null,
  limit = PATRON_VIEW_LIMIT,
): PatronDisclosure[] {
  return records
    .filter((r) => shownToPatron(r, orders, now, sealedSince))
    .slice(0, limit)
    .map((r) =>
      patronDisclosure(
        r,
        r.exception === 'LEGAL_PROCESS' && r.reference !== null
          ? orders.get(r.reference)
          : undefined,
      ),
    );
}

const patronDisclosure = (r: StoredRecord, order: OrderNotice | undefined): PatronDisclosure => ({
  chain: r.chain,
  seq: r.seq,
  at: r.at,
  patronId: r.patronId,
  recipient: recipientOf(r, order),
  exception: r.exception,
  fields: r.fields,
  reference: r.reference,
});

/**
 * Per-request loader of patrons' own disclosure logs, judged at the request's clock: one read of the
 * orders naming the batch's patrons, then the audit read newest first, filtered as it goes and
 * stopped once each patron has a page. A record citing an order that does not name its patron is
 * treated as citing an unknown order.
 */
export function disclosuresLoader(
  audit: AuditLog | null,
  ordersOf: OrdersOfPatrons,
  now: () => string,
): DataLoader<string, PatronDisclosure[]> | null {
  if (!audit) return null;
  return new DataLoader(async (ids) => {
    const at = now();
    const notices = new Map<string, Map<string, OrderNotice>>(ids.map((id) => [id, new Map()]));
    const sealedSince = new Map<string, string>();
    for (const o of await ordersOf(ids)) {
      notices.get(o.patronId)?.set(o.reference, { kind: o.kind, sealedUntil: o.sealedUntil });
      if (o.sealedUntil !== null && at < o.sealedUntil) {
        const since = sealedSince.get(o.patronId);
        if (since === undefined || o.registeredAt < since)
          sealedSince.set(o.patronId, o.registeredAt);
      }
    }
    const empty = new Map<string, OrderNotice>();
    const logs = await audit.forPatrons(ids, PATRON_VIEW_LIMIT, (r) =>
      shownToPatron(r, notices.get(r.patronId) ?? empty, at, sealedSince.get(r.patronId) ?? null),
    );
    return logs.map((log, i) =>
      log.map((r) =>
        patronDisclosure(
          r,
          r.exception === 'LEGAL_PROCESS' && r.reference !== null
            ? notices.get(ids[i]!)?.get(r.reference)
            : undefined,
        ),
      ),
    );
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
  if (Number.isNaN(t)) throw ERRORS.BAD_USER_INPUT.err(`${name} must be an ISO 8601 date-time.`);
  return new Date(t).toISOString();
};

/** Reads a cursor `disclosures` returned: a record's batch row and place in it. */
function parseCursor(cursor: string): AuditCursor {
  const match = /^(\d{1,15})\.(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw ERRORS.BAD_USER_INPUT.err('after is not a cursor this API returned.');
  return { batch: Number(match[1]), index: Number(match[2]) };
}

const unavailable = () =>
  ERRORS.FORBIDDEN.err('The disclosure audit is not enabled on this deployment.');

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
      if (first < 1 || first > 500)
        throw ERRORS.BAD_USER_INPUT.err('first must be between 1 and 500.');
      const after = args.after ? parseCursor(args.after) : null;
      const page = await ctx.audit.query(
        {
          patronId: args.patronId,
          principal: args.principal,
          exception: args.exception,
          from: instant('from', args.from),
          to: instant('to', args.to),
        },
        first,
        after,
      );
      const last = page.cursors[page.cursors.length - 1];
      return {
        nodes: page.records,
        pageInfo: {
          hasNextPage: page.more,
          endCursor:
            last === undefined
              ? null
              : Buffer.from(`${last.batch}.${last.index}`).toString('base64url'),
        },
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
