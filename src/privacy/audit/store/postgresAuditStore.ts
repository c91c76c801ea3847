import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { PostgresDatabase } from '../../../db/open.js';
import { checkpointValid, signCheckpoint, type Checkpoint } from './checkpoint.js';
import type { PostgresAuditTables } from './migrations.js';
import {
  cutBefore,
  repeatable,
  repeatedBatch,
  type AuditStore,
  type AuditLog,
  type ChainAppend,
  type ChainHead,
  type ChainPlace,
  type ChainVerdict,
  type Placed,
} from './auditStore.js';
import {
  chainBatch,
  chainRepeat,
  hashIn,
  headerOf,
  isRepeat,
  newestInBatch,
  readSubjects,
  recordOf,
  type AuditCursor,
  type BatchRow,
  type ChainEnd,
  type Found,
  type StoredSubject,
} from './batchRow.js';
import { ChainWalk, walkStart, type BrokenLink } from './chainWalk.js';
import { PagedAudit, type AuditFilter } from './pagedAudit.js';
import { batchesOf, GENESIS, toWire, type DisclosureEntry, type WireBatch } from '../record.js';

type Db = Kysely<PostgresAuditTables>;
type Trx = Transaction<PostgresAuditTables>;

/** Batch rows read per page by a scan or a verify. */
const PAGE = 500;

/**
 * Takes the chain's append lock until the transaction ends: a transaction-scoped advisory lock,
 * keyed by the audit's namespace and the chain's name. Every append and purge of a chain, from any
 * process on any host, holds it while it reads the chain's head and writes after it, so each
 * record's seq follows the head's and its hash links to it. Two chains whose names hash alike only
 * wait on each other.
 */
