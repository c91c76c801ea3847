import type { StoredRecord } from '../record.js';
import type { AuditCursor, Found } from './batchRow.js';

/** Filters of the custodian's audit query. */
export interface AuditFilter {
  patronId?: string | null;
  principal?: string | null;
  exception?: string | null;
  from?: string | null;
  to?: string | null;
}

/** One page of the custodian's audit query: its records newest first, each one's cursor, and whether more follow. */
export interface AuditPage {
  records: StoredRecord[];
  cursors: AuditCursor[];
  more: boolean;
}

/** What each engine supplies to paging: up to `limit` records newest first, after the cursor. */
export interface PageReaders {
  /** The records of one patron that match the filter, through the patron index. */
  ofPatron(
    patronId: string,
    filter: AuditFilter,
    limit: number,
    after: AuditCursor | null,
  ): Found[] | Promise<Found[]>;
  /** The records of the batch rows that match the filter. */
  scan(filter: AuditFilter, limit: number, after: AuditCursor | null): Found[] | Promise<Found[]>;
}

/**
 * One page of the audit query, on either engine: a filter naming a patron reads that patron's
 * records through the patron index, any other a scan of the batch rows. One record more than the
 * page is read, to tell whether another page follows.
 */
export async function queryPage(
  filter: AuditFilter,
  first: number,
  after: AuditCursor | null,
  read: PageReaders,
): Promise<AuditPage> {
  const found = filter.patronId
    ? await read.ofPatron(filter.patronId, filter, first + 1, after)
    : await read.scan(filter, first + 1, after);
  const page = found.slice(0, first);
  return {
    records: page.map((f) => f.record),
    cursors: page.map((f) => f.cursor),
    more: found.length > first,
  };
}

/**
 * Each patron's most recent records that `keep` accepts (for `Patron.disclosures`), newest first,
 * at most `limit` each, on either engine: `pageOf` reads the patrons' records newest first after
 * a cursor, and reading stops once every patron has `limit`, so a patron with a long log costs a
 * page, not the whole log.
 */
export async function newestPerPatron(
  ids: readonly string[],
  limit: number,
  keep: (record: StoredRecord) => boolean,
  pageOf: (size: number, after: AuditCursor | null) => Found[] | Promise<Found[]>,
): Promise<StoredRecord[][]> {
  const byPatron = new Map<string, StoredRecord[]>(ids.map((id) => [id, []]));
  const pageSize = Math.max(limit * ids.length, 100);
  let full = 0;
  let after: AuditCursor | null = null;
  for (;;) {
    const page = await pageOf(pageSize, after);
    for (const { record } of page) {
      const list = byPatron.get(record.patronId);
      if (!list || list.length >= limit || !keep(record)) continue;
      list.push(record);
      if (list.length === limit) full += 1;
    }
    if (page.length < pageSize || full === byPatron.size) break;
    after = page[page.length - 1]!.cursor;
  }
  return ids.map((id) => byPatron.get(id) ?? []);
}
