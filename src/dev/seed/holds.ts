import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import { writeTable } from './batches.js';
import { BRANCHES } from './branches.js';
import { BRANCH_WEIGHTS } from './catalog.js';
import { MINUTE, iso } from './clock.js';
import {
  type CatalogState,
  type PatronState,
  type SeedContext,
  STREAMS,
  itemId,
  workId,
} from './context.js';
import { IN_SERVICE } from './formats.js';
import { pickPatron } from './loans.js';
import { Random } from './random.js';

type HoldRow = Omit<CirculationTables['holds'], 'id'>;

/** Share of holds whose copy is already on the hold shelf. */
const READY_SHARE = 0.3;
/** Draws before giving up on finding a free copy or a new (patron, work) pair. */
const ATTEMPTS = 50;

/**
 * Writes open holds. READY holds set aside a copy that is in service, not on loan, not on another
 * READY hold and not a persona's, at that copy's branch; WAITING holds (no copy yet) go mostly to
 * works with a copy out on loan. A patron holds a work at most once.
 */
export async function seedHolds(
  ctx: SeedContext,
  catalog: CatalogState,
  patrons: PatronState,
  target: number,
): Promise<number> {
  const rng = new Random(ctx.seed, STREAMS.holds);
  const anchor = ctx.clock.anchor;
  const itemCount = catalog.itemWork.length;
  const workCount = catalog.workFormat.length;
  const patronCount = patrons.ids.length;
  const persona = new Set(catalog.personaItems);
  const pairs = new Set<number>();
  const branchCount = Math.min(ctx.plan.branches, BRANCHES.length);

  const freeCopy = (): number | undefined => {
    for (let a = 0; a < ATTEMPTS; a++) {
      const n = rng.int(0, itemCount - 1);
      if (
        catalog.itemStatus[n] === IN_SERVICE &&
        !catalog.itemOnLoan[n] &&
        !catalog.itemOnHoldShelf[n] &&
        !persona.has(n)
      ) {
        return n;
      }
    }
    return undefined;
  };
  const wantedWork = (): number => {
    for (let a = 0; a < 5; a++) {
      const n = rng.int(0, itemCount - 1);
      if (catalog.itemOnLoan[n]) return catalog.itemWork[n] ?? 0;
    }
    return rng.int(0, workCount - 1);
  };

  function* holds(): Generator<HoldRow> {
    if (patronCount === 0 || itemCount === 0) return;
    for (let h = 0; h < target; h++) {
      for (let a = 0; a < ATTEMPTS; a++) {
        const p = pickPatron(rng, patronCount);
        const copy = rng.chance(READY_SHARE) ? freeCopy() : undefined;
        const work = copy === undefined ? wantedWork() : (catalog.itemWork[copy] ?? 0);
        const pair = p * workCount + work;
        if (pairs.has(pair)) continue;
        pairs.add(pair);
        const patronId = patrons.ids[p] ?? null;
        if (copy !== undefined) {
          catalog.itemOnHoldShelf[copy] = 1;
          yield {
            work_id: workId(work),
            patron_id: patronId,
            pickup_branch_id: BRANCHES[catalog.itemBranch[copy] ?? 0]?.id ?? 'br_01',
            placed_at: iso(anchor - rng.int(2 * 24 * 60, 30 * 24 * 60) * MINUTE),
            status: 'READY',
            item_id: itemId(copy),
            closed_at: null,
          };
        } else {
          yield {
            work_id: workId(work),
            patron_id: patronId,
            pickup_branch_id:
              BRANCHES[rng.weighted(BRANCH_WEIGHTS.subarray(0, branchCount))]?.id ?? 'br_01',
            placed_at: iso(anchor - rng.int(60, 60 * 24 * 60) * MINUTE),
            status: 'WAITING',
            item_id: null,
            closed_at: null,
          };
        }
        break;
      }
    }
  }

  ctx.progress('holds', 0, target);
  const onRows = (done: number) => ctx.progress('holds', done, target);
  const written = await writeTable(ctx.db.circulation, 'holds', holds(), onRows);
  ctx.count('circulation.holds', written);
  return written;
}
