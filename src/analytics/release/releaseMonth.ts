import { sql, type Kysely } from 'kysely';
import { protectMonth, type ReleasedCell } from './protect.js';
import { tallyPeople } from './people.js';
import { CIRCULATION_SCOPE, EVENTS_SCOPE, type ReleaseScope } from './scopes.js';
import { destroyTally, readTally, tallyLinked } from './tally.js';
import { noisyMonth, type DpParameters, type NoisyCell } from './dp.js';
import { KEY_SEPARATOR, type ReleaseTables } from './tables.js';
import { dialectOf } from '../../db/dialect.js';

/** What a release run needs to know. */
export interface ReleaseOptions {
  /** k: the fewest distinct people a published number may stand for. */
  k: number;
  /** The instant of the run: only months before its month are closed. */
  now?: Date;
  /** Make a new version even when the month is released (a correction), with this reason. */
  correction?: string | undefined;
  /**
   * Also make the month's differentially private release (first release only: a correction has
   * no tally left to bound contributions with, so DP answers keep the earlier version).
   */
  dp?: DpParameters | undefined;
}

/** What a release run did for one month. */
export interface ReleaseSummary {
  scope: string;
  month: string;
  id: string;
  version: number;
  /** False when the month was already released and no correction was asked. */
  created: boolean;
  cells: number;
  suppressed: number;
  seconds: number;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The month of an instant, 'YYYY-MM' (UTC). */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** Whether `month` has ended at `now`: the open month (and any later) is never released. */
export const isClosed = (month: string, now: Date): boolean => month < monthOf(now);

/** The latest release of a month, or undefined. */
async function latest(db: Kysely<ReleaseTables>, scope: string, month: string) {
  return db
    .selectFrom('stats_releases')
    .selectAll()
    .where('scope', '=', scope)
    .where('month', '=', month)
    .where('mode', '=', 'suppression')
    .orderBy('version', 'desc')
    .executeTakeFirst();
}

/**
 * Releases `month` of `scope`: tallies the rows still linked, counts the month's finest cells,
 * protects every grouping at once (protect.ts), stores the release and destroys the month's
 * tally, in one transaction. An existing release is kept as it is unless a correction is asked,
 * which writes the next version (people then come from the tally if any is left, else from the
 * previous version: they do not change when counts are corrected; every cell the previous version
 * hid stays hidden).
 */
export async function releaseMonth(
  db: Kysely<ReleaseTables>,
  scope: ReleaseScope,
  month: string,
  options: ReleaseOptions,
): Promise<ReleaseSummary> {
  if (!MONTH.test(month)) throw new Error(`Not a month (YYYY-MM): ${month}`);
  const now = options.now ?? new Date();
  if (!isClosed(month, now))
    throw new Error(`${month} is not closed yet: only months before ${monthOf(now)} are released.`);
  const started = performance.now();
  const summary = await db.transaction().execute(async (trx) => {
    const previous = await latest(trx, scope.name, month);
    if (previous && !options.correction) {
      const counts = await trx
        .selectFrom('stats_release_cells')
        .select((eb) => [
          eb.fn.countAll<number>().as('cells'),
          eb.fn.sum<number>('suppressed').as('suppressed'),
        ])
        .where('release_id', '=', previous.id)
        .executeTakeFirstOrThrow();
      return {
        scope: scope.name,
        month,
        id: previous.id,
        version: previous.version,
        created: false,
        cells: Number(counts.cells),
        suppressed: Number(counts.suppressed ?? 0),
        seconds: 0,
      };
    }
    if (!previous) await tallyLinked(trx, scope, { month });
    const cells = await scope.cells(trx, month);
    // The month's tally, read once: distinct people here, contributions of the DP release below.
    const tally = previous ? [] : await readTally(trx, month);
    const people = previous
      ? await releasedPeople(trx, previous.id)
      : tallyPeople(tally, scope.dimensions.length);
    // A correction only adds to what the earlier version hid (its recount may move secondary suppression).
    const hiddenBefore = previous ? await suppressedCells(trx, previous.id) : new Set<string>();
    const released = protectMonth(
      {
        dimensions: scope.dimensions.length,
        cells,
        metrics: scope.metrics,
        people: (g, key) => people.get(`${g}:${key.join(KEY_SEPARATOR)}`) ?? 0,
        hiddenBefore: (g, key) => hiddenBefore.has(`${g}:${key.join(KEY_SEPARATOR)}`),
      },
      options.k,
    );
    const version = (previous?.version ?? 0) + 1;
    const id = `${scope.name}:${month}:suppression:v${version}`;
    await trx
      .insertInto('stats_releases')
      .values({
        id,
        scope: scope.name,
        month,
        version,
        mode: 'suppression',
        k: options.k,
        epsilon: null,
        contribution: null,
        released_at: now.toISOString(),
        reason: options.correction ?? 'closed',
      })
      .execute();
    await insertCells(trx, id, released);
    if (options.dp && !previous) {
      const dpId = `${scope.name}:${month}:dp:v1`;
      const noisy = noisyMonth(dpId, await scope.domains(trx), tally, options.dp);
      await trx
        .insertInto('stats_releases')
        .values({
          id: dpId,
          scope: scope.name,
          month,
          version: 1,
          mode: 'dp',
          k: null,
          epsilon: options.dp.epsilon,
          contribution: options.dp.contribution,
          released_at: now.toISOString(),
          reason: 'closed',
        })
        .execute();
      await insertCells(trx, dpId, noisy);
    }
    await destroyTally(trx, month);
    return {
      scope: scope.name,
      month,
      id,
      version,
      created: true,
      cells: released.length,
      suppressed: released.filter((c) => c.suppressed).length,
      seconds: (performance.now() - started) / 1000,
    };
  });
  // The destroyed tally's pages are still in the WAL until it is checkpointed: checkpoint now (a
  // reader in another process may keep part of it; the next checkpoint, the purge's, finishes).
  if (summary.created && dialectOf(db) === 'sqlite')
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  return summary;
}

/** Writes a release's cells. */
export async function insertCells(
  db: Kysely<ReleaseTables>,
  id: string,
  cells: readonly (ReleasedCell | NoisyCell)[],
): Promise<void> {
  const rows = cells.map((c) => {
    const moe = 'moe' in c ? c.moe : null;
    return {
      release_id: id,
      grouping: c.grouping,
      key: c.key.join(KEY_SEPARATOR),
      c0: c.counts[0]!,
      c1: c.counts[1] ?? null,
      people: moe === null ? c.people : null,
      suppressed: c.suppressed ? 1 : 0,
      moe0: moe,
      moe1: null,
      moe_people: null,
    };
  });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('stats_release_cells')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** The cells a previous version suppressed, keyed like tallyPeople. */
async function suppressedCells(db: Kysely<ReleaseTables>, id: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('stats_release_cells')
    .select(['grouping', 'key'])
    .where('release_id', '=', id)
    .where('suppressed', '=', 1)
    .execute();
  return new Set(rows.map((r) => `${r.grouping}:${r.key}`));
}

/** The people of a previous version, keyed like tallyPeople. */
async function releasedPeople(db: Kysely<ReleaseTables>, id: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('stats_release_cells')
    .select(['grouping', 'key', 'people'])
    .where('release_id', '=', id)
    .execute();
  return new Map(rows.map((r) => [`${r.grouping}:${r.key}`, r.people ?? 0]));
}

/**
 * Releases every closed month of `scope` that has rows and no release yet, oldest first: what
 * the purge schedule runs before each purge (so a month is tallied before retention unlinks it)
 * and what a first start runs after seeding.
 */
export async function releaseClosedMonths(
  db: Kysely<ReleaseTables>,
  scope: ReleaseScope,
  options: ReleaseOptions,
): Promise<ReleaseSummary[]> {
  const now = options.now ?? new Date();
  const done = new Set(
    (
      await db
        .selectFrom('stats_releases')
        .select('month')
        .distinct()
        .where('scope', '=', scope.name)
        .where('mode', '=', 'suppression')
        .execute()
    ).map((r) => r.month),
  );
  const out: ReleaseSummary[] = [];
  for (const month of await scope.months(db)) {
    if (!isClosed(month, now) || done.has(month) || !MONTH.test(month)) continue;
    out.push(await releaseMonth(db, scope, month, { ...options, correction: undefined, now }));
  }
  return out;
}

/** The databases whose closed months to release; either may be absent (a process serving one subgraph). */
export interface ReleaseTargets {
  circulation?: Kysely<ReleaseTables> | undefined;
  events?: Kysely<ReleaseTables> | undefined;
}

/** Releases the closed months of every target (circulation, then events). */
export async function releaseAllClosed(
  targets: ReleaseTargets,
  options: ReleaseOptions,
): Promise<ReleaseSummary[]> {
  const out: ReleaseSummary[] = [];
  if (targets.circulation)
    out.push(...(await releaseClosedMonths(targets.circulation, CIRCULATION_SCOPE, options)));
  if (targets.events)
    out.push(...(await releaseClosedMonths(targets.events, EVENTS_SCOPE, options)));
  return out;
}
