import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from '../../../db/open.js';
import { checkpointValid, signCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditTables } from './migrations.js';
import {
  chainBatch,
  chainRepeat,
  hashIn,
  headerOf,
  isRepeat,
  newestInBatch,
  older,
  recordAt,
  recordOf,
  type AuditCursor,
  type BatchRow,
  type ChainEnd,
  type Found,
  type StoredSubject,
} from './batchRow.js';
import { PagedAudit, type AuditFilter, type AuditPage } from './pagedAudit.js';
import { ChainWalk, walkStart, type BrokenLink } from './chainWalk.js';
import {
  filedRecordsSql,
  filedRepeatsSql,
  SubjectIndex,
  type FreshRecords,
} from './subjectIndex.js';
import {
  batchesOf,
  GENESIS,
  toWire,
  type DisclosureEntry,
  type DisclosureHeader,
  type RepeatedBatch,
  type StoredRecord,
  type WireBatch,
} from '../record.js';

export type { AuditCursor, AuditFilter, AuditPage };

/** The first broken link of a chain, or null when the chain holds. */
export interface ChainVerdict {
  chain: string;
  records: number;
  broken: { seq: number; problem: string } | null;
}

/** One request's batches for one chain: what the audit writer appends. */
export interface ChainAppend {
  chain: string;
  batches: readonly WireBatch[];
}

/** A batch as appended: its chain, first seq, the seqs it takes, and its records' patrons (none for a repeat). */
interface Appended {
  chain: string;
  firstSeq: number;
  seqs: number;
  patrons: readonly string[];
}

/** Where a batch of records was appended: its chain and first seq (the row a repeat of it names). */
export interface Placed {
  chain: string;
  firstSeq: number;
}

/**
 * The row a repeat of `batch` may name, given where the batches it was appended with were placed:
 * only a batch of records appended to the same chain, with the very same patrons and fields
 * (the same arrays: what the recorder hands a request that shares another's execution). Null
 * when there is none, and the batch is stored in full.
 */
export function repeatable(
  chain: string,
  batch: WireBatch,
  placedIn: (batch: WireBatch) => Placed | undefined,
): Placed | null {
  const of = batch.repeats;
  if (!of || of.patrons !== batch.patrons || of.fields !== batch.fields) return null;
  const placed = placedIn(of);
  return placed && placed.chain === chain ? placed : null;
}

/** The repeated row's place and last hash, read in the append's transaction: a repeat names only a row that is there. */
export const repeatedBatch = (
  row: Pick<BatchRow, 'first_seq' | 'last_seq' | 'hash' | 'repeats'> | undefined,
  records: number,
): RepeatedBatch | null =>
  row && !isRepeat(row) && row.last_seq - row.first_seq + 1 === records
    ? { firstSeq: row.first_seq, lastSeq: row.last_seq, hash: row.hash }
    : null;

/** Each chain's head: its newest record's place and hash (or its last cut's). */
export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}

/** What the store holds at one place of a chain (AuditStore.at). */
export type ChainPlace =
  | { kind: 'record'; hash: string }
  | { kind: 'purged'; hash: string | null }
  | { kind: 'forged'; cutSeq: number }
  | { kind: 'absent' };

/**
 * The disclosure audit as its readers and the CLI use it, on either engine: AuditStore (SQLite,
 * synchronous) or PostgresAuditStore (asynchronous); callers await every answer.
 */
export interface AuditLog {
  append(chain: string, entries: readonly DisclosureEntry[]): void | Promise<void>;
  query(filter: AuditFilter, first: number, after: AuditCursor | null): Promise<AuditPage>;
  forPatrons(
    ids: readonly string[],
    limit: number,
    keep?: (record: StoredRecord) => boolean,
  ): Promise<StoredRecord[][]>;
  heads(): ChainHead[] | Promise<ChainHead[]>;
  at(chain: string, seq: number): ChainPlace | Promise<ChainPlace>;
  chains(): string[] | Promise<string[]>;
  verify(chain: string): ChainVerdict | Promise<ChainVerdict>;
  purge(
    before: string,
    now?: Date,
  ): { chain: string; deleted: number }[] | Promise<{ chain: string; deleted: number }[]>;
}

/**
 * Where a retention cut moves when a batch at or before it has a repeat after it (a cut never falls
 * between them): to `back`, the place just before the oldest such batch. Null when that leaves
 * nothing to cut.
 */
export const cutBefore = <Cut extends { seq: number }>(cut: Cut, back: Cut): Cut | null =>
  back.seq > 0 && back.seq < cut.seq ? back : null;

