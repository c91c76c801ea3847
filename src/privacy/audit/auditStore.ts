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

/**
 * The append-only, hash-chained store of disclosure records. Appends take SQLite's write lock
 * first (BEGIN IMMEDIATE), read the chain's last hash and insert in one synchronous transaction,
 * so two processes appending to the audit never fork a chain.
 */
export class AuditStore {
  readonly db: Kysely<AuditTables>;
  readonly #sqlite: SQLite.Database;
  readonly #append: (chain: string, entries: readonly DisclosureEntry[]) => StoredRecord[];

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
       values (@chain, @seq, @at, @request_id, @principal, @roles, @exception, @patron_id, @fields, @reference, @purpose, @prev_hash, @hash)`,
    );
    const append = this.#sqlite.transaction((chain: string, entries: readonly DisclosureEntry[]) => {
      const head = last.get(chain) ?? lastCut.get(chain) ?? { seq: 0, hash: GENESIS };
      let { seq, hash } = head;
      return entries.map((entry) => {
        const prevHash = hash;
        seq += 1;
        hash = recordHash(chain, seq, prevHash, entry);
        insert.run({
          chain, seq, at: entry.at, request_id: entry.requestId, principal: entry.principal,
          roles: JSON.stringify(entry.roles), exception: entry.exception, patron_id: entry.patronId,
          fields: JSON.stringify(entry.fields), reference: entry.reference, purpose: entry.purpose,
          prev_hash: prevHash, hash,
        });
        return { ...entry, chain, seq, prevHash, hash };
      });
    });
    this.#append = (chain, entries) => append.immediate(chain, entries);
  }

  /** Appends records to a chain, atomically; throws (and writes nothing) on any failure. */
  append(chain: string, entries: readonly DisclosureEntry[]): StoredRecord[] {
    return entries.length ? this.#append(chain, entries) : [];
  }

  /** Records matching the filter, newest first; `after` is the cursor of the previous page. */
  async query(filter: AuditFilter, first: number, after: number | null): Promise<{ records: StoredRecord[]; cursors: number[]; more: boolean }> {
    let q = this.db.selectFrom('audit_records').selectAll().select(sql<number>`rowid`.as('cursor')).orderBy(sql`rowid`, 'desc').limit(first + 1);
    if (filter.patronId) q = q.where('patron_id', '=', filter.patronId);
    if (filter.principal) q = q.where('principal', '=', filter.principal);
    if (filter.exception) q = q.where('exception', '=', filter.exception);
    if (filter.from) q = q.where('at', '>=', filter.from);
    if (filter.to) q = q.where('at', '<', filter.to);
    if (after !== null) q = q.where(sql<boolean>`rowid < ${after}`);
    const rows = await q.execute();
    const page = rows.slice(0, first);
    return { records: page.map((r) => fromRow(r)), cursors: page.map((r) => r.cursor), more: rows.length > first };
  }

  /** Each patron's most recent records (for `Patron.disclosures`), in one statement. */
  async forPatrons(ids: readonly string[], limit: number): Promise<StoredRecord[][]> {
    const rows = await this.db.selectFrom('audit_records').selectAll().where('patron_id', 'in', [...ids]).orderBy('at', 'desc').execute();
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
      this.#sqlite.prepare('update audit_gate set open = 1').run();
      const { changes } = this.#sqlite.prepare('delete from audit_records where chain = ? and seq <= ?').run(chain, cut.seq);
      this.#sqlite.prepare('update audit_gate set open = 0').run();
      return changes;
    });
    return this.chains().map((chain) => ({ chain, deleted: run.immediate(chain) }));
  }
}
