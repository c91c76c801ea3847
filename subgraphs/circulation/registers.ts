import { isUniqueViolation, serializable } from '../../src/db/dialect.js';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import { InvalidInput, NotPermitted } from '../../src/errors/domain.js';
import { isMinorOn } from '../../src/privacy/decide/decide.js';
import { PATRON_DATA_CATEGORIES } from '../../src/privacy/vocabulary.js';
import type { DisclosureEntry } from '../../src/privacy/audit/record.js';
import type { CirculationTables } from './migrations.js';
import { parseInput } from '../../src/subgraph/parseInput.js';

/**
 * The registers behind the statute's exceptions (b) consent, (c) legal process and (d) guardian:
 * how the records custodian writes them. The privacy guard reads them per request (facts.ts), so a
 * write here changes what the next request may see. Only the custodian role may call these (the
 * resolvers check it); nothing returned here carries a patron id, name or link.
 */

type ConsentRow = Selectable<CirculationTables['consents']>;

/** A consent as the custodian gets it back: no patron id, name or link. */
export interface ConsentRecord {
  id: string;
  grantee: string;
  scope: string[];
  documentRef: string;
  validFrom: string;
  validUntil: string;
  revokedAt: string | null;
}
/** A legal order as the custodian gets it back: how many patrons it names, never which. */
export interface LegalOrderRecord {
  id: string;
  reference: string;
  kind: string;
  authority: string;
  scope: string[];
  validFrom: string;
  validUntil: string;
  patronCount: number;
  /** AWAITING_APPROVAL until a second custodian approves it; only an APPROVED order discloses. */
  status: 'AWAITING_APPROVAL' | 'APPROVED';
  registeredBy: string | null;
  registeredAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  sealedUntil: string | null;
}

/** The custodian acting on a register: who, in which request, with which stated purpose. */
export interface RegisterActor {
  principal: string | null;
  roles: readonly string[];
  requestId: string;
  purpose: string | null;
}

/**
 * Records an act on the legal-order register in the audit (one record per patron the order names,
 * as the custodian's `disclosures` view shows them). Throwing undoes the act: it runs inside the
 * register's transaction, before the commit; an act whose commit then fails is compensated
 * (`Registers.act`). It may return a promise (the audit on PostgreSQL): the act awaits it.
 */
export type RegisterTrail = (entries: DisclosureEntry[]) => unknown;

/** The audit chain the register's acts are appended to. */
export const REGISTER_CHAIN = 'registers';
/** A guardianship as the custodian gets it back: neither the guardian nor the minor. */
export interface GuardianshipRecord {
  id: string;
  evidenceRef: string;
  createdAt: string;
}

const consentRecord = (c: ConsentRow): ConsentRecord => ({
  id: String(c.id),
  grantee: c.grantee,
  scope: scopeList(c.scope),
  documentRef: c.document_ref,
  validFrom: c.valid_from,
  validUntil: c.valid_until,
  revokedAt: c.revoked_at,
});

export const LEGAL_ORDER_KINDS = ['SUBPOENA', 'COURT_ORDER', 'OTHER_LEGAL_REQUIREMENT'] as const;
/** At most this many patrons per legal order. */
export const MAX_ORDER_PATRONS = 1000;

// parseInput prefixes every message with the field's path ("validUntil: must be in the future").
const id = () =>
  z.string({ error: 'is required' }).trim().min(1, 'is required').max(100, 'is not a patron id');
const text = (max = 200) =>
  z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(max, `is at most ${max} characters`);

