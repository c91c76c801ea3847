import type { Kysely } from 'kysely';
import { ReleaseIndex, type IndexedRelease } from './releaseIndex.js';
import type { ReleaseScope } from './scopes.js';
import type { ReleaseTables } from './tables.js';

/** A release as `stats_releases` lists it (what is needed to find its cells). */
export interface ReleaseRow {
  id: string;
  month: string;
  mode: string;
}

/** The indexed releases of one scope of one database. */
interface ScopeCache {
  index: ReleaseIndex;
  /** The release in memory per `<mode>:<month>`: one version each, the latest asked for. */
  held: Map<string, IndexedRelease>;
  /** Reads under way, per release id, so that concurrent answers read a release once. */
  reading: Map<string, Promise<IndexedRelease>>;
}

/** Per database handle (a test's in-memory database, a subgraph's file), per scope. */
const caches = new WeakMap<object, Map<string, ScopeCache>>();

function cacheOf(db: Kysely<ReleaseTables>, scope: ReleaseScope): ScopeCache {
  let scopes = caches.get(db);
  if (!scopes) caches.set(db, (scopes = new Map()));
  let cache = scopes.get(scope.name);
  if (!cache)
    scopes.set(
      scope.name,
      (cache = {
        index: new ReleaseIndex(scope.dimensions, scope.metrics),
        held: new Map(),
        reading: new Map(),
      }),
    );
  return cache;
}

/**
 * The releases `rows` names, indexed in memory (ReleaseIndex), read from the database only the
 * first time each is asked for. A release never changes (the database refuses edits), so what is
 * held stays true; a correction is a new version with a new id, which replaces the one held for
 * its month when an answer first asks for it.
 */
export async function indexedReleases(
  db: Kysely<ReleaseTables>,
  scope: ReleaseScope,
  rows: readonly ReleaseRow[],
): Promise<{ index: ReleaseIndex; releases: IndexedRelease[] }> {
  const cache = cacheOf(db, scope);
  const releases = await Promise.all(
    rows.map((row) => {
      const slot = `${row.mode}:${row.month}`;
      const held = cache.held.get(slot);
      if (held?.id === row.id) return held;
      let reading = cache.reading.get(row.id);
      if (!reading) {
        reading = readRelease(db, cache.index, row).then(
          (release) => {
            cache.reading.delete(row.id);
            // Keep the newest version asked for: ids of one month and mode differ by version only.
            const current = cache.held.get(slot);
            if (!current || versionOf(current.id) <= versionOf(release.id))
              cache.held.set(slot, release);
            return release;
          },
          (error: unknown) => {
            cache.reading.delete(row.id);
            throw error;
          },
        );
        cache.reading.set(row.id, reading);
      }
      return reading;
    }),
  );
  return { index: cache.index, releases };
}

/** The version of a release id, `<scope>:<month>:<mode>:v<version>`. */
const versionOf = (id: string): number => Number(/:v(\d+)$/.exec(id)?.[1] ?? 0);

async function readRelease(
  db: Kysely<ReleaseTables>,
  index: ReleaseIndex,
  row: ReleaseRow,
): Promise<IndexedRelease> {
  const cells = await db
    .selectFrom('stats_release_cells')
    .select(['grouping', 'key', 'c0', 'c1', 'people', 'suppressed', 'moe0', 'moe1', 'moe_people'])
    .where('release_id', '=', row.id)
    .execute();
  return index.index(row.id, row.month, cells);
}

/**
 * Reads the latest release of every month of `scope`, in every protection mode, into memory, so
 * that answers after it read nothing but the list of releases. Run after releasing at start.
 */
export async function warmReleases(
  db: Kysely<ReleaseTables>,
  scope: ReleaseScope,
): Promise<number> {
  const rows = await db
    .selectFrom('stats_releases')
    .select(['id', 'month', 'mode', 'version'])
    .where('scope', '=', scope.name)
    .orderBy('version', 'desc')
    .execute();
  const latest = new Map<string, ReleaseRow>();
  for (const r of rows)
    if (!latest.has(`${r.mode}:${r.month}`)) latest.set(`${r.mode}:${r.month}`, r);
  const { releases } = await indexedReleases(db, scope, [...latest.values()]);
  return releases.length;
}
