import { sql, type Kysely } from 'kysely';
import { dialectOf } from './dialect.js';

/** Any Kysely handle, whatever its tables. */
type Handle = Pick<Kysely<unknown>, 'getExecutor'>;

/** A job's single-run lock, held until released. */
export interface SingleRunLease {
  release(): Promise<void>;
}

const granted: SingleRunLease = { release: async () => {} };

/**
 * Takes the lock that lets one process at a time run `job` (e.g. `purge:circulation`) over the
 * store of `db`, without waiting: null when another process holds it (with `wait`, it waits for
 * that process to finish instead). On PostgreSQL it is a
 * session advisory lock keyed by the store's schema and the job's name, held on one pooled
 * connection set aside until `release` (a crashed holder's connection ends, and its lock with it).
 * Not a transaction-level lock: a transaction left open for the whole job would keep a snapshot
 * that stops VACUUM from removing the purged rows' old versions. On SQLite every store is a file
 * of one host written one transaction at a time, and the lock is always granted, as before.
 */
export async function trySingleRun(
  db: Handle,
  job: string,
  options: { wait?: boolean } = {},
): Promise<SingleRunLease | null> {
  if (dialectOf(db) !== 'postgres') return granted;
  const key = sql`hashtext('library-graph single run'), hashtext(current_schema() || ':' || ${job})`;
  let decide!: (locked: boolean) => void;
  let fail!: (error: unknown) => void;
  const decided = new Promise<boolean>((resolve, reject) => {
    decide = resolve;
    fail = reject;
  });
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const held = (db as Kysely<unknown>).connection().execute(async (connection) => {
    const { rows } = options.wait
      ? await sql<{
          locked: boolean;
        }>`SELECT true AS locked FROM (SELECT pg_advisory_lock(${key})) AS waited`.execute(
          connection,
        )
      : await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${key}) AS locked`.execute(
          connection,
        );
    const locked = rows[0]?.locked === true;
    decide(locked);
    if (!locked) return;
    try {
      await finished;
    } finally {
      await sql`SELECT pg_advisory_unlock(${key})`.execute(connection);
    }
  });
  // Before the decision, a failure is the caller's; after it, the lock ended with its connection.
  held.catch(fail);
  if (!(await decided)) {
    await held;
    return null;
  }
  return {
    release: async () => {
      finish();
      await held.catch(() => undefined);
    },
  };
}

/**
 * Takes every lock of `jobs` (in order, without waiting unless `wait`), or none: null when another
 * process holds any of them.
 */
export async function trySingleRunAll(
  db: Handle,
  jobs: readonly string[],
  options: { wait?: boolean } = {},
): Promise<SingleRunLease | null> {
  const leases: SingleRunLease[] = [];
  const releaseAll = async () => {
    for (const lease of leases.reverse()) await lease.release();
  };
  try {
    for (const job of jobs) {
      const lease = await trySingleRun(db, job, options);
      if (!lease) {
        await releaseAll();
        return null;
      }
      leases.push(lease);
    }
  } catch (error) {
    await releaseAll();
    throw error;
  }
  return { release: releaseAll };
}

/**
 * Runs `work` over those of `targets` (stores by name) whose locks this process takes; the
 * others are left to the process running the same job on them, and named in `skipped`. Each
 * target's locks are `jobs(name)`, all taken or none. With `onWait`, a target whose locks are
 * held is not skipped: `onWait(name)` is told, and the run waits for them (the command-line tools'
 * `--wait`; only the scheduled jobs, which never wait, take several locks, so waiting cannot
 * deadlock).
 */
export async function runEachAlone<Targets extends { [name: string]: Handle | undefined }, T>(
  targets: Targets,
  jobs: (name: keyof Targets & string) => readonly string[],
  work: (mine: Partial<Targets>) => Promise<T>,
  options: { onWait?: (name: keyof Targets & string) => void } = {},
): Promise<{ value: T; skipped: (keyof Targets & string)[] }> {
  const mine: Partial<Targets> = {};
  const skipped: (keyof Targets & string)[] = [];
  const leases: SingleRunLease[] = [];
  try {
    for (const name of Object.keys(targets) as (keyof Targets & string)[]) {
      const db = targets[name];
      if (!db) continue;
      let lease = await trySingleRunAll(db, jobs(name));
      if (!lease && options.onWait) {
        options.onWait(name);
        lease = await trySingleRunAll(db, jobs(name), { wait: true });
      }
      if (lease) {
        leases.push(lease);
        mine[name] = db;
      } else skipped.push(name);
    }
    return { value: await work(mine), skipped };
  } finally {
    for (const lease of leases) await lease.release();
  }
}
