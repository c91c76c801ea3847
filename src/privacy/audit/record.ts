import { hash } from 'node:crypto';

/** What every record of one request's disclosures under one exception and reference shares. */
export interface DisclosureHeader {
  at: string;
  requestId: string;
  principal: string | null;
  roles: readonly string[];
  exception: string;
  reference: string | null;
  purpose: string | null;
}

/** Whose fields were disclosed, and which. */
export interface DisclosedSubject {
  patronId: string;
  fields: readonly string[];
}

/** What one disclosure record says: who saw which fields of whom, when, and on what ground. */
export interface DisclosureEntry extends DisclosureHeader, DisclosedSubject {}

/**
 * One request's records under one exception and reference: one record per subject, sharing the
 * header. The audit stores a batch as one row (audit migration 0003_batches), while each record
 * keeps its own place and hash in its chain.
 */
export interface DisclosureBatch extends DisclosureHeader {
  subjects: readonly DisclosedSubject[];
}

/**
 * A batch as the audit writer appends it: the header, each record's patron, and each record's
 * field list already as JSON (`["Patron.email","Patron.name"]`), as the record stores and hashes
 * it. Two arrays of strings are cheap to hold while a write waits, and to pass to the filing thread.
 */
export interface WireBatch extends DisclosureHeader {
  patrons: readonly string[];
  fields: readonly string[];
  /**
   * The batch this one repeats, when a request was answered with another's execution (an
   * identical request of the same caller): the same patrons and fields, the very same arrays, under
   * this request's own header. The audit stores it as a repeat of that batch's row (see
   * `repeatHash`) where it can, else in full.
   */
  repeats?: WireBatch;
}

/** A batch in its wire form. */
export const toWire = ({ subjects, ...header }: DisclosureBatch): WireBatch => ({
  ...header,
  patrons: subjects.map((s) => s.patronId),
  fields: subjects.map((s) => JSON.stringify(s.fields)),
});

/**
 * A stored record: an entry with its place in its chain and the hashes that link it. A record of a
 * repeat (see `repeatHash`) has its own seq, and its repeat's hashes: the one before the repeat and
 * the repeat's own, which vouch for all of its records together.
 */
export interface StoredRecord extends DisclosureEntry {
  chain: string;
  seq: number;
  prevHash: string;
  hash: string;
}

/** The hash before the first record of a chain that was never cut. */
export const GENESIS = '0'.repeat(64);

/** The hash of one record: its content, its place, and the hash of the record before it. */
export function recordHash(
  chain: string,
  seq: number,
  prevHash: string,
  h: DisclosureHeader,
  s: DisclosedSubject,
): string {
  const content = JSON.stringify([
    chain,
    seq,
    h.at,
    h.requestId,
    h.principal,
    h.roles,
    h.exception,
    s.patronId,
    s.fields,
    h.reference,
    h.purpose,
  ]);
  return sha256Hex(`${prevHash}\n${content}`);
}

/** Where the batch a repeat names sits in the chain: its records' seqs and its last record's hash. */
export interface RepeatedBatch {
  firstSeq: number;
  lastSeq: number;
  hash: string;
}

/**
 * The hash of a repeat: a batch row holding no records of its own, whose records are those of an
 * earlier batch row of its chain (the same patrons and fields, in the same order) disclosed again
 * under its own header. It covers its own seqs and header, the place and last hash of the batch it
 * repeats (which cover that batch's every record), and the hash before it. Its content has 14
 * elements where a record's has 11, so neither can pass for the other.
 */
export function repeatHash(
  chain: string,
  firstSeq: number,
  lastSeq: number,
  prevHash: string,
  h: DisclosureHeader,
  of: RepeatedBatch,
): string {
  const content = JSON.stringify([
    chain,
    firstSeq,
    lastSeq,
    h.at,
    h.requestId,
    h.principal,
    h.roles,
    h.exception,
    h.reference,
    h.purpose,
    'repeats',
    of.firstSeq,
    of.lastSeq,
    of.hash,
  ]);
  return sha256Hex(`${prevHash}\n${content}`);
}

/** A record as the writer appends it: its hash, and its stored form `[patronId, fields, hash]` as JSON. */
export interface EncodedRecord {
  hash: string;
  json: string;
}

/**
 * Encodes a batch's records for the writer, with the same hashes as `recordHash` but without its
 * per-record work: the header's JSON is written once per batch, and each field list arrives as
 * JSON (WireBatch). `JSON.stringify` of an array is its elements' JSON joined by commas, so the
 * pieces assemble into exactly the content `recordHash` hashes (a property test holds the two
 * together).
 */
export function batchEncoder(
  chain: string,
  h: DisclosureHeader,
): (seq: number, prevHash: string, patronId: string, fieldsJson: string) => EncodedRecord {
  const head = `,${JSON.stringify([h.at, h.requestId, h.principal, h.roles, h.exception]).slice(1, -1)},`;
  const tail = `,${JSON.stringify([h.reference, h.purpose]).slice(1, -1)}]`;
  const prefix = `[${JSON.stringify(chain)},`;
  return (seq, prevHash, patronId, fieldsJson) => {
    const patron = JSON.stringify(patronId);
    const hash = sha256Hex(`${prevHash}\n${prefix}${seq}${head}${patron},${fieldsJson}${tail}`);
    return { hash, json: `[${patron},${fieldsJson},"${hash}"]` };
  };
}

const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

const sameHeader = (a: DisclosureHeader, b: DisclosureHeader): boolean =>
  a.at === b.at &&
  a.requestId === b.requestId &&
  a.principal === b.principal &&
  a.exception === b.exception &&
  a.reference === b.reference &&
  a.purpose === b.purpose &&
  a.roles.length === b.roles.length &&
  a.roles.every((r, i) => r === b.roles[i]);

/** Groups records, in order, into batches of neighbours that share their header. */
export function batchesOf(entries: readonly DisclosureEntry[]): DisclosureBatch[] {
  const batches: { header: DisclosureEntry; subjects: DisclosedSubject[] }[] = [];
  for (const entry of entries) {
    const last = batches[batches.length - 1];
    const subject = { patronId: entry.patronId, fields: entry.fields };
    if (last && sameHeader(last.header, entry)) last.subjects.push(subject);
    else batches.push({ header: entry, subjects: [subject] });
  }
  return batches.map(({ header: h, subjects }) => ({
    at: h.at,
    requestId: h.requestId,
    principal: h.principal,
    roles: h.roles,
    exception: h.exception,
    reference: h.reference,
    purpose: h.purpose,
    subjects,
  }));
}
