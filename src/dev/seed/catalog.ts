import type { CatalogTables } from '../../../subgraphs/catalog/migrations.js';
import type { CirculationTables } from '../../../subgraphs/circulation/migrations.js';
import type { Kysely } from 'kysely';
import { insertChunk, writeInChunks, writeTable } from './batches.js';
import { CopyWriter, copies } from './copy.js';
import { withIndexesDeferred } from './durability.js';
import { Bibliographer } from './bibliography.js';
import { BRANCHES } from './branches.js';
import { type CatalogState, type SeedContext, STREAMS, itemId, workId } from './context.js';
import { FORMATS, FORMAT_WEIGHTS, ITEM_STATUSES, ITEM_STATUS_WEIGHTS } from './formats.js';
import { Random, cumulative, drawShare, seededFaker, withCheckDigit } from './random.js';

type WorkRow = CatalogTables['works'];
type ItemRow = CatalogTables['items'];
type CirculationItemRow = CirculationTables['items'];

/** Branch index per draw, weighted by branch size. */
export const BRANCH_WEIGHTS = cumulative(BRANCHES.map((b) => b.weight));

/** Writes the ten branches. */
export async function seedBranches(ctx: SeedContext): Promise<void> {
  const rows = BRANCHES.slice(0, ctx.plan.branches).map(({ id, code, name, address }) => ({
    id,
    code,
    name,
    address,
  }));
  ctx.progress('branches', 0, rows.length);
  await ctx.db.catalog.insertInto('branches').values(rows).execute();
  ctx.count('catalog.branches', rows.length);
  ctx.progress('branches', rows.length, rows.length);
}

/** Writes the works; returns each work's format and the call number its copies will carry. */
export async function seedWorks(
  ctx: SeedContext,
): Promise<{ workFormat: Uint8Array; callNumbers: string[] }> {
  const total = ctx.plan.works;
  const rng = new Random(ctx.seed, STREAMS.works);
  const faker = seededFaker(ctx.seed, STREAMS.works);
  const currentYear = new Date(ctx.clock.anchor).getUTCFullYear();
  const bibliographer = new Bibliographer(
    faker,
    rng,
    currentYear,
    Math.max(50, Math.floor(total / 3)),
  );
  const formatWeights = cumulative(FORMAT_WEIGHTS);
  const workFormat = new Uint8Array(total);
  const callNumbers: string[] = new Array<string>(total);

  function* works(): Generator<WorkRow> {
    for (let i = 0; i < total; i++) {
      const f = rng.weighted(formatWeights);
      const format = FORMATS[f] ?? 'BOOK';
      const b = bibliographer.record(format);
      workFormat[i] = f;
      callNumbers[i] = b.callNumber;
      yield {
        id: workId(i),
        title: b.title,
        creators: JSON.stringify(b.creators),
        subjects: JSON.stringify(b.subjects),
        isbn: b.isbn,
        year: b.year,
        format,
      };
    }
  }

  ctx.progress('works', 0, total);
  const onRows = (done: number) => ctx.progress('works', done, total);
  const written = await writeTable(ctx.db.catalog, 'works', works(), onRows, {
    deferIndexes: true,
  });
  ctx.count('catalog.works', written);
  return { workFormat, callNumbers };
}

/**
 * Writes the items (copies) to the catalog and their projection (same id, work, format, branch)
 * to circulation, chunk by chunk, so both databases always agree. Every work has at least one copy.
 */
export async function seedItems(
  ctx: SeedContext,
  workFormat: Uint8Array,
  callNumbers: readonly string[],
): Promise<CatalogState> {
  const total = Math.max(ctx.plan.items, workFormat.length);
  const rng = new Random(ctx.seed, STREAMS.items);
  const statusWeights = cumulative(ITEM_STATUS_WEIGHTS);
  const state: CatalogState = {
    workFormat,
    itemWork: new Int32Array(total),
    itemBranch: new Uint8Array(total),
    itemStatus: new Uint8Array(total),
    itemOnLoan: new Uint8Array(total),
    itemOnHoldShelf: new Uint8Array(total),
    personaItems: [],
  };
  const branchCount = Math.min(ctx.plan.branches, BRANCHES.length);
  const branchWeights = cumulative(BRANCHES.slice(0, branchCount).map((b) => b.weight));

  function* items(): Generator<{ item: ItemRow; projection: CirculationItemRow }> {
    let n = 0;
    for (let w = 0; w < workFormat.length; w++) {
      const copies = drawShare(rng, total - n, workFormat.length - w, 1);
      const format = FORMATS[workFormat[w] ?? 0] ?? 'BOOK';
      // Copies of a work cluster in a couple of branches, as real collections do.
      const home = rng.weighted(branchWeights);
      for (let c = 0; c < copies; c++, n++) {
        const branch = c === 0 || rng.chance(0.5) ? home : rng.weighted(branchWeights);
        const status = rng.weighted(statusWeights);
        state.itemWork[n] = w;
        state.itemBranch[n] = branch;
        state.itemStatus[n] = status;
        const id = itemId(n);
        const branchId = BRANCHES[branch]?.id ?? 'br_01';
        yield {
          item: {
            id,
            work_id: workId(w),
            barcode: withCheckDigit(`39010${String(n + 1).padStart(8, '0')}`),
            branch_id: branchId,
            call_number: callNumbers[w] ?? 'FIC XXX',
            status: ITEM_STATUSES[status] ?? 'IN_SERVICE',
          },
          projection: { id, work_id: workId(w), format, branch_id: branchId },
        };
      }
    }
  }

  ctx.progress('items', 0, total);
  const written =
    copies(ctx.db.catalog) && copies(ctx.db.circulation)
      ? await copyItems(ctx, items(), total)
      : await writeInChunks(
          items(),
          async (chunk) => {
            await insertChunk(ctx.db.catalog, chunk, (trx, rows) =>
              trx
                .insertInto('items')
                .values(rows.map((r) => r.item))
                .execute(),
            );
            await insertChunk(ctx.db.circulation, chunk, (trx, rows) =>
              trx
                .insertInto('items')
                .values(rows.map((r) => r.projection))
                .execute(),
            );
          },
          (done) => ctx.progress('items', done, total),
        );
  ctx.count('catalog.items', written);
  ctx.count('circulation.items', written);
  return state;
}

/** PostgreSQL: the items and their circulation projection in two COPYs at once, keys built after. */
async function copyItems(
  ctx: SeedContext,
  rows: Iterable<{ item: ItemRow; projection: CirculationItemRow }>,
  total: number,
): Promise<number> {
  const catalog = ctx.db.catalog as Kysely<unknown>;
  const circulation = ctx.db.circulation as Kysely<unknown>;
  return withIndexesDeferred(catalog, 'items', () =>
    withIndexesDeferred(circulation, 'items', async () => {
      const items = await CopyWriter.open<ItemRow>(catalog, 'items', [
        'id',
        'work_id',
        'barcode',
        'branch_id',
        'call_number',
        'status',
      ]);
      const projections = await CopyWriter.open<CirculationItemRow>(circulation, 'items', [
        'id',
        'work_id',
        'format',
        'branch_id',
      ]);
      try {
        for (const { item, projection } of rows) {
          items.write(item);
          projections.write(projection);
          if (items.rows % 5_000 === 0) {
            await Promise.all([items.drained(), projections.drained()]);
            ctx.progress('items', items.rows, total);
          }
        }
        const [written] = await Promise.all([items.end(), projections.end()]);
        ctx.progress('items', written, total);
        return written;
      } catch (error) {
        items.abort(error);
        projections.abort(error);
        throw error;
      }
    }),
  );
}
