import type SQLite from 'better-sqlite3';
import type { AuditTables } from './migrations.js';

/**
 * The patron index of the audit: which records of which chain concern a patron, for "who saw my
 * record". It is a set of sorted runs, as in an LSM tree (audit migration 0003_batches). Filing
 * writes every record not yet filed as one new run, appended at the end of the index; filing into
 * one B-tree keyed by patron rewrote index pages all over the file, more the larger it grew.
 * Runs merge size-tiered: once FANOUT runs share a level they become one run of the next, so a
 * record is rewritten once per level, in order, and a lookup seeks once per run and chain.
 */

/** A run of the index. */
type RunRow = AuditTables['audit_subject_runs'];

/** Per chain, the first and last seq a run may hold. */
type Ranges = Record<string, [number, number]>;

/** Runs of one level merge into one of the next once there are this many. */
const FANOUT = 8;

/** Runs of one level that a filing merges at once rather than waiting for a quiet moment. */
const PILED_UP = 4 * FANOUT;

/** The size of a level-0 run: what the filing thread files at a time (FILE_EVERY_RECORDS). */
const BASE_RUN = 5000;

/**
 * The largest merge. A merge holds SQLite's write lock, so appends wait for it: the cap keeps that
 * wait to about a second (docs/benchmarks/privacy.md), once per 320,000 records filed. Runs that
 * large stay as they are; a lookup seeks once per run and chain, which stays a few thousand seeks
 * over two years of a busy library's audit.
 */
export const MAX_MERGE = 400_000;

/** The level a run of this many entries belongs to. */
const levelOf = (entries: number): number =>
  Math.max(0, Math.floor(Math.log(entries / BASE_RUN) / Math.log(FANOUT)));

/**
 * The oldest FANOUT runs of the lowest level that has `waiting` runs and may still merge, if any.
 * `runs` come ordered by level, then age (run number).
 */
function mergeable(runs: readonly RunRow[], maxMerge: number, waiting: number): RunRow[] | null {
  const byLevel = new Map<number, RunRow[]>();
  for (const run of runs) {
    const level = byLevel.get(run.level);
    if (level) level.push(run);
    else byLevel.set(run.level, [run]);
  }
  for (const all of byLevel.values()) {
    const oldest = all.slice(0, FANOUT);
    if (
      all.length >= waiting &&
      oldest.length === FANOUT &&
      oldest.reduce((n, r) => n + r.entries, 0) <= maxMerge
    )
      return oldest;
  }
  return null;
}

/** The seqs all the given runs may hold, per chain. */
function mergedRanges(runs: readonly RunRow[]): Ranges {
  const ranges: Ranges = {};
  for (const r of runs) {
    for (const [chain, [first, last]] of Object.entries(JSON.parse(r.ranges) as Ranges)) {
      const had = ranges[chain];
      ranges[chain] = had ? [Math.min(had[0], first), Math.max(had[1], last)] : [first, last];
    }
  }
  return ranges;
}

/** SQL (parameters: chain, seq) for the `first_seq` of the batch of a chain that holds a seq, 0 when none does. */
const BATCH_AT =
  'select coalesce(max(first_seq), 0) as seq from audit_batches where chain = ? and first_seq <= ?';

/**
 * SQL for the filed records of some patrons (`?` list given as `${patrons}`): the batch row that
 * holds each, the record's place in it, the record itself and the hash before it. One seek per run,
 * chain and patron (the join order is forced: the planner would otherwise scan the index).
 */
export const filedRecordsSql = (patrons: string, where: string): string =>
  `select b.*, s.seq - b.first_seq as "index", b.records -> ('$[' || (s.seq - b.first_seq) || ']') as item,
     case when s.seq = b.first_seq then b.prev_hash else b.records ->> ('$[' || (s.seq - b.first_seq - 1) || '][2]') end as before
   from audit_subject_runs u cross join audit_subjects_upto c
     cross join audit_subjects s on s.run = u.run and s.chain = c.chain
     join audit_batches b on b.chain = s.chain
       and b.first_seq = (select max(x.first_seq) from audit_batches x where x.chain = s.chain and x.first_seq <= s.seq)
   where s.patron_id in (${patrons}) and ${where}
   order by b.id desc, s.seq desc limit ?`;

/**
 * SQL for the records of some patrons' filed records' repeats (see filedRecordsSql): each repeat
 * row (`b`, which the filter and cursor apply to) of the batch that holds a filed record, with that
 * record as the repeat's record at the same place. A repeat's records are not filed themselves.
 */