/**
 * The append-only, hash-chained store of disclosure records. A request's records are stored as one
 * row per batch (audit migration 0003_batches), each record keeping its own place and hash in its
 * chain. Appends take SQLite's write lock first (BEGIN IMMEDIATE), read the chain's last hash and
 * insert in one synchronous transaction, so two processes appending to the audit never fork a chain.
 */
export class AuditStore extends PagedAudit implements AuditLog {
  readonly #sqlite: SQLite.Database;
  readonly #append: (appends: readonly ChainAppend[]) => Appended[];
  readonly #index: SubjectIndex;
  /** Where this store appended batches of records that committed, for repeats of them (see `repeatable`). */
  readonly #placed = new WeakMap<WireBatch, Placed>();
  readonly #row: SQLite.Statement<[string, number], BatchRow>;
  /** A chain's last retention cut. */
  readonly #lastCut: SQLite.Statement<[string], { seq: number; hash: string }>;

  constructor(
    database: SqliteDatabase<AuditTables>,
    private readonly key: string,
    options: {
      /** The largest merge of the patron index's runs (tests make it small). */ maxMerge?: number;
    } = {},
  ) {
    super();
    this.#sqlite = database.sqlite;
    const db = this.#sqlite;
    this.#index = new SubjectIndex(db, options);
    const last = db.prepare<[string], { seq: number; hash: string }>(
      'select last_seq as seq, hash from audit_batches where chain = ? order by first_seq desc limit 1',
    );
    const lastCut = (this.#lastCut = db.prepare<[string], { seq: number; hash: string }>(
      'select seq, hash from audit_checkpoints where chain = ? order by seq desc limit 1',
    ));
    const insert = db.prepare(
      `insert into audit_batches (chain, first_seq, last_seq, at, request_id, principal, roles, exception, reference, purpose, records, prev_hash, hash, repeats)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#row = db.prepare<[string, number], BatchRow>(
      'select * from audit_batches where chain = ? and first_seq = ?',
    );
    const placedRow = db.prepare<
      [string, number],
      Pick<BatchRow, 'first_seq' | 'last_seq' | 'hash' | 'repeats'>
    >(
      'select first_seq, last_seq, hash, repeats from audit_batches where chain = ? and first_seq = ?',
    );
    const tracked = db.prepare(
      'insert or ignore into audit_subjects_upto (chain, seq) values (?, 0)',
    );
    const append = db.transaction((appends: readonly ChainAppend[]) => {
      const appended: Appended[] = [];
      const ends = new Map<string, ChainEnd>();
      const placed = new Map<WireBatch, Placed>();
      const placedIn = (b: WireBatch) => placed.get(b) ?? this.#placed.get(b);
      for (const { chain, batches } of appends) {
        if (!ends.has(chain)) tracked.run(chain);
        let end = ends.get(chain) ??
          last.get(chain) ??
          lastCut.get(chain) ?? { seq: 0, hash: GENESIS };
        for (const batch of batches) {
          if (batch.patrons.length === 0) continue;
          const at = repeatable(chain, batch, placedIn);
          const of = at && repeatedBatch(placedRow.get(chain, at.firstSeq), batch.patrons.length);
          const chained = of ? chainRepeat(chain, batch, end, of) : chainBatch(chain, batch, end);
          insert.run(
            chain,
            chained.firstSeq,
            chained.lastSeq,
            batch.at,
            batch.requestId,
            batch.principal,
            JSON.stringify(batch.roles),
            batch.exception,
            batch.reference,
            batch.purpose,
            chained.records,
            chained.prevHash,
            chained.hash,
            of?.firstSeq ?? null,
          );
          appended.push({
            chain,
            firstSeq: chained.firstSeq,
            seqs: chained.lastSeq - chained.firstSeq + 1,
            patrons: of ? [] : batch.patrons,
          });
          if (!of) placed.set(batch, { chain, firstSeq: chained.firstSeq });
          end = { seq: chained.lastSeq, hash: chained.hash };
        }
        ends.set(chain, end);
      }
      return { appended, placed };
    });
    this.#append = (appends) => {
      // Only what committed may be repeated: a transaction that failed placed nothing.
      const { appended, placed } = append.immediate(appends);
      for (const [batch, at] of placed) this.#placed.set(batch, at);
      return appended;
    };
  }

  /** Appends records to a chain, atomically; throws (and writes nothing) on any failure. */
  append(chain: string, entries: readonly DisclosureEntry[]): void {
    this.appendAll([{ chain, batches: batchesOf(entries).map(toWire) }]);
  }

  /**
   * Appends several requests' batches (of one chain or several) in one transaction: all of them
   * or none. This is the audit writer's group commit, one transaction for the requests that
   * arrived together. Once committed, they are noted in `fresh`, for filing (fileSubjects). A
   * batch that repeats one this store appended (`WireBatch.repeats`) is stored as a repeat of it.
   */
  appendAll(appends: readonly ChainAppend[], fresh?: Pick<FreshRecords, 'add'>): void {
    if (!appends.some((a) => a.batches.some((b) => b.patrons.length > 0))) return;
    for (const { chain, firstSeq, seqs, patrons } of this.#append(appends))
      fresh?.add(chain, firstSeq, patrons, seqs);
  }

  /**
   * Files every record not yet filed under its patron, in one transaction, as one new sorted run
   * of the patron index (see SubjectIndex), from `fresh` where it knows them. Returns how many were
   * filed. Lookups are complete either way: they read what is not yet filed from the chains.
   */
  fileSubjects(fresh?: FreshRecords): number {
    return this.#index.file(fresh);
  }

  /**
   * Merges one set of runs of the patron index that is due, if any, in one transaction; returns
   * whether it did. The filing thread calls it when no write has come for a while: a merge holds
   * SQLite's write lock (up to about a second), and busy moments are better spent appending.
   */
  mergeRuns(): boolean {
    return this.#index.mergeOnce();
  }

  /** SQL conditions on batch rows (alias `b`) for a filter and a cursor, with their parameters. */
  #conditions(
    filter: AuditFilter,
    after: AuditCursor | null,
  ): { where: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      clauses.push(clause);
      params.push(value);
    };
    if (filter.principal) add('b.principal = ?', filter.principal);
    if (filter.exception) add('b.exception = ?', filter.exception);
    if (filter.from) add('b.at >= ?', filter.from);
    if (filter.to) add('b.at < ?', filter.to);
    if (after) add('b.id <= ?', after.batch);
    return { where: clauses.length ? clauses.join(' and ') : '1', params };
  }

  /**
   * A batch row's records as stored: its own, or a repeat's, those of the row it repeats (none if
   * that row is missing, which audit:verify reports).
   */
  #subjectsOf(row: BatchRow): StoredSubject[] {
    const source = isRepeat(row) ? this.#row.get(row.chain, row.repeats!) : row;
    return source ? (JSON.parse(source.records) as StoredSubject[]) : [];
  }

  /** Up to `limit` records of matching batches, newest first, after the cursor. */
  protected scan(filter: AuditFilter, limit: number, after: AuditCursor | null): Found[] {
    const { where, params } = this.#conditions(filter, after);
    const found: Found[] = [];
    const rows = this.#sqlite
      .prepare<unknown[], BatchRow>(
        `select * from audit_batches b where ${where} order by b.id desc`,
      )
      .iterate(...params);
    for (const row of rows) {
      for (const f of newestInBatch(row, after, this.#subjectsOf(row))) {
        found.push(f);
        if (found.length === limit) {
          rows.return?.();
          return found;
        }
      }
    }
    return found;
  }

  /**
   * Up to `limit` records of the given patrons, newest first, after the cursor: the records filed
   * under them, plus the chains' unfiled tails. The filing point is read first, so a record filed
   * meanwhile is found twice (and kept once) rather than missed.
   */
  protected ofPatrons(
    ids: readonly string[],
    filter: AuditFilter,
    limit: number,
    after: AuditCursor | null,
  ): Found[] {
    if (ids.length === 0) return [];
    const uptos = this.#sqlite
      .prepare<[], { chain: string; seq: number }>('select chain, seq from audit_subjects_upto')
      .all();
    const { where, params } = this.#conditions(filter, after);
    const marks = ids.map(() => '?').join(', ');
    const found = new Map<string, Found>();
    const wanted = new Set(ids);
    // An index entry filed under the wrong patron must not show them someone else's record.
    const keep = (f: Found) => {
      if (wanted.has(f.record.patronId) && (!after || older(f.cursor, after)))
        found.set(`${f.cursor.batch}:${f.cursor.index}`, f);
    };

    // Filed: one seek per run, chain and patron; each entry points into the batch that holds its
    // seq, and only that record is read.
    // Their repeats are not filed: each is found from the batch it repeats, through its index.
    const filedRows = (sqlFor: string) =>
      this.#sqlite
        .prepare<unknown[], BatchRow & { item: string; before: string; index: number }>(sqlFor)
        .all(...ids, ...params, limit + 1);
    const filed = [
      ...filedRows(filedRecordsSql(marks, where)),
      ...filedRows(filedRepeatsSql(marks, where)),
    ];
    for (const row of filed) {
      keep({
        record: recordOf(
          row,
          headerOf(row),
          row.index,
          JSON.parse(row.item) as StoredSubject,
          row.before,
        ),
        cursor: { batch: row.id, index: row.index },
      });
    }

    // Unfiled: every batch from the one holding each chain's first unfiled record on.
    for (const { chain, seq: filedUpTo } of uptos) {
      const start = this.#index.unfiledFrom(chain, filedUpTo);
      const rows = this.#sqlite
        .prepare<unknown[], BatchRow>(
          `select * from audit_batches b where b.chain = ? and b.first_seq >= ? and ${where}`,
        )
        .all(chain, start, ...params);
      for (const row of rows) {
        const subjects = this.#subjectsOf(row);
        let header: DisclosureHeader | null = null;
        subjects.forEach((subject, index) => {
          // A filed record was found above; so was a repeat of one, from it.
          const filed = (isRepeat(row) ? row.repeats! : row.first_seq) + index <= filedUpTo;
          if (filed || !wanted.has(subject[0])) return;
          header ??= headerOf(row);
          keep({
            record: recordAt(row, header, subjects, index),
            cursor: { batch: row.id, index },
          });
        });
      }
    }
    return [...found.values()].sort((a, b) => (older(a.cursor, b.cursor) ? 1 : -1)).slice(0, limit);
  }

  /**
   * Each chain's head: its newest record's place and hash (or, for a chain purged to its end, its
   * last cut's). What the anchors sign and write out (anchor.ts).
   */
  heads(): ChainHead[] {
    const last = this.#sqlite.prepare<[string], { seq: number; hash: string }>(
      'select last_seq as seq, hash from audit_batches where chain = ? order by first_seq desc limit 1',
    );
    const cut = this.#sqlite.prepare<[string], { seq: number; hash: string }>(
      'select seq, hash from audit_checkpoints where chain = ? order by seq desc limit 1',
    );
    return this.#sqlite.transaction(() =>
      this.chains().flatMap((chain) => {
        const head = last.get(chain) ?? cut.get(chain);
        return head ? [{ chain, ...head }] : [];
      }),
    )();
  }

  /**
   * What the store holds at one place of a chain: the record's hash; or `purged` when a retention
   * cut lies at or beyond it (its hash, if the cut is exactly there); `forged` when that cut's
   * signature does not verify; or `absent`.
   */
  at(chain: string, seq: number): ChainPlace {
    const row = this.#sqlite
      .prepare<[string, number, number], BatchRow>(
        'select * from audit_batches where chain = ? and first_seq <= ? and last_seq >= ?',
      )
      .get(chain, seq, seq);
    const hash = row && hashIn(row, seq);
    if (hash !== undefined) return { kind: 'record', hash };
    const cut = this.#sqlite
      .prepare<[string, number], Checkpoint & { signature: string }>(
        'select * from audit_checkpoints where chain = ? and seq >= ? order by seq limit 1',
      )
      .get(chain, seq);
    // Only a cut signed with the audit key vouches for records gone; a fake one is itself a finding.
    if (cut && !checkpointValid(cut, cut.signature, this.key))
      return { kind: 'forged', cutSeq: cut.seq };
    if (cut) return { kind: 'purged', hash: cut.seq === seq ? cut.hash : null };
    return { kind: 'absent' };
  }

  /** Every batch row, in the order written (for copying the audit to PostgreSQL). */
  batches(): IterableIterator<BatchRow> {
    return this.#sqlite.prepare<[], BatchRow>('select * from audit_batches order by id').iterate();
  }

  /** Every signed retention cut (for copying the audit to PostgreSQL). */
  checkpoints(): (Checkpoint & { signature: string })[] {
    return this.#sqlite
      .prepare<[], Checkpoint & { signature: string }>(
        'select chain, seq, hash, at, signature from audit_checkpoints order by chain, seq',
      )
      .all();
  }

  /** The chains present in the store. */
  chains(): string[] {
    const rows = this.#sqlite
      .prepare<[], { chain: string }>(
        'select distinct chain from audit_batches union select distinct chain from audit_checkpoints',
      )
      .all();
    return rows.map((r) => r.chain).sort();
  }

  /**
   * Walks one chain from its latest signed checkpoint (or its genesis) and names the first broken
   * link: a record edited (hash), deleted or reordered (sequence or previous hash), or a forged cut;
   * and, alongside, a filed record missing from the patron index, which would hide it from its
   * patron. One read transaction: a writer appending meanwhile does not disturb the walk.
   */
  verify(chain: string): ChainVerdict {
    return this.#sqlite.transaction(() => this.#verify(chain))();
  }

  #verify(chain: string): ChainVerdict {
    const db = this.#sqlite;
    const cuts = db
      .prepare<[string], Checkpoint & { signature: string }>(
        'select * from audit_checkpoints where chain = ? order by seq',
      )
      .all(chain);
    const from = walkStart(cuts, this.key);
    if ('broken' in from) return { chain, records: 0, broken: from.broken };
    const walk = new ChainWalk(chain, from.start);
    const filedUpTo =
      db
        .prepare<[string], { seq: number }>('select seq from audit_subjects_upto where chain = ?')
        .get(chain)?.seq ?? 0;
    const rows = db
      .prepare<[string, number], BatchRow>(
        'select * from audit_batches where chain = ? and last_seq > ? order by first_seq',
      )
      .iterate(chain, from.start.seq);
    const index = db
      .prepare<[string, number], { seq: number; patron_id: string }>(
        'select seq, patron_id from audit_subjects where chain = ? and seq > ? order by seq, patron_id',
      )
      .iterate(chain, from.start.seq);
    let entry = index.next();
    const broken = (link: BrokenLink): ChainVerdict => {
      rows.return?.();
      index.return?.();
      return { chain, records: walk.records, broken: link };
    };
    // A filed record must be in the patron index under its own patron; later ones are not filed yet.
    const indexed = (seq: number, patronId: string): BrokenLink | null => {
      if (seq > filedUpTo) return null;
      if (!entry.done && entry.value.seq < seq)
        return { seq: entry.value.seq, problem: 'the patron index files it under another patron' };
      if (entry.done || entry.value.seq !== seq || entry.value.patron_id !== patronId)
        return {
          seq,
          problem: 'it is missing from the patron index, so its patron would not see it',
        };
      entry = index.next();
      return null;
    };
    for (const row of rows) {
      const repeated = isRepeat(row) ? this.#row.get(chain, row.repeats!) : undefined;
      const link = walk.batch(row, indexed, repeated);
      if (link) return broken(link);
    }
    if (!entry.done)
      return broken({
        seq: entry.value.seq,
        problem: 'the patron index files a record that is not in the chain',
      });
    return { chain, records: walk.records, broken: null };
  }

  /**
   * Deletes each chain's records older than `before`, and their entries in the patron index, and
   * leaves a signed checkpoint of the cut, so the rest still verifies. One transaction per chain:
   * a purge is all or nothing.
   */
  purge(before: string, now = new Date()): { chain: string; deleted: number }[] {
    const db = this.#sqlite;
    const cutAt = db.prepare<[string, string], { seq: number; hash: string }>(
      'select last_seq as seq, hash from audit_batches where chain = ? and at < ? order by first_seq desc limit 1',
    );
    const repeatedAcross = db.prepare<[string, number, number], { seq: number; hash: string }>(
      `select l.first_seq - 1 as seq, l.prev_hash as hash from audit_batches r
         join audit_batches l on l.chain = r.chain and l.first_seq = r.repeats
       where r.chain = ? and r.repeats is not null and r.repeats <= ? and r.first_seq > ?
       order by l.first_seq limit 1`,
    );
    const run = db.transaction((chain: string) => {
      let cut = cutAt.get(chain, before) ?? null;
      for (let back = cut && repeatedAcross.get(chain, cut.seq, cut.seq); cut && back;) {
        cut = cutBefore(cut, back);
        back = cut && repeatedAcross.get(chain, cut.seq, cut.seq);
      }
      if (!cut || cut.seq <= (this.#lastCut.get(chain)?.seq ?? 0)) return 0;
      const checkpoint: Checkpoint = { chain, seq: cut.seq, hash: cut.hash, at: now.toISOString() };
      db.prepare(
        'insert into audit_checkpoints (chain, seq, hash, at, signature) values (?, ?, ?, ?, ?)',
      ).run(chain, cut.seq, cut.hash, checkpoint.at, signCheckpoint(checkpoint, this.key));
      this.#index.unfile(chain, cut.seq);
      const { deleted } = db
        .prepare<[string, number], { deleted: number }>(
          'select coalesce(sum(last_seq - first_seq + 1), 0) as deleted from audit_batches where chain = ? and last_seq <= ?',
        )
        .get(chain, cut.seq)!;
      db.prepare('update audit_gate set open = 1').run();
      db.prepare('delete from audit_batches where chain = ? and last_seq <= ?').run(chain, cut.seq);
      db.prepare('update audit_gate set open = 0').run();
      return deleted;
    });
    return this.chains().map((chain) => ({ chain, deleted: run.immediate(chain) }));
  }
}
