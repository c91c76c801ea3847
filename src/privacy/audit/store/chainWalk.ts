import { checkpointValid, type Checkpoint } from './checkpoint.js';
import { headerOf, isRepeat, readSubjects, type BatchRow, type ChainEnd } from './batchRow.js';
import { GENESIS, recordHash, repeatHash } from '../record.js';

/** A broken link of a chain: the seq where it breaks and what is wrong there. */
export interface BrokenLink {
  seq: number;
  problem: string;
}

/**
 * Where a walk of a chain starts, given its signed cuts: after the latest one, or at the genesis
 * when there is none. A cut whose signature does not verify (a forged one) is itself the break.
 */
export function walkStart(
  cuts: readonly (Checkpoint & { signature: string })[],
  key: string,
): { start: ChainEnd } | { broken: BrokenLink } {
  for (const cut of cuts) {
    if (!checkpointValid(cut, cut.signature, key))
      return { broken: { seq: cut.seq, problem: 'checkpoint signature does not verify' } };
  }
  const cut = cuts[cuts.length - 1];
  return { start: { seq: cut?.seq ?? 0, hash: cut?.hash ?? GENESIS } };
}

/**
 * A walk along one chain's batch rows in seq order, the same on either engine: each row must
 * begin where the chain stands and link to its last hash, hold records of the form the writer
 * stores, each hashing to what it says, and end on its last record's hash. A record edited,
 * deleted or reordered breaks one of these. Each engine adds its own check of each record's
 * patron index entry.
 */
export class ChainWalk {
  /** The records walked so far, the one that breaks included. */
  records = 0;
  #seq: number;
  #prev: string;

  constructor(
    private readonly chain: string,
    start: ChainEnd,
  ) {
    this.#seq = start.seq + 1;
    this.#prev = start.hash;
  }

  /** The seq the next record must have. */
  get nextSeq(): number {
    return this.#seq;
  }

  /**
   * Walks the next batch row and names its first broken link, or null when it holds. `indexed`
   * checks a record's patron index entry once its hash holds (`index` is its place in the row).
   * For a repeat, `repeated` is the row of this chain whose first seq it names, if there is one.
   */
  batch(
    row: BatchRow,
    indexed: (seq: number, patronId: string, index: number) => BrokenLink | null,
    repeated?: BatchRow,
  ): BrokenLink | null {
    if (row.first_seq !== this.#seq)
      return {
        seq: row.first_seq,
        problem: `record ${this.#seq} is missing (next is ${row.first_seq})`,
      };
    if (row.prev_hash !== this.#prev)
      return {
        seq: row.first_seq,
        problem: 'its previous-hash does not match the record before it',
      };
    if (isRepeat(row)) return this.#repeat(row, repeated);
    const subjects = readSubjects(row);
    if (!subjects) return { seq: row.first_seq, problem: 'its batch of records cannot be read' };
    const header = headerOf(row);
    for (const [index, [patronId, fields, hash]] of subjects.entries()) {
      const seq = this.#seq;
      this.records += 1;
      if (recordHash(this.chain, seq, this.#prev, header, { patronId, fields }) !== hash)
        return { seq, problem: 'its content does not match its hash' };
      const unindexed = indexed(seq, patronId, index);
      if (unindexed) return unindexed;
      this.#seq += 1;
      this.#prev = hash;
    }
    if (row.hash !== this.#prev)
      return { seq: row.last_seq, problem: "its batch's last hash does not match the record" };
    return null;
  }

  /**
   * A repeat holds: the row it names is an earlier batch of records of this chain (walked, so its
   * own records hold), as many as the repeat spans, and the repeat's hash covers its header and
   * that row's place and last hash. Its records are not in the patron index (lookups reach them
   * from the row it repeats), so `indexed` is not asked.
   */
  #repeat(row: BatchRow, repeated: BatchRow | undefined): BrokenLink | null {
    const seq = row.first_seq;
    this.records += row.last_seq - seq + 1;
    if (
      !repeated ||
      repeated.chain !== this.chain ||
      repeated.first_seq !== row.repeats ||
      repeated.last_seq >= seq ||
      isRepeat(repeated)
    )
      return { seq, problem: 'it repeats a batch of records that is not in the chain before it' };
    if (readSubjects(row) === null || repeated.last_seq - repeated.first_seq !== row.last_seq - seq)
      return { seq, problem: 'its batch of records cannot be read' };
    const of = { firstSeq: repeated.first_seq, lastSeq: repeated.last_seq, hash: repeated.hash };
    if (repeatHash(this.chain, seq, row.last_seq, row.prev_hash, headerOf(row), of) !== row.hash)
      return { seq, problem: 'its content does not match its hash' };
    this.#seq = row.last_seq + 1;
    this.#prev = row.hash;
    return null;
  }
}