/** True when 'YYYY-MM-DD' is a day of the calendar (Date.parse rolls 30 February over to March). */
const isCalendarDate = (day: string): boolean => {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/** An ISO 8601 date-time with a zone, stored normalized (UTC, milliseconds) so stored strings compare as instants. */
const dateTime = () =>
  z
    .string({ error: 'is required' })
    .refine(
      (s) =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
        !Number.isNaN(Date.parse(s)) &&
        isCalendarDate(s.slice(0, 10)),
      'must be an ISO 8601 date-time with a zone, e.g. 2026-01-31T00:00:00Z',
    )
    .transform((s) => new Date(s).toISOString());

const scope = z
  .array(z.enum(PATRON_DATA_CATEGORIES, { error: 'is not a PatronDataCategory' }), {
    error: 'is required',
  })
  .min(1, 'must name at least one category')
  .refine((list) => new Set(list).size === list.length, 'names a category twice');

/** validFrom < validUntil, and validUntil still ahead (judged on the register's clock). */
const validity = <T extends { validFrom: string; validUntil: string }>(
  schema: z.ZodType<T>,
  now: () => Date,
) =>
  schema
    .refine((v) => v.validFrom < v.validUntil, {
      message: 'must be after validFrom',
      path: ['validUntil'],
    })
    .refine((v) => v.validUntil > now().toISOString(), {
      message: 'must be in the future',
      path: ['validUntil'],
    });

const ConsentInput = z.object({
  patronId: id(),
  grantee: z
    .string({ error: 'is required' })
    .trim()
    .max(200, 'is at most 200 characters')
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._@-]*:[A-Za-z0-9._@:-]+$/,
      "must be a principal id such as 'partner:front-range-literacy'",
    ),
  scope,
  documentRef: text(),
  validFrom: dateTime(),
  validUntil: dateTime(),
});
export type RecordConsentInput = z.infer<typeof ConsentInput>;

const LegalOrderInput = z.object({
  // The custodian names the order in the X-Legal-Process header, which the gateway trims and caps at 200.
  reference: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(200, 'is at most 200 characters')
    .regex(
      /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/,
      'must be printable ASCII (it is sent in the X-Legal-Process header)',
    ),
  kind: z.enum(LEGAL_ORDER_KINDS, {
    error: 'must be SUBPOENA, COURT_ORDER or OTHER_LEGAL_REQUIREMENT',
  }),
  authority: text(),
  patronIds: z
    .array(id(), { error: 'is required' })
    .min(1, 'must name at least one patron')
    .max(MAX_ORDER_PATRONS, `names at most ${MAX_ORDER_PATRONS} patrons`),
  scope,
  /** Omitted: the moment of registration. Never before it (judged in the register). */
  validFrom: dateTime().nullish(),
  validUntil: dateTime(),
  sealedUntil: dateTime().nullish(),
});
export type RegisterLegalOrderInput = z.infer<typeof LegalOrderInput>;

const GuardianInput = z.object({
  guardianId: id(),
  minorId: id(),
  evidenceRef: text(),
});

const OrderId = z.object({
  orderId: z
    .string({ error: 'is required' })
    .regex(/^\d{1,15}$/, 'is not a legal order id')
    .transform(Number),
});

const ConsentId = z.object({
  consentId: z
    .string({ error: 'is required' })
    .regex(/^\d{1,15}$/, 'is not a consent id')
    .transform(Number),
});

/** The custodian's writes to the registers; every multi-row write is one transaction. */
export class Registers {
  constructor(
    readonly db: Kysely<CirculationTables>,
    private readonly now: () => Date = () => new Date(),
    private readonly trail: RegisterTrail | null = null,
  ) {}

