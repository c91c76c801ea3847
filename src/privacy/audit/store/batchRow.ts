import type { AuditTables } from './migrations.js';
import {
  batchEncoder,
  repeatHash,
  type DisclosureHeader,
  type RepeatedBatch,
  type StoredRecord,
  type WireBatch,
} from '../record.js';

/**
 * A batch row of the audit (migration 0003_batches), as both engines store it: how one is made
 * from a request's batch, and how its records are read back. The SQLite and PostgreSQL stores
 * differ in how they reach rows, never in what a row holds, so the hashing and reading of a row
 * is written once, here.
 */
export type BatchRow = Omit<AuditTables['audit_batches'], 'id'> & { id: number };

/** A record inside a batch row, as stored: `[patronId, fields, hash]`. */
export type StoredSubject = [patronId: string, fields: string[], hash: string];

/** Where a record sits, newest first: its batch's row, then its place in the batch. */
export interface AuditCursor {
  batch: number;
  index: number;
}

/** A record found by a query, with its cursor. */
export interface Found {
  record: StoredRecord;
  cursor: AuditCursor;
}

/** Where a chain ends: its last record's seq and hash (or its last cut's, or the genesis). */
export interface ChainEnd {
  seq: number;
  hash: string;
}

/** A batch's row as appended after `end`, the chain's last record: the columns a store inserts. */
export interface ChainedBatch {
  firstSeq: number;
  lastSeq: number;
  /** The hash before the first record: `end`'s. */
  prevHash: string;
  /** The last record's hash: the chain's new end. */
  hash: string;
  /** The `records` column: JSON of `[patronId, fields, hash]` in seq order. */
  records: string;
}

/**
 * Chains a batch after `end`: each record takes the next seq, and its hash covers the hash before
 * it, so no record can be edited, dropped or reordered without breaking every hash after it.
 * The batch must hold at least one record.
 */
export function chainBatch(chain: string, batch: WireBatch, end: ChainEnd): ChainedBatch {
  const { patrons, fields } = batch;
  const encode = batchEncoder(chain, batch);
  const records: string[] = [];
  let { seq, hash } = end;
  for (let i = 0; i < patrons.length; i++) {
    seq += 1;
    const record = encode(seq, hash, patrons[i]!, fields[i]!);
    hash = record.hash;
    records.push(record.json);
  }
  return {
    firstSeq: end.seq + 1,
    lastSeq: seq,
    prevHash: end.hash,
    hash,
    records: `[${records.join(',')}]`,
  };
}

/**
 * Chains a repeat of the batch row at `of` after `end` (see `repeatHash`): as many seqs as that
 * batch holds records, no records of its own, one hash for them all.
 */
export function chainRepeat(
  chain: string,
  batch: WireBatch,
  end: ChainEnd,
  of: RepeatedBatch,
): ChainedBatch {
  const firstSeq = end.seq + 1;
  const lastSeq = end.seq + of.lastSeq - of.firstSeq + 1;
  return {
    firstSeq,
    lastSeq,
    prevHash: end.hash,
    hash: repeatHash(chain, firstSeq, lastSeq, end.hash, batch, of),
    records: NO_RECORDS,
  };
}

/** The `records` of a repeat: its records are those of the batch it repeats. */
export const NO_RECORDS = '[]';

/** Whether a batch row repeats an earlier one's records (`repeats` is that row's `first_seq`). */
export const isRepeat = (row: Pick<BatchRow, 'repeats'>): boolean => row.repeats !== null;

/** The header every record of a batch row shares. */
export const headerOf = (row: BatchRow): DisclosureHeader => ({
  at: row.at,
  requestId: row.request_id,
  principal: row.principal,
  roles: JSON.parse(row.roles) as string[],
  exception: row.exception,
  reference: row.reference,
  purpose: row.purpose,
});

/**
 * One record of a batch row, given its stored form and the hash before it; for a repeat, given
 * the record at the same place of the batch it repeats (its patron and fields), and the repeat's
 * hashes stand for the record's.
 */
export const recordOf = (
  row: BatchRow,
  header: DisclosureHeader,
  index: number,
  [patronId, fields, hash]: StoredSubject,
  prevHash: string,
): StoredRecord => ({
  ...header,
  patronId,
  fields,
  chain: row.chain,
  seq: row.first_seq + index,
  prevHash: isRepeat(row) ? row.prev_hash : prevHash,
  hash: isRepeat(row) ? row.hash : hash,
});

/**
 * The record at `index` of a batch row whose records are `subjects` (for a repeat, those of the
 * batch it repeats): the hash before it is its neighbour's, or the row's.
 */
export const recordAt = (
  row: BatchRow,
  header: DisclosureHeader,
  subjects: readonly StoredSubject[],
  index: number,
): StoredRecord =>
  recordOf(
    row,
    header,
    index,
    subjects[index]!,
    index === 0 ? row.prev_hash : subjects[index - 1]![2],
  );

/** `a` comes after `b` in newest-first order (it is older). */
export const older = (a: AuditCursor, b: AuditCursor): boolean =>
  a.batch < b.batch || (a.batch === b.batch && a.index < b.index);

/**
 * A batch row's records newest first, those at or before the cursor left out. `subjects` are its
 * stored records; a repeat's are those of the batch it repeats, which the caller reads.
 */
export function* newestInBatch(
  row: BatchRow,
  after: AuditCursor | null,
  subjects: readonly StoredSubject[] = JSON.parse(row.records) as StoredSubject[],
): Generator<Found> {
  const header = headerOf(row);
  for (let index = subjects.length - 1; index >= 0; index--) {
    const cursor = { batch: row.id, index };
    if (after && !older(cursor, after)) continue;
    yield { record: recordAt(row, header, subjects, index), cursor };
  }
}

/**
 * The hash a batch row stores for the record at `seq`, or undefined when the row does not hold it:
 * for a repeat, its one hash, which covers all of its records.
 */
export function hashIn(
  row: Pick<BatchRow, 'first_seq' | 'last_seq' | 'records' | 'repeats' | 'hash'>,
  seq: number,
): string | undefined {
  if (isRepeat(row)) return seq >= row.first_seq && seq <= row.last_seq ? row.hash : undefined;
  const subjects = JSON.parse(row.records) as StoredSubject[];
  const hash = subjects[seq - row.first_seq]?.[2];
  return typeof hash === 'string' ? hash : undefined;
}

/**
 * A batch row's own records (none for a repeat), or null when they are not what the writer stores
 * (tampering).
 */
export function readSubjects(row: BatchRow): StoredSubject[] | null {
  if (isRepeat(row)) return row.records === NO_RECORDS ? [] : null;
  let subjects: unknown;
  try {
    subjects = JSON.parse(row.records);
  } catch {
    return null;
  }
  const wellFormed =
    Array.isArray(subjects) &&
    subjects.length === row.last_seq - row.first_seq + 1 &&
    subjects.every(
      (s) =>
        Array.isArray(s) &&
        s.length === 3 &&
        typeof s[0] === 'string' &&
        Array.isArray(s[1]) &&
        typeof s[2] === 'string',
    );
  return wellFormed ? (subjects as StoredSubject[]) : null;
}
