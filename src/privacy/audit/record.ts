import { hash } from 'node:crypto';
import type { AuditTables } from './migrations.js';

/** What one disclosure record says: who saw which fields of whom, when, and on what ground. */
export interface DisclosureEntry {
  at: string;
  requestId: string;
  principal: string | null;
  roles: readonly string[];
  exception: string;
  patronId: string;
  fields: readonly string[];
  reference: string | null;
  purpose: string | null;
}

/** A stored record: an entry with its place in its chain and the hashes that link it. */
export interface StoredRecord extends DisclosureEntry {
  chain: string;
  seq: number;
  prevHash: string;
  hash: string;
}

/** The hash before the first record of a chain that was never cut. */
export const GENESIS = '0'.repeat(64);

/** The hash of one record: its content, its place, and the hash of the record before it. */
export function recordHash(chain: string, seq: number, prevHash: string, e: DisclosureEntry): string {
  const content = JSON.stringify([chain, seq, e.at, e.requestId, e.principal, e.roles, e.exception, e.patronId, e.fields, e.reference, e.purpose]);
  return hash('sha256', `${prevHash}\n${content}`, 'hex');
}

/** Reads a stored row back into a record. */
export function fromRow(row: AuditTables['audit_records']): StoredRecord {
  return {
    chain: row.chain,
    seq: row.seq,
    at: row.at,
    requestId: row.request_id,
    principal: row.principal,
    roles: JSON.parse(row.roles) as string[],
    exception: row.exception,
    patronId: row.patron_id,
    fields: JSON.parse(row.fields) as string[],
    reference: row.reference,
    purpose: row.purpose,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
