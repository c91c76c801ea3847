import { sql, type Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Database } from '../../db/open.js';
import { checkpointValid, signCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditTables } from './migrations.js';
import { fromRow, GENESIS, recordHash, type DisclosureEntry, type StoredRecord } from './record.js';

/** Filters of the custodian's audit query. */
export interface AuditFilter {
  patronId?: string | null;
  principal?: string | null;
  exception?: string | null;
  from?: string | null;
  to?: string | null;
}

/** The first broken link of a chain, or null when the chain holds. */
export interface ChainVerdict {
  chain: string;
  records: number;
  broken: { seq: number; problem: string } | null;
}

type Row = AuditTables['audit_records'];

/** Records for one chain, in order. */
export interface AuditBatch {
  chain: string;
  entries: readonly DisclosureEntry[];
}

/**
 * The append-only, hash-chained store of disclosure records. Appends take SQLite's write lock
 * first (BEGIN IMMEDIATE), read the chain's last hash and insert in one synchronous transaction,
 * so two processes appending to the audit never fork a chain.
 */
export class AuditStore {
  readonly db: Kysely<AuditTables>;
  readonly #sqlite: SQLite.Database;
  readonly #append: (batches: readonly AuditBatch[]) => void;
  readonly #file: () => number;

  constructor(
    database: Database<AuditTables>,
    private readonly key: string,
  ) {
    this.db = database.db;
    this.#sqlite = database.sqlite;
    const last = this.#sqlite.prepare<[string], { seq: number; hash: string }>(
      'select seq, hash from audit_records where chain = ? order by seq desc limit 1',
    );
    const lastCut = this.#sqlite.prepare<[string], { seq: number; hash: string }>(
      'select seq, hash from audit_checkpoints where chain = ? order by seq desc limit 1',
    );
    const insert = this.#sqlite.prepare(
      `insert into audit_records (chain, seq, at, request_id, principal, roles, exception, patron_id, fields, reference, purpose, prev_hash, hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const tracked = this.#sqlite.prepare('insert or ignore into audit_subjects_upto (chain, seq) values (?, 0)');
    const append = this.#sqlite.transaction((batches: readonly AuditBatch[]) => {
      const heads = new Map<string, { seq: number; hash: string }>();
      for (const { chain, entries } of batches) {
        if (!heads.has(chain)) tracked.run(chain);
        let { seq, hash } = heads.get(chain) ?? last.get(chain) ?? lastCut.get(chain) ?? { seq: 0, hash: GENESIS };
        for (const entry of entries) {
          const prevHash = hash;
          seq += 1;
          hash = recordHash(chain, seq, prevHash, entry);
          insert.run(
            chain, seq, entry.at, entry.requestId, entry.principal, JSON.stringify(entry.roles), entry.exception,
            entry.patronId, JSON.stringify(entry.fields), entry.reference, entry.purpose, prevHash, hash,
          );
        }
        heads.set(chain, { seq, hash });
      }
    });
    this.#append = (batches) => append.immediate(batches);


    const uptos = this.#sqlite.prepare<[], { chain: string; seq: number }>('select chain, seq from audit_subjects_upto');
    const head = this.#sqlite.prepare<[string], { seq: number | null }>('select max(seq) as seq from audit_records where chain = ?');
    const file = this.#sqlite.prepare<[string, number, number]>(
      'insert or ignore into audit_subjects select patron_id, chain, seq from audit_records where chain = ? and seq > ? and seq <= ? order by patron_id',
    );
    const advance = this.#sqlite.prepare<[number, string]>('update audit_subjects_upto set seq = ? where chain = ?');
    const fileAll = this.#sqlite.transaction(() => {
      let filed = 0;
      for (const { chain, seq } of uptos.all()) {
        const last = head.get(chain)?.seq ?? seq;
        if (last <= seq) continue;
        filed += file.run(chain, seq, last).changes;
        advance.run(last, chain);
      }
      return filed;
    });
    this.#file = () => fileAll.immediate();
  }

  /** Appends records to a chain, atomically; throws (and writes nothing) on any failure. */
  append(chain: string, entries: readonly DisclosureEntry[]): void {
    this.appendAll([{ chain, entries }]);
  }

  /**
   * Appends several batches (of one chain or several) in one transaction: all of them or none.
   * This is the audit writer's group commit, one transaction for the requests that arrived together.
   */
  appendAll(batches: readonly AuditBatch[]): void {
    if (batches.some((b) => b.entries.length > 0)) this.#append(batches);
  }

  /**
   * Files every record not yet filed under its patron (see migration 0002), one transaction, in
   * patron order so that neighbouring entries share index pages. Returns how many were filed.
   * Lookups are complete either way: they read what is not yet filed from the chains themselves.
   */
  fileSubjects(): number {
    return this.#file();
  }

  /**
   * Rows matching the filter, newest first, at most `limit`. A patron filter reads the records
   * filed under those patrons, plus the chains' unfiled tails; the filing point is read first, so
   * a record filed meanwhile is found twice (and kept once) rather than missed.
   */
  async #select(filter: AuditFilter & { patronIds?: readonly string[] }, limit: number, after: number | null) {
    type Query = ReturnType<typeof this.db.selectFrom<'audit_records as r'>>;
    const narrow = <Q extends Query>(q: Q): Q => {
      let n = q;
      if (filter.principal) n = n.where('r.principal', '=', filter.principal) as Q;
      if (filter.exception) n = n.where('r.exception', '=', filter.exception) as Q;
      if (filter.from) n = n.where('r.at', '>=', filter.from) as Q;
      if (filter.to) n = n.where('r.at', '<', filter.to) as Q;
      if (after !== null) n = n.where(sql<boolean>`r.rowid < ${after}`) as Q;
      return n;
    };
    const rows = (q: Query) =>
      narrow(q).selectAll('r').select(sql<number>`r.rowid`.as('cursor')).orderBy(sql`r.rowid`, 'desc').limit(limit).execute();
    const ids = filter.patronIds;
    if (!ids) return rows(this.db.selectFrom('audit_records as r'));
    if (ids.length === 0) return [];
    const uptos = await this.db.selectFrom('audit_subjects_upto').selectAll().execute();
    const filed = await rows(
      this.db
        .selectFrom('audit_records as r')
        .innerJoin('audit_subjects as s', (join) =>
          join.onRef('s.chain', '=', 'r.chain').onRef('s.seq', '=', 'r.seq').onRef('s.patron_id', '=', 'r.patron_id'),
        )
        .where('s.patron_id', 'in', ids),
    );
    const unfiled = uptos.length === 0 ? [] : await rows(
      this.db
        .selectFrom('audit_records as r')
        .where('r.patron_id', 'in', ids)
        .where((eb) => eb.or(uptos.map((u) => eb.and([eb('r.chain', '=', u.chain), eb('r.seq', '>', u.seq)])))),
    );
    const byCursor = new Map([...filed, ...unfiled].map((row) => [row.cursor, row]));
    return [...byCursor.values()].sort((a, b) => b.cursor - a.cursor).slice(0, limit);
  }

  /** Records matching the filter, newest first; `after` is the cursor of the previous page. */
  async query(filter: AuditFilter, first: number, after: number | null): Promise<{ records: StoredRecord[]; cursors: number[]; more: boolean }> {
    const rows = await this.#select({ ...filter, ...(filter.patronId ? { patronIds: [filter.patronId] } : {}) }, first + 1, after);
    const page = rows.slice(0, first);
    return { records: page.map((r) => fromRow(r)), cursors: page.map((r) => r.cursor), more: rows.length > first };
  }

  /** Each patron's most recent records (for `Patron.disclosures`), newest first, in one batch. */
  async forPatrons(ids: readonly string[], limit: number): Promise<StoredRecord[][]> {
    const rows = await this.#select({ patronIds: ids }, Number.MAX_SAFE_INTEGER, null);
    const byPatron = new Map<string, StoredRecord[]>(ids.map((id) => [id, []]));
    for (const row of rows) {
      const list = byPatron.get(row.patron_id);
      if (list && list.length < limit) list.push(fromRow(row));
    }
    return ids.map((id) => byPatron.get(id) ?? []);
  }

  /** The chains present in the store. */
  chains(): string[] {
    const rows = this.#sqlite.prepare<[], { chain: string }>('select distinct chain from audit_records union select distinct chain from audit_checkpoints').all();
    return rows.map((r) => r.chain).sort();
  }

  /**
   * Walks one chain from its latest signed checkpoint (or its genesis) and names the first broken
   * link: a record edited (hash), deleted or reordered (sequence or previous hash), or a forged cut.
   */
  verify(chain: string): ChainVerdict {
    const cuts = this.#sqlite.prepare<[string], Checkpoint & { signature: string }>('select * from audit_checkpoints where chain = ? order by seq').all(chain);
    for (const cut of cuts) {
      if (!checkpointValid(cut, cut.signature, this.key)) return { chain, records: 0, broken: { seq: cut.seq, problem: 'checkpoint signature does not verify' } };
    }
    const cut = cuts[cuts.length - 1];
    let expectedSeq = (cut?.seq ?? 0) + 1;
    let expectedPrev = cut?.hash ?? GENESIS;
    let records = 0;
    const rows = this.#sqlite.prepare<[string, number], Row>('select * from audit_records where chain = ? and seq > ? order by seq').iterate(chain, cut?.seq ?? 0);
    for (const row of rows) {
      records += 1;
      const problem =
        row.seq !== expectedSeq ? `record ${expectedSeq} is missing (next is ${row.seq})`
        : row.prev_hash !== expectedPrev ? 'its previous-hash does not match the record before it'
        : recordHash(chain, row.seq, row.prev_hash, fromRow(row)) !== row.hash ? 'its content does not match its hash'
        : null;
      if (problem) return { chain, records, broken: { seq: row.seq, problem } };
      expectedSeq += 1;
      expectedPrev = row.hash;
    }
    // A record dropped from the patron index would hide from "who saw my record".
    const unfiled = this.#sqlite
      .prepare<[string], { seq: number }>(
        `select r.seq from audit_records r join audit_subjects_upto u on u.chain = r.chain
         where r.chain = ? and r.seq <= u.seq and not exists (
           select 1 from audit_subjects s where s.patron_id = r.patron_id and s.chain = r.chain and s.seq = r.seq)
         order by r.seq limit 1`,
      )
      .get(chain);
    if (unfiled) return { chain, records, broken: { seq: unfiled.seq, problem: 'it is missing from the patron index, so its patron would not see it' } };
    return { chain, records, broken: null };
  }

  /**
   * Deletes each chain's records older than `before` and leaves a signed checkpoint of the cut, so
   * the rest still verifies. One transaction per chain: a purge is all or nothing.
   */
  purge(before: string, now = new Date()): { chain: string; deleted: number }[] {
    const cutAt = this.#sqlite.prepare<[string, string], { seq: number; hash: string }>(
      'select seq, hash from audit_records where chain = ? and at < ? order by seq desc limit 1',
    );
    const run = this.#sqlite.transaction((chain: string) => {
      const cut = cutAt.get(chain, before);
      if (!cut) return 0;
      const checkpoint: Checkpoint = { chain, seq: cut.seq, hash: cut.hash, at: now.toISOString() };
      this.#sqlite
        .prepare('insert into audit_checkpoints (chain, seq, hash, at, signature) values (?, ?, ?, ?, ?)')
        .run(chain, cut.seq, cut.hash, checkpoint.at, signCheckpoint(checkpoint, this.key));
      this.#sqlite
        .prepare('delete from audit_subjects where (patron_id, chain, seq) in (select patron_id, chain, seq from audit_records where chain = ? and seq <= ?)')
        .run(chain, cut.seq);
      this.#sqlite.prepare('update audit_gate set open = 1').run();
      const { changes } = this.#sqlite.prepare('delete from audit_records where chain = ? and seq <= ?').run(chain, cut.seq);
      this.#sqlite.prepare('update audit_gate set open = 0').run();
      return changes;
    });
    return this.chains().map((chain) => ({ chain, deleted: run.immediate(chain) }));
  }
}