export const filedRepeatsSql = (patrons: string, where: string): string =>
  `select b.*, s.seq - l.first_seq as "index", l.records -> ('$[' || (s.seq - l.first_seq) || ']') as item, b.prev_hash as before
   from audit_subject_runs u cross join audit_subjects_upto c
     cross join audit_subjects s on s.run = u.run and s.chain = c.chain
     join audit_batches l on l.chain = s.chain
       and l.first_seq = (select max(x.first_seq) from audit_batches x where x.chain = s.chain and x.first_seq <= s.seq)
     join audit_batches b on b.chain = l.chain and b.repeats = l.first_seq
   where s.patron_id in (${patrons}) and ${where}
   order by b.id desc, s.seq desc limit ?`;

/** A chain's records as filed: `[patronId, seq]`. */
type Entry = [patronId: string, seq: number];

/**
 * What one writer appended since it last filed, per chain: enough to file those records without
 * reading them back from their batches (parsing every batch's JSON again). It is used only when it
 * holds exactly the records to file: if another process appended to the chain meanwhile, the seqs
 * this writer took are not one unbroken run, and the chain is filed from its batches.
 */
export class FreshRecords {
  /** Per chain: the first seq this writer appended, the seq after its last, and the entries of its records. */
  readonly #chains = new Map<string, { first: number; next: number; entries: Entry[] }>();

  /**
   * Notes a committed batch: its first seq, its records' patrons in order, and the seqs it took
   * (more than its patrons for a repeat, which has no records of its own to file).
   */
  add(chain: string, firstSeq: number, patrons: readonly string[], seqs = patrons.length): void {
    let known = this.#chains.get(chain);
    if (!known) this.#chains.set(chain, (known = { first: firstSeq, next: firstSeq, entries: [] }));
    // Seqs taken by another writer in between: what is known is no longer the whole stretch.
    if (known.next !== firstSeq) known.next = Number.NaN;
    for (let i = 0; i < patrons.length; i++) known.entries.push([patrons[i]!, firstSeq + i]);
    known.next += seqs;
  }

  /** The entries of a chain's records `from..to`, sorted as the index keeps them; null unless exactly those are known. */
  entries(chain: string, from: number, to: number): Entry[] | null {
    const known = this.#chains.get(chain);
    if (!known || known.first !== from || known.next - 1 !== to) return null;
    return known.entries.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x - y));
  }

  clear(): void {
    this.#chains.clear();
  }
}

/** Files, merges and purges the index over one connection to the audit database. */
export class SubjectIndex {
  readonly #file: (fresh: FreshRecords | undefined) => number;
  readonly #mergeOnce: () => boolean;
  readonly #unfile: (chain: string, upTo: number) => void;
  readonly #batchAt: SQLite.Statement<[string, number], { seq: number }>;

