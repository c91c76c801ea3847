import { serializable } from '../../src/db/dialect.js';
import type { Kysely } from 'kysely';
import type { Logger } from '../../src/log/logger.js';
import type { DisclosureContext } from '../../src/privacy/context/disclosureContext.js';
import { patronId, principalId, type PatronId } from '../../src/privacy/context/ids.js';
import { mayActForHolder, type CardDirectory } from '../../src/privacy/context/onBehalf.js';
import type { SubjectFacts } from '../../src/privacy/decide/facts.js';
import type { PatronDataCategory } from '../../src/privacy/vocabulary.js';
import type { FactsSource } from '../../src/privacy/enforce/privacyContext.js';
import type { CirculationTables } from './migrations.js';

const scopeOf = (json: string): PatronDataCategory[] => {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed)
    ? (parsed.filter((s) => typeof s === 'string') as PatronDataCategory[])
    : [];
};

/** How many refused on-behalf card lookups a principal may make per window (config `onBehalf`), and where the lock is logged. */
export interface CardLookupLimit {
  refusals?: number;
  windowMs?: number;
  logger?: Logger | null;
  now?: () => Date;
}

/**
 * The registers of consents, legal orders and guardianships, read for a batch of subjects relative
 * to one caller. Only what the caller's roles could use is queried: a partner's consents, a
 * custodian's invoked order, a patron's guardianships. At most four statements per batch.
 */
export class RegisterFacts implements FactsSource, CardDirectory {
  private readonly limit: Required<CardLookupLimit>;

  constructor(
    private readonly db: Kysely<CirculationTables>,
    limit: CardLookupLimit = {},
  ) {
    this.limit = {
      refusals: 20,
      windowMs: 15 * 60_000,
      logger: null,
      now: () => new Date(),
      ...limit,
    };
  }

  /**
   * The holders of presented cards the caller may act for (one statement); null for any other card.
   * Card numbers are sequential with a check digit, so refusals are counted per principal: once a
   * principal has `refusals` within the window, every card is refused alike until the window ends.
   * One transaction, so parallel guesses cannot outrun the count.
   */
  async cardHolders(
    caller: DisclosureContext,
    cards: readonly string[],
  ): Promise<(PatronId | null)[]> {
    const principal = caller.principal ?? 'anonymous';
    const now = this.limit.now();
    return serializable(this.db, async (trx) => {
      const row = await trx
        .selectFrom('on_behalf_refusals')
        .selectAll()
        .where('principal', '=', principal)
        .executeTakeFirst();
      const current =
        row && Date.parse(row.window_start) + this.limit.windowMs > now.getTime() ? row : null;
      if (current && current.refusals >= this.limit.refusals) return cards.map(() => null);
      const wanted = [...new Set(cards.filter((c) => c !== ''))];
      const rows = wanted.length
        ? await trx
            .selectFrom('patrons')
            .select(['id', 'card_number'])
            .where('card_number', 'in', wanted)
            .execute()
        : [];
      const byCard = new Map(rows.map((r) => [r.card_number, patronId(r.id)]));
      const holders = cards.map((card) => {
        const holder = byCard.get(card);
        return holder !== undefined && mayActForHolder(caller, holder) ? holder : null;
      });
      const refused = holders.filter((h) => h === null).length;
      if (refused > 0) {
        const refusals = (current?.refusals ?? 0) + refused;
        const windowStart = current?.window_start ?? now.toISOString();
        await trx
          .insertInto('on_behalf_refusals')
          .values({ principal, refusals, window_start: windowStart })
          .onConflict((oc) =>
            oc.column('principal').doUpdateSet({ refusals, window_start: windowStart }),
          )
          .execute();
        if (refusals >= this.limit.refusals) {
          this.limit.logger?.warn(
            { principal, refusals, windowSeconds: this.limit.windowMs / 1000 },
            'on-behalf card lookups locked: too many refused cards',
          );
        }
      }
      return holders;
    });
  }

  async load(caller: DisclosureContext, subjects: readonly PatronId[]): Promise<SubjectFacts[]> {
    const ids = [...new Set(subjects)];
    const patrons = await this.db
      .selectFrom('patrons')
      .select(['id', 'birth_date'])
      .where('id', 'in', ids)
      .execute();
    const birth = new Map(patrons.map((p) => [p.id, p.birth_date]));

    const guarded = new Set<string>();
    if (caller.roles.includes('patron') && caller.patronId) {
      const links = await this.db
        .selectFrom('guardianships')
        .select('minor_id')
        .where('guardian_id', '=', caller.patronId)
        .where('minor_id', 'in', ids)
        .execute();
      for (const l of links) guarded.add(l.minor_id);
    }

    const consents = new Map<string, SubjectFacts['consents'][number][]>();
    if (caller.roles.includes('partner') && caller.principal) {
      const rows = await this.db
        .selectFrom('consents')
        .selectAll()
        .where('grantee', '=', caller.principal)
        .where('patron_id', 'in', ids)
        .execute();
      for (const r of rows) {
        const list = consents.get(r.patron_id) ?? [];
        list.push({
          grantee: principalId(r.grantee),
          scope: scopeOf(r.scope),
          documentRef: r.document_ref,
          validFrom: r.valid_from,
          validUntil: r.valid_until,
          revokedAt: r.revoked_at,
        });
        consents.set(r.patron_id, list);
      }
    }

    const orders = new Map<string, SubjectFacts['legalOrders'][number][]>();
    if (caller.roles.includes('custodian') && caller.legalOrder) {
      const rows = await this.db
        .selectFrom('legal_orders')
        .innerJoin('legal_order_patrons', 'legal_order_patrons.order_id', 'legal_orders.id')
        .select([
          'legal_order_patrons.patron_id',
          'reference',
          'scope',
          'valid_from',
          'valid_until',
          'approved_at',
        ])
        .where('legal_orders.reference', '=', caller.legalOrder)
        // Two people: only an order approved by a custodian other than its registrar discloses.
        .where('approved_at', 'is not', null)
        .where('registered_by', 'is not', null)
        .whereRef('approved_by', '!=', 'registered_by')
        .where('legal_order_patrons.patron_id', 'in', ids)
        .execute();
      for (const r of rows) {
        // It takes effect at its approval at the earliest.
        const validFrom =
          r.approved_at !== null && r.approved_at > r.valid_from ? r.approved_at : r.valid_from;
        orders.set(r.patron_id, [
          { reference: r.reference, scope: scopeOf(r.scope), validFrom, validUntil: r.valid_until },
        ]);
      }
    }

    return subjects.map((id) => {
      const birthDate = birth.get(id);
      if (birthDate === undefined) {
        return {
          patronId: id,
          exists: false,
          birthDate: null,
          callerIsGuardian: false,
          consents: [],
          legalOrders: [],
        };
      }
      return {
        patronId: id,
        exists: true,
        birthDate,
        callerIsGuardian: guarded.has(id),
        consents: consents.get(id) ?? [],
        legalOrders: orders.get(id) ?? [],
      };
    });
  }
}
