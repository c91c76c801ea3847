import { checkpointValid, type Checkpoint } from './checkpoint.js';
import { headerOf, readSubjects, type BatchRow, type ChainEnd } from './batchRow.js';
import { GENESIS, recordHash } from '../record.js';

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
   */
  batch(
    row: BatchRow,
    indexed: (seq: number, patronId: string, index: number) => BrokenLink | null,
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
}
