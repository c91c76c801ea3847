import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import { PARTNER_PRINCIPAL, PERSONA_PATRONS, PERSONAS, SEEDED_LEGAL_ORDER } from '../personas.js';
import { HOUR, iso } from './clock.js';
import { type PatronState, type SeedContext, STREAMS } from './context.js';
import { Random } from './random.js';

type ConsentRow = Omit<CirculationTables['consents'], 'id'>;

/** The evidence the guardianship of the minor persona rests on. */
export const GUARDIANSHIP_EVIDENCE = 'card-application-2024-118';
/** The written consent of the patron persona to the partner. */
export const PERSONA_CONSENT_DOCUMENT = 'consent-form-2026-0031';

/**
 * Writes the registers behind the statute's exceptions: the guardian persona's guardianship of
 * the minor (d); the patron persona's consent to the partner (b), plus an expired and a revoked
 * consent of other patrons to test refusals; and the seeded subpoena (c) covering the patron
 * persona and two other patrons, registered by `records-custodian` and approved by
 * `records-custodian-2`.
 */
export async function seedRegisters(ctx: SeedContext, patrons: PatronState): Promise<number> {
  const db = ctx.db.circulation;
  const clock = ctx.clock;
  const rng = new Random(ctx.seed, STREAMS.registers);
  const others: string[] = [];
  for (let a = 0; others.length < 4 && a < 10_000 && patrons.ids.length > 0; a++) {
    const i = rng.int(0, patrons.ids.length - 1);
    const id = patrons.ids[i];
    if (id !== undefined && patrons.adult[i] && !others.includes(id)) others.push(id);
  }
  const [expiredConsenter, revokedConsenter, orderPatronA, orderPatronB] = others;
  if (!expiredConsenter || !revokedConsenter || !orderPatronA || !orderPatronB) {
    throw new Error('seed: too few adult patrons for the registers');
  }
  const at = (days: number, hour = 16): string => iso(clock.days(days) + hour * HOUR);
  ctx.progress('registers', 0, 8);

  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('guardianships')
      .values({
        guardian_id: PERSONA_PATRONS.guardian.id,
        minor_id: PERSONA_PATRONS.minor.id,
        evidence_ref: GUARDIANSHIP_EVIDENCE,
        created_at: at(-700, 17),
      })
      .execute();
    const consents: ConsentRow[] = [
      {
        patron_id: PERSONA_PATRONS.patron.id,
        grantee: PARTNER_PRINCIPAL,
        scope: JSON.stringify(['IDENTITY', 'CONTACT', 'CIRCULATION']),
        document_ref: PERSONA_CONSENT_DOCUMENT,
        valid_from: clock.isoDays(-30),
        valid_until: clock.isoDays(335),
        revoked_at: null,
        created_at: clock.isoDays(-30),
      },
      {
        patron_id: expiredConsenter,
        grantee: PARTNER_PRINCIPAL,
        scope: JSON.stringify(['IDENTITY', 'CONTACT']),
        document_ref: 'consent-form-2025-0007',
        valid_from: clock.isoDays(-400),
        valid_until: clock.isoDays(-35),
        revoked_at: null,
        created_at: clock.isoDays(-400),
      },
      {
        patron_id: revokedConsenter,
        grantee: PARTNER_PRINCIPAL,
        scope: JSON.stringify(['IDENTITY', 'CONTACT', 'CIRCULATION']),
        document_ref: 'consent-form-2026-0019',
        valid_from: clock.isoDays(-60),
        valid_until: clock.isoDays(305),
        revoked_at: at(-5),
        created_at: clock.isoDays(-60),
      },
    ];
    await trx.insertInto('consents').values(consents).execute();
    const order = await trx
      .insertInto('legal_orders')
      .values({
        reference: SEEDED_LEGAL_ORDER,
        kind: 'SUBPOENA',
        authority: 'Jefferson County District Court',
        scope: JSON.stringify(['IDENTITY', 'CIRCULATION']),
        valid_from: clock.isoDays(-10),
        valid_until: clock.isoDays(80),
        created_at: clock.isoDays(-10),
        // Two-person rule: registered by one custodian, approved by another the same afternoon.
        registered_by: PERSONAS['records-custodian'].sub,
        approved_by: PERSONAS['records-custodian-2'].sub,
        approved_at: at(-10, 15),
        sealed_until: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('legal_order_patrons')
      .values(
        [PERSONA_PATRONS.patron.id, orderPatronA, orderPatronB].map((patron_id) => ({
          order_id: order.id,
          patron_id,
        })),
      )
      .execute();
  });
  ctx.count('circulation.guardianships', 1);
  ctx.count('circulation.consents', 3);
  ctx.count('circulation.legal_orders', 1);
  ctx.count('circulation.legal_order_patrons', 3);
  ctx.progress('registers', 8, 8);
  return 8;
}