async function lockChain(trx: Trx, chain: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('library-graph:audit-chain'), hashtext(${chain}::text))`.execute(
    trx,
  );
}

/** SQL conditions on batch rows (alias `b`) for a filter; `true` for none. */
function conditions(filter: AuditFilter): RawBuilder<unknown> {
  const clauses: RawBuilder<unknown>[] = [];
  if (filter.principal) clauses.push(sql`b.principal = ${filter.principal}`);
  if (filter.exception) clauses.push(sql`b.exception = ${filter.exception}`);
  if (filter.from) clauses.push(sql`b.at >= ${filter.from}`);
  if (filter.to) clauses.push(sql`b.at < ${filter.to}`);
  return clauses.length ? sql.join(clauses, sql` and `) : sql`true`;
}

/**
 * The disclosure audit on PostgreSQL: the same batch rows, hashes, checkpoints and verdicts as the
 * SQLite AuditStore, for replicas on several hosts sharing one audit. Appends to a chain are
 * serialized by the chain's advisory lock (lockChain), so the chain stays one line whichever
 * process writes. The patron index is a B-tree written in the append's transaction (see the
 * migration's postgresAudit): a record is under its patron the moment it is committed.
 */
export class PostgresAuditStore extends PagedAudit implements AuditLog {
  readonly #db: Db;
  /** Where this store appended batches of records that committed, for repeats of them (see `repeatable`). */
  readonly #placed = new WeakMap<WireBatch, Placed>();

  constructor(
    database: PostgresDatabase<PostgresAuditTables>,
    private readonly key: string,
  ) {
    super();
    this.#db = database.db;
  }

  /** Resolves once the audit database answers (the writer's readiness). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  /** Appends records to a chain, atomically; rejects (and writes nothing) on any failure. */
  async append(chain: string, entries: readonly DisclosureEntry[]): Promise<void> {
    await this.appendAll([{ chain, batches: batchesOf(entries).map(toWire) }]);
  }

  /**
   * Appends several requests' batches (of one chain or several) in one transaction: all of them
   * or none (the writer's group commit). The chains' locks are taken first, in name order, so two
   * group commits naming the same chains never wait on each other in a cycle.
   */
  async appendAll(appends: readonly ChainAppend[]): Promise<void> {
    if (!appends.some((a) => a.batches.some((b) => b.patrons.length > 0))) return;
    const placed = new Map<WireBatch, Placed>();
    const placedIn = (b: WireBatch) => placed.get(b) ?? this.#placed.get(b);
    await this.#db.transaction().execute(async (trx) => {
      for (const chain of [...new Set(appends.map((a) => a.chain))].sort())
        await lockChain(trx, chain);
      const ends = new Map<string, ChainEnd>();
      for (const { chain, batches } of appends) {
        let end = ends.get(chain) ?? (await this.#head(trx, chain)) ?? { seq: 0, hash: GENESIS };
        for (const batch of batches) {
          if (batch.patrons.length === 0) continue;
          const at = repeatable(chain, batch, placedIn);
          const of =
            at && repeatedBatch(await this.#row(trx, chain, at.firstSeq), batch.patrons.length);
          const row = of ? chainRepeat(chain, batch, end, of) : chainBatch(chain, batch, end);
          // The batch row and its patrons' index entries (none for a repeat), in one statement.
          await sql`with batch as (
              insert into audit_batches (chain, first_seq, last_seq, at, request_id, principal, roles, exception, reference, purpose, records, prev_hash, hash, repeats)
              values (${chain}, ${row.firstSeq}, ${row.lastSeq}, ${batch.at}, ${batch.requestId}, ${batch.principal}, ${JSON.stringify(batch.roles)}, ${batch.exception},
                ${batch.reference}, ${batch.purpose}, ${row.records}, ${row.prevHash}, ${row.hash}, ${of?.firstSeq ?? null}::integer)
              returning id)
            insert into audit_subjects (patron_id, batch_id, idx, chain, seq)
            select u.patron, batch.id, u.n - 1, ${chain}, ${row.firstSeq}::integer + u.n - 1
            from batch, unnest(${of ? [] : [...batch.patrons]}::text[]) with ordinality as u(patron, n)`.execute(
            trx,
          );
          if (!of) placed.set(batch, { chain, firstSeq: row.firstSeq });
          end = { seq: row.lastSeq, hash: row.hash };
        }
        ends.set(chain, end);
      }
    });
    // Only what committed may be repeated.
    for (const [batch, at] of placed) this.#placed.set(batch, at);
  }

  /** The place, last hash and kind of the batch row of a chain that starts at `firstSeq`. */
  async #row(db: Db | Trx, chain: string, firstSeq: number) {
    return db
      .selectFrom('audit_batches')
      .select(['first_seq', 'last_seq', 'hash', 'repeats'])
      .where('chain', '=', chain)
      .where('first_seq', '=', firstSeq)
      .executeTakeFirst();
  }

  /** The rows the repeats among `rows` repeat, by chain and first seq (`chain:seq`). */
  async #repeated(db: Db | Trx, rows: readonly BatchRow[]): Promise<Map<string, BatchRow>> {
    const wanted = rows.filter(isRepeat);
    const found = new Map<string, BatchRow>();
    if (wanted.length === 0) return found;
    const { rows: repeated } = await sql<BatchRow>`select b.* from audit_batches b
      join unnest(${wanted.map((r) => r.chain)}::text[], ${wanted.map((r) => r.repeats!)}::integer[]) as w(chain, seq)
        on b.chain = w.chain and b.first_seq = w.seq`.execute(db);
    for (const row of repeated) found.set(`${row.chain}:${row.first_seq}`, row);
    return found;
  }

  /**
   * Copies a SQLite audit's rows in as they are (audit:copy): the signed cuts, then every batch in
   * the order it was written, with its patrons' index entries, so every hash, seq and signature
   * still verifies and a patron's log keeps its order. All or nothing, and only into an audit
   * that holds nothing yet. Returns the records copied per chain.
   */
  async copyFrom(source: AuditStore): Promise<{ chain: string; records: number }[]> {
    return this.#db.transaction().execute(async (trx) => {
      const chains = source.chains();
      for (const chain of chains) await lockChain(trx, chain);
      if ((await this.chains(trx)).length > 0)
        throw new Error(
          'the audit on PostgreSQL already holds records; copy only into an empty one',
        );
      const cuts = source.checkpoints();
      if (cuts.length > 0) await trx.insertInto('audit_checkpoints').values(cuts).execute();
      const counts = new Map<string, number>(chains.map((c) => [c, 0]));
      for (const row of source.batches()) {
        const subjects = readSubjects(row);
        if (!subjects)
          throw new Error(
            `batch ${row.id} of chain ${row.chain} cannot be read; run audit:verify on the SQLite audit first`,
          );
        await sql`with batch as (
            insert into audit_batches (chain, first_seq, last_seq, at, request_id, principal, roles, exception, reference, purpose, records, prev_hash, hash, repeats)
            values (${row.chain}, ${row.first_seq}, ${row.last_seq}, ${row.at}, ${row.request_id}, ${row.principal}, ${row.roles}, ${row.exception},
              ${row.reference}, ${row.purpose}, ${row.records}, ${row.prev_hash}, ${row.hash}, ${row.repeats}::integer)
            returning id)
          insert into audit_subjects (patron_id, batch_id, idx, chain, seq)
          select u.patron, batch.id, u.n - 1, ${row.chain}, ${row.first_seq}::integer + u.n - 1
          from batch, unnest(${subjects.map((s) => s[0])}::text[]) with ordinality as u(patron, n)`.execute(
          trx,
        );
        counts.set(row.chain, (counts.get(row.chain) ?? 0) + row.last_seq - row.first_seq + 1);
      }
      return [...counts].map(([chain, records]) => ({ chain, records }));
    });
  }

  /** The place just before the oldest batch at or before `seq` that a repeat after `seq` repeats. */
  async #repeatedAcross(
    trx: Trx,
    chain: string,
    seq: number,
  ): Promise<{ seq: number; hash: string } | undefined> {
    const { rows } = await sql<{ seq: number; hash: string }>`
      select l.first_seq - 1 as seq, l.prev_hash as hash from audit_batches r
        join audit_batches l on l.chain = r.chain and l.first_seq = r.repeats
      where r.chain = ${chain} and r.repeats is not null and r.repeats <= ${seq} and r.first_seq > ${seq}
      order by l.first_seq limit 1`.execute(trx);
    return rows[0];
  }

  /** The chain's last retention cut. */
  async #lastCut(db: Db | Trx, chain: string): Promise<{ seq: number; hash: string } | undefined> {
    return db
      .selectFrom('audit_checkpoints')
      .select(['seq', 'hash'])
      .where('chain', '=', chain)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** The chain's head as stored: its newest batch's, else its last cut's. */
  async #head(db: Db | Trx, chain: string): Promise<{ seq: number; hash: string } | undefined> {
    const last = await db
      .selectFrom('audit_batches')
      .select(['last_seq as seq', 'hash'])
      .where('chain', '=', chain)
      .orderBy('first_seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return last ?? (await this.#lastCut(db, chain));
  }

  /** Up to `limit` records of matching batches, newest first, after the cursor. */
  protected async scan(
    filter: AuditFilter,
    limit: number,
    after: AuditCursor | null,
  ): Promise<Found[]> {
    const found: Found[] = [];
    let upTo = after?.batch ?? null;
    for (;;) {
      const { rows } = await sql<BatchRow>`select * from audit_batches b where ${conditions(filter)}
        ${upTo === null ? sql`` : sql`and b.id <= ${upTo}`} order by b.id desc limit ${PAGE}`.execute(
        this.#db,
      );
      const repeated = await this.#repeated(this.#db, rows);
      for (const row of rows) {
        const source = isRepeat(row) ? repeated.get(`${row.chain}:${row.repeats}`) : row;
        const subjects = source ? (JSON.parse(source.records) as StoredSubject[]) : [];
        for (const f of newestInBatch(row, after, subjects)) {
          found.push(f);
          if (found.length === limit) return found;
        }
      }
      if (rows.length < PAGE) return found;
      upTo = rows[rows.length - 1]!.id - 1;
    }
  }

  /**
   * Up to `limit` records of the given patrons, newest first, after the cursor: for each patron a
   * backward scan of the B-tree on (patron_id, batch_id, idx), its first `limit` entries, then the
   * newest `limit` of them all. Only the record an entry names is read out of its batch.
   */
  protected async ofPatrons(
    ids: readonly string[],
    filter: AuditFilter,
    limit: number,
    after: AuditCursor | null,
  ): Promise<Found[]> {
    if (ids.length === 0) return [];
    const before = after
      ? (batch: RawBuilder<unknown>) =>
          sql`and (${batch}, s.idx) < (${after.batch}::bigint, ${after.index}::integer)`
      : () => sql``;
    // A patron's records, and the repeats of the batches that hold them (a repeat's own records
    // are not in the index): its row is `b`, the row holding the record `src`.
    const { rows } = await sql<
      Omit<BatchRow, 'records'> & { idx: number; item: string; before: string }
    >`
      select b.id, b.chain, b.first_seq, b.last_seq, b.at, b.request_id, b.principal, b.roles, b.exception, b.reference, b.purpose, b.prev_hash, b.hash, b.repeats,
        s.idx, (src.records::json -> s.idx)::text as item,
        case when s.idx = 0 or b.repeats is not null then b.prev_hash else (b.records::json -> (s.idx - 1)) ->> 2 end as before
      from unnest(${[...ids]}::text[]) as p(id)
      cross join lateral (
        (select s.batch_id, s.idx, s.batch_id as src_id from audit_subjects s join audit_batches b on b.id = s.batch_id
        where s.patron_id = p.id and ${conditions(filter)} ${before(sql`s.batch_id`)}
        order by s.batch_id desc, s.idx desc limit ${limit})
        union all
        (select b.id, s.idx, s.batch_id from audit_subjects s join audit_batches l on l.id = s.batch_id
          join audit_batches b on b.chain = l.chain and b.repeats = l.first_seq
        where s.patron_id = p.id and ${conditions(filter)} ${before(sql`b.id`)}
        order by b.id desc, s.idx desc limit ${limit})) s
      join audit_batches b on b.id = s.batch_id
      join audit_batches src on src.id = s.src_id
      order by s.batch_id desc, s.idx desc limit ${limit}`.execute(this.#db);
    const wanted = new Set(ids);
    const found: Found[] = [];
    for (const row of rows) {
      const record = recordOf(
        { ...row, records: '' },
        headerOf({ ...row, records: '' }),
        row.idx,
        JSON.parse(row.item) as StoredSubject,
        row.before,
      );
      // An index entry filed under the wrong patron must not show them someone else's record.
      if (wanted.has(record.patronId))
        found.push({ record, cursor: { batch: row.id, index: row.idx } });
    }
    return found;
  }

  /** The chains present in the store, each found by one index probe (a loose index scan), not by reading every row. */
  async chains(db: Db | Trx = this.#db): Promise<string[]> {
    const { rows } = await sql<{ chain: string }>`
      with recursive b(chain) as (
        select min(chain) from audit_batches
        union all select (select min(chain) from audit_batches where chain > b.chain) from b where b.chain is not null),
      c(chain) as (
        select min(chain) from audit_checkpoints
        union all select (select min(chain) from audit_checkpoints where chain > c.chain) from c where c.chain is not null)
      select chain from b where chain is not null union select chain from c where chain is not null`.execute(
      db,
    );
    return rows.map((r) => r.chain).sort();
  }

  /** Each chain's head (see AuditStore.heads), read from one snapshot. */
  async heads(): Promise<ChainHead[]> {
    return this.#db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const heads: ChainHead[] = [];
        for (const chain of await this.chains(trx)) {
          const head = await this.#head(trx, chain);
          if (head) heads.push({ chain, ...head });
        }
        return heads;
      });
  }

  /** What the store holds at one place of a chain (see AuditStore.at). */
  async at(chain: string, seq: number): Promise<ChainPlace> {
    const row = await this.#db
      .selectFrom('audit_batches')
      .select(['first_seq', 'last_seq', 'records', 'repeats', 'hash'])
      .where('chain', '=', chain)
      .where('first_seq', '<=', seq)
      .orderBy('first_seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const hash = row && row.last_seq >= seq ? hashIn(row, seq) : undefined;
    if (hash !== undefined) return { kind: 'record', hash };
    const cut = await this.#db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('chain', '=', chain)
      .where('seq', '>=', seq)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    // Only a cut signed with the audit key vouches for records gone; a fake one is itself a finding.
    if (cut && !checkpointValid(cut, cut.signature, this.key))
      return { kind: 'forged', cutSeq: cut.seq };
    if (cut) return { kind: 'purged', hash: cut.seq === seq ? cut.hash : null };
    return { kind: 'absent' };
  }

  /**
   * Walks one chain from its latest signed checkpoint (or its genesis) and names the first broken
   * link, as AuditStore.verify does; and every record must be in the patron index, at its own
   * place, under its own patron. One snapshot (REPEATABLE READ): appends meanwhile do not disturb it.
   */
  async verify(chain: string): Promise<ChainVerdict> {
    return this.#db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute((trx) => this.#verify(trx, chain));
  }

  async #verify(trx: Trx, chain: string): Promise<ChainVerdict> {
    const cuts = await trx
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('chain', '=', chain)
      .orderBy('seq')
      .execute();
    const from = walkStart(cuts, this.key);
    if ('broken' in from) return { chain, records: 0, broken: from.broken };
    const walk = new ChainWalk(chain, from.start);
    const broken = (link: BrokenLink): ChainVerdict => ({
      chain,
      records: walk.records,
      broken: link,
    });
    let lastFirst = -1;
    for (;;) {
      const rows = (await trx
        .selectFrom('audit_batches')
        .selectAll()
        .where('chain', '=', chain)
        .where('last_seq', '>', from.start.seq)
        .where('first_seq', '>', lastFirst)
        .orderBy('first_seq')
        .limit(PAGE)
        .execute()) as BatchRow[];
      if (rows.length === 0) break;
      const entries = await trx
        .selectFrom('audit_subjects')
        .select(['seq', 'patron_id', 'batch_id', 'idx'])
        .where('chain', '=', chain)
        .where('seq', '>=', walk.nextSeq)
        .where('seq', '<=', rows[rows.length - 1]!.last_seq)
        .orderBy('seq')
        .orderBy('patron_id')
        .execute();
      const repeated = await this.#repeated(trx, rows);
      let e = 0;
      for (const row of rows) {
        // Every record is in the patron index, at its own place, under its own patron.
        const link = walk.batch(
          row,
          (seq, patronId, index) => {
            const entry = entries[e];
            if (entry && entry.seq < seq)
              return { seq: entry.seq, problem: 'the patron index files it under another patron' };
            if (
              !entry ||
              entry.seq !== seq ||
              entry.patron_id !== patronId ||
              entry.batch_id !== row.id ||
              entry.idx !== index
            ) {
              return {
                seq,
                problem: 'it is missing from the patron index, so its patron would not see it',
              };
            }
            e += 1;
            return null;
          },
          repeated.get(`${row.chain}:${row.repeats}`),
        );
        if (link) return broken(link);
      }
      if (e < entries.length)
        return broken({
          seq: entries[e]!.seq,
          problem: 'the patron index files it under another patron',
        });
      lastFirst = rows[rows.length - 1]!.first_seq;
    }
    const stray = await trx
      .selectFrom('audit_subjects')
      .select('seq')
      .where('chain', '=', chain)
      .where('seq', '>=', walk.nextSeq)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    if (stray)
      return broken({
        seq: stray.seq,
        problem: 'the patron index files a record that is not in the chain',
      });
    return { chain, records: walk.records, broken: null };
  }

  /**
   * Deletes each chain's records older than `before`, and their index entries, leaving a signed
   * checkpoint of the cut (as AuditStore.purge). One transaction per chain, holding the chain's
   * lock, so an append on another host never reads a head the purge is moving.
   */
  async purge(before: string, now = new Date()): Promise<{ chain: string; deleted: number }[]> {
    const results: { chain: string; deleted: number }[] = [];
    for (const chain of await this.chains()) {
      const deleted = await this.#db.transaction().execute(async (trx) => {
        await lockChain(trx, chain);
        const latest = await trx
          .selectFrom('audit_batches')
          .select(['last_seq as seq', 'hash'])
          .where('chain', '=', chain)
          .where('at', '<', before)
          .orderBy('first_seq', 'desc')
          .limit(1)
          .executeTakeFirst();
        let cut = latest ?? null;
        // Never between a batch and a repeat of it kept (see cutBefore).
        for (let back = cut && (await this.#repeatedAcross(trx, chain, cut.seq)); cut && back;) {
          cut = cutBefore(cut, back);
          back = cut && (await this.#repeatedAcross(trx, chain, cut.seq));
        }
        const previous = await this.#lastCut(trx, chain);
        if (!cut || cut.seq <= (previous?.seq ?? 0)) return 0;
        const checkpoint: Checkpoint = {
          chain,
          seq: cut.seq,
          hash: cut.hash,
          at: now.toISOString(),
        };
        await trx
          .insertInto('audit_checkpoints')
          .values({ ...checkpoint, signature: signCheckpoint(checkpoint, this.key) })
          .execute();
        await trx
          .deleteFrom('audit_subjects')
          .where('chain', '=', chain)
          .where('seq', '<=', cut.seq)
          .execute();
        await trx.updateTable('audit_gate').set({ open: 1 }).execute();
        const gone = await trx
          .deleteFrom('audit_batches')
          .where('chain', '=', chain)
          .where('last_seq', '<=', cut.seq)
          .returning(['first_seq', 'last_seq'])
          .execute();
        await trx.updateTable('audit_gate').set({ open: 0 }).execute();
        return gone.reduce((n, b) => n + b.last_seq - b.first_seq + 1, 0);
      });
      results.push({ chain, deleted });
    }
    return results;
  }
}