  /** Records a patron's written consent to `grantee`, refusing a second active one over the same dates. */
  async recordConsent(input: unknown): Promise<ConsentRecord> {
    const data = parseInput(validity(ConsentInput, this.now), input);
    return serializable(this.db, async (trx) => {
      if (!(await this.patronExists(trx, data.patronId)))
        throw new InvalidInput('patronId: no such patron');
      const overlapping = await trx
        .selectFrom('consents')
        .select('id')
        .where('patron_id', '=', data.patronId)
        .where('grantee', '=', data.grantee)
        .where('revoked_at', 'is', null)
        .where('valid_from', '<', data.validUntil)
        .where('valid_until', '>', data.validFrom)
        .executeTakeFirst();
      if (overlapping) {
        throw new InvalidInput(
          `grantee: the patron already has an active consent to this grantee over these dates (consent ${overlapping.id}); revoke it first`,
        );
      }
      const row = await trx
        .insertInto('consents')
        .values({
          patron_id: data.patronId,
          grantee: data.grantee,
          scope: JSON.stringify(data.scope),
          document_ref: data.documentRef,
          valid_from: data.validFrom,
          valid_until: data.validUntil,
          revoked_at: null,
          created_at: this.now().toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return consentRecord(row);
    });
  }

  /** Revokes a consent from now on; revoking one twice is refused. */
  async revokeConsent(consentId: unknown): Promise<ConsentRecord> {
    const { consentId: idNumber } = parseInput(ConsentId, { consentId });
    return serializable(this.db, async (trx) => {
      const existing = await trx
        .selectFrom('consents')
        .select(['id', 'revoked_at'])
        .where('id', '=', idNumber)
        .executeTakeFirst();
      if (!existing) throw new InvalidInput('consentId: no such consent');
      if (existing.revoked_at !== null)
        throw new InvalidInput('consentId: this consent is already revoked');
      const row = await trx
        .updateTable('consents')
        .set({ revoked_at: this.now().toISOString() })
        .where('id', '=', idNumber)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirstOrThrow();
      return consentRecord(row);
    });
  }

  /**
   * Registers a subpoena or court order and the patrons it names, all in one transaction. It starts
   * AWAITING_APPROVAL: nothing is disclosed under it until a different custodian approves it. Its
   * validity starts at registration at the earliest, so no order reaches back before it existed.
   */
  async registerLegalOrder(input: unknown, by: RegisterActor): Promise<LegalOrderRecord> {
    const now = this.now().toISOString();
    const parsed = parseInput(LegalOrderInput, input);
    if (parsed.validFrom && parsed.validFrom < now)
      throw new InvalidInput(
        `validFrom: cannot precede the order's registration (${now}); omit it to start at registration`,
      );
    const validFrom = parsed.validFrom ?? now;
    if (parsed.validUntil <= validFrom)
      throw new InvalidInput(
        parsed.validFrom
          ? 'validUntil: must be after validFrom'
          : 'validUntil: must be in the future',
      );
    if (parsed.sealedUntil && parsed.sealedUntil <= now)
      throw new InvalidInput('sealedUntil: must be in the future');
    const data = { ...parsed, validFrom };
    const first = new Map<string, number>();
    data.patronIds.forEach((patron, i) => {
      const seen = first.get(patron);
      if (seen !== undefined)
        throw new InvalidInput(`patronIds[${i}]: the same patron as patronIds[${seen}]`);
      first.set(patron, i);
    });
    try {
      return await this.act(async (trx, audit) => {
        const taken = await trx
          .selectFrom('legal_orders')
          .select('id')
          .where('reference', '=', data.reference)
          .executeTakeFirst();
        if (taken)
          throw new InvalidInput('reference: an order with this reference is already registered');
        const found = new Set<string>();
        for (let i = 0; i < data.patronIds.length; i += 500) {
          const rows = await trx
            .selectFrom('patrons')
            .select('id')
            .where('id', 'in', data.patronIds.slice(i, i + 500))
            .execute();
          for (const r of rows) found.add(r.id);
        }
        const missing = data.patronIds.findIndex((p) => !found.has(p));
        if (missing >= 0) throw new InvalidInput(`patronIds[${missing}]: no such patron`);
        const order = await trx
          .insertInto('legal_orders')
          .values({
            reference: data.reference,
            kind: data.kind,
            authority: data.authority,
            scope: JSON.stringify(data.scope),
            valid_from: data.validFrom,
            valid_until: data.validUntil,
            created_at: now,
            registered_by: by.principal,
            approved_by: null,
            approved_at: null,
            sealed_until: data.sealedUntil ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        for (let i = 0; i < data.patronIds.length; i += 200) {
          await trx
            .insertInto('legal_order_patrons')
            .values(
              data.patronIds
                .slice(i, i + 200)
                .map((patron_id) => ({ order_id: order.id, patron_id })),
            )
            .execute();
        }
        await audit(actEntries(by, now, order.reference, 'LegalOrder.registered', data.patronIds));
        return legalOrderRecord(order, data.patronIds.length);
      });
    } catch (error) {
      // Two custodians registering the same reference at once: the unique index decides.
      if (isUniqueViolation(error))
        throw new InvalidInput('reference: an order with this reference is already registered');
      throw error;
    }
  }

  /**
   * Approves a registered order: the second person of the two-person rule. The custodian who
   * registered it may not approve it (FORBIDDEN); an order is approved once. From the approval on
   * (and within its dates) the order discloses. An order without a registrar (registered before the
   * rule) is confirmed first (`confirmUnregistered`).
   */
  async approveLegalOrder(orderId: unknown, by: RegisterActor): Promise<LegalOrderRecord> {
    const { orderId: idNumber } = parseInput(OrderId, { orderId });
    return this.act(async (trx, audit) => {
      const order = await trx
        .selectFrom('legal_orders')
        .selectAll()
        .where('id', '=', idNumber)
        .executeTakeFirst();
      if (!order) throw new InvalidInput('orderId: no such legal order');
      if (order.approved_at !== null)
        throw new InvalidInput('orderId: this order is already approved');
      if (by.principal === null || order.registered_by === by.principal) {
        throw new NotPermitted(
          'A legal order must be approved by a different custodian from the one who registered it.',
        );
      }
      const now = this.now().toISOString();
      if (order.registered_by === null) return this.confirmUnregistered(trx, audit, order, by, now);
      const approved = await trx
        .updateTable('legal_orders')
        .set({ approved_by: by.principal, approved_at: now })
        .where('id', '=', idNumber)
        .where('approved_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      // Another custodian approved it between the read and the write.
      if (!approved) throw new InvalidInput('orderId: this order is already approved');
      return auditOrderAct(trx, audit, by, now, approved, 'LegalOrder.approved');
    });
  }

  /**
   * An order registered before the two-person rule has no registrar, so no one could tell a second
   * custodian from the first. The first custodian to approve it confirms it instead: they stand as its
   * registrar (the act is audited as `LegalOrder.confirmed`) and it stays AWAITING_APPROVAL until a
   * different custodian approves it, as any order.
   */
  private async confirmUnregistered(
    trx: Transaction<CirculationTables>,
    audit: RegisterTrail,
    order: Selectable<CirculationTables['legal_orders']>,
    by: RegisterActor,
    now: string,
  ): Promise<LegalOrderRecord> {
    const confirmed = await trx
      .updateTable('legal_orders')
      .set({ registered_by: by.principal })
      .where('id', '=', order.id)
      .where('registered_by', 'is', null)
      .where('approved_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    // Another custodian confirmed it between the read and the write.
    if (!confirmed)
      throw new InvalidInput(
        'orderId: this order was confirmed meanwhile; a different custodian may now approve it',
      );
    return auditOrderAct(trx, audit, by, now, confirmed, 'LegalOrder.confirmed');
  }

  /**
   * Runs an act on the legal-order register in one transaction, its trail appended inside it (so a
   * trail that cannot be written undoes the act). The audit commits apart from this database, so a
   * transaction that fails after its trail was appended (its COMMIT, say) would leave the audit
   * telling of an act that never happened: each of its records then gets a compensating record, its
   * fields suffixed `.undone`. Should that append fail too, the audit is down and the act's records
   * stand without their undo; the caller gets the act's own error either way.
   */
  private async act<T>(
    work: (trx: Transaction<CirculationTables>, audit: RegisterTrail) => Promise<T>,
  ): Promise<T> {
    let written: DisclosureEntry[] = [];
    // Every attempt that rolled back (the last, or one PostgreSQL runs again) undoes its own records.
    const undo = () => {
      if (written.length > 0) {
        const at = this.now().toISOString();
        try {
          void Promise.resolve(
            this.trail?.(
              written.map((e) => ({ ...e, at, fields: e.fields.map((f) => `${f}.undone`) })),
            ),
          ).catch(() => undefined);
        } catch {
          // The audit is down: nothing more can be recorded; the act's error says it failed.
        }
      }
      written = [];
    };
    return serializable(
      this.db,
      (trx) => {
        written = [];
        return work(trx, async (entries) => {
          await this.trail?.(entries);
          written = entries;
        });
      },
      undo,
    );
  }

  /** Links a guardian to a minor: both exist and differ, the minor is under 18, the guardian is not. */
  async linkGuardian(input: unknown): Promise<GuardianshipRecord> {
    const data = parseInput(GuardianInput, input);
    if (data.guardianId === data.minorId)
      throw new InvalidInput('minorId: must be a different patron from guardianId');
    const today = this.now().toISOString().slice(0, 10);
    try {
      return await serializable(this.db, async (trx) => {
        const rows = await trx
          .selectFrom('patrons')
          .select(['id', 'birth_date'])
          .where('id', 'in', [data.guardianId, data.minorId])
          .execute();
        const birth = new Map(rows.map((r) => [r.id, r.birth_date]));
        const guardianBirth = birth.get(data.guardianId);
        const minorBirth = birth.get(data.minorId);
        if (guardianBirth === undefined) throw new InvalidInput('guardianId: no such patron');
        if (minorBirth === undefined) throw new InvalidInput('minorId: no such patron');
        if (!isMinorOn(minorBirth, today))
          throw new InvalidInput('minorId: the patron is not under 18 today');
        if (isMinorOn(guardianBirth, today))
          throw new InvalidInput('guardianId: a patron under 18 cannot be a guardian');
        const row = await trx
          .insertInto('guardianships')
          .values({
            guardian_id: data.guardianId,
            minor_id: data.minorId,
            evidence_ref: data.evidenceRef,
            created_at: this.now().toISOString(),
          })
          .returning(['id', 'evidence_ref', 'created_at'])
          .executeTakeFirstOrThrow();
        return { id: String(row.id), evidenceRef: row.evidence_ref, createdAt: row.created_at };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new InvalidInput('minorId: this guardian is already linked to this minor');
      throw error;
    }
  }

  private async patronExists(
    trx: Transaction<CirculationTables>,
    patronId: string,
  ): Promise<boolean> {
    return (
      (await trx
        .selectFrom('patrons')
        .select('id')
        .where('id', '=', patronId)
        .executeTakeFirst()) !== undefined
    );
  }
}

/** The audit records of one act on an order: one per patron it names. */
function actEntries(
  by: RegisterActor,
  at: string,
  reference: string,
  act: string,
  patronIds: readonly string[],
): DisclosureEntry[] {
  return patronIds.map((patronId) => ({
    at,
    requestId: by.requestId,
    principal: by.principal,
    roles: by.roles,
    exception: 'LEGAL_PROCESS',
    reference,
    purpose: by.purpose,
    patronId,
    fields: [act],
  }));
}

/**
 * Audits an act on a stored order, one record per patron it names (read in the act's transaction),
 * and returns the order as the custodian gets it back.
 */
async function auditOrderAct(
  trx: Transaction<CirculationTables>,
  audit: RegisterTrail,
  by: RegisterActor,
  now: string,
  order: Selectable<CirculationTables['legal_orders']>,
  act: string,
): Promise<LegalOrderRecord> {
  const patrons = await trx
    .selectFrom('legal_order_patrons')
    .select('patron_id')
    .where('order_id', '=', order.id)
    .orderBy('patron_id')
    .execute();
  await audit(
    actEntries(
      by,
      now,
      order.reference,
      act,
      patrons.map((p) => p.patron_id),
    ),
  );
  return legalOrderRecord(order, patrons.length);
}

/** A stored order as the custodian gets it back. */
function legalOrderRecord(
  order: Selectable<CirculationTables['legal_orders']>,
  patronCount: number,
): LegalOrderRecord {
  return {
    id: String(order.id),
    reference: order.reference,
    kind: order.kind,
    authority: order.authority,
    scope: scopeList(order.scope),
    validFrom: order.valid_from,
    validUntil: order.valid_until,
    patronCount,
    status: order.approved_at === null ? 'AWAITING_APPROVAL' : 'APPROVED',
    registeredBy: order.registered_by,
    registeredAt: order.created_at,
    approvedBy: order.approved_by,
    approvedAt: order.approved_at,
    sealedUntil: order.sealed_until,
  };
}

/** A stored scope (JSON array of category names) as a list; anything malformed reads as empty. */
export function scopeList(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