  constructor(db: SQLite.Database, options: { maxMerge?: number } = {}) {
    const uptos = db.prepare<[], { chain: string; seq: number }>(
      'select chain, seq from audit_subjects_upto',
    );
    const head = db.prepare<[string], { seq: number }>(
      'select last_seq as seq from audit_batches where chain = ? order by first_seq desc limit 1',
    );
    const batchAt = (this.#batchAt = db.prepare<[string, number], { seq: number }>(BATCH_AT));
    const runs = db.prepare<[], RunRow>('select * from audit_subject_runs order by level, run');
    const nextRun = db.prepare<[], { run: number }>(
      'select coalesce(max(run), 0) + 1 as run from audit_subject_runs',
    );
    const addRun = db.prepare<[number, number, number, string]>(
      'insert into audit_subject_runs (run, level, entries, ranges) values (?, ?, ?, ?)',
    );
    const advance = db.prepare<[number, string]>(
      'update audit_subjects_upto set seq = ? where chain = ?',
    );
    const file = db.prepare<[number, string, number, number, number]>(
      `insert or ignore into audit_subjects (run, chain, patron_id, seq)
       select ?, b.chain, r.value ->> 0, b.first_seq + r.key from audit_batches b, json_each(b.records) r
       where b.chain = ? and b.first_seq >= ? and b.first_seq + r.key > ? and b.first_seq + r.key <= ?
       order by 2, 3, 4`,
    );
    const fileKnown = db.prepare<[number, string, string]>(
      'insert or ignore into audit_subjects (run, chain, patron_id, seq) select ?, ?, value ->> 0, value ->> 1 from json_each(?)',
    );
    const copy = db.prepare<[number, string]>(
      `insert into audit_subjects (run, chain, patron_id, seq)
       select ?, chain, patron_id, seq from audit_subjects where run in (select value from json_each(?)) order by chain, patron_id, seq`,
    );
    const drop = db.prepare<[string]>(
      'delete from audit_subjects where run in (select value from json_each(?))',
    );
    const forget = db.prepare<[string]>(
      'delete from audit_subject_runs where run in (select value from json_each(?))',
    );

    /** Merges the oldest FANOUT runs of the lowest level with at least `waiting` runs; false when none has. */
    const merge = (waiting: number): boolean => {
      const merged = mergeable(runs.all(), options.maxMerge ?? MAX_MERGE, waiting);
      if (!merged) return false;
      const ids = JSON.stringify(merged.map((r) => r.run));
      const entries = merged.reduce((n, r) => n + r.entries, 0);
      const { run } = nextRun.get()!;
      copy.run(run, ids);
      drop.run(ids);
      forget.run(ids);
      addRun.run(
        run,
        Math.max(merged[0]!.level + 1, levelOf(entries)),
        entries,
        JSON.stringify(mergedRanges(merged)),
      );
      return true;
    };

    const fileAll = db.transaction((fresh: FreshRecords | undefined) => {
      const { run } = nextRun.get()!;
      const ranges: Ranges = {};
      let filed = 0;
      for (const { chain, seq } of uptos.all()) {
        const last = head.get(chain)?.seq ?? seq;
        if (last <= seq) continue;
        const known = fresh?.entries(chain, seq + 1, last);
        filed += known
          ? fileKnown.run(run, chain, JSON.stringify(known)).changes
          : file.run(run, chain, batchAt.get(chain, seq + 1)!.seq, seq, last).changes;
        ranges[chain] = [seq + 1, last];
        advance.run(last, chain);
      }
      if (filed > 0) {
        addRun.run(run, levelOf(filed), filed, JSON.stringify(ranges));
        // Merges wait for a quiet moment (merge), unless runs pile up because none comes.
        while (merge(PILED_UP));
      }
      return filed;
    });
    this.#file = (fresh) => fileAll.immediate(fresh);
    const mergeOnce = db.transaction(() => merge(FANOUT));
    this.#mergeOnce = () => mergeOnce.immediate();

    const unfileAll = db.prepare<[number, string]>(
      'delete from audit_subjects where run = ? and chain = ?',
    );
    const unfileUpTo = db.prepare<[number, string, number]>(
      'delete from audit_subjects where run = ? and chain = ? and seq <= ?',
    );
    const shrink = db.prepare<[number, string, number]>(
      'update audit_subject_runs set entries = entries - ?, ranges = ? where run = ?',
    );
    const emptied = db.prepare('delete from audit_subject_runs where entries <= 0');
    this.#unfile = (chain, upTo) => {
      for (const r of runs.all()) {
        const ranges = JSON.parse(r.ranges) as Ranges;
        const range = ranges[chain];
        if (!range || range[0] > upTo) continue;
        const whole = range[1] <= upTo;
        const { changes } = whole
          ? unfileAll.run(r.run, chain)
          : unfileUpTo.run(r.run, chain, upTo);
        if (whole) delete ranges[chain];
        else ranges[chain] = [upTo + 1, range[1]];
        shrink.run(changes, JSON.stringify(ranges), r.run);
      }
      emptied.run();
    };
  }

  /** The `first_seq` of the batch holding a chain's first record after `filedUpTo`: where its unfiled tail starts. */
  unfiledFrom(chain: string, filedUpTo: number): number {
    return this.#batchAt.get(chain, filedUpTo + 1)!.seq;
  }

  /**
   * Files every record not yet filed, in one transaction, as one new run. Returns how many were
   * filed. Records `fresh` knows are filed from it; the rest are read from their batches. Lookups
   * are complete either way: they read what is not yet filed from the chains.
   */
  file(fresh?: FreshRecords): number {
    return this.#file(fresh);
  }

  /**
   * Merges one set of runs that is due, if any, in one transaction; returns whether it did. The
   * filing thread calls it when no write has come for a while: a merge holds SQLite's write lock
   * (up to about a second), and busy moments are better spent appending.
   */
  mergeOnce(): boolean {
    return this.#mergeOnce();
  }

  /**
   * Removes a chain's entries up to a seq, inside the caller's transaction (the retention purge).
   * Whole runs' parts go by key prefix; only a run that straddles the cut is scanned.
   */
  unfile(chain: string, upTo: number): void {
    this.#unfile(chain, upTo);
  }
}
