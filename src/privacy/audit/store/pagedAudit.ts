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

/**
 * The paging of the audit, the same on either engine: the custodian's query and each patron's
 * newest records. A store supplies only how it reads records newest first after a cursor: a
 * patron's through its patron index (`ofPatrons`), any others by a scan of the batch rows (`scan`).
 */
export abstract class PagedAudit {
  /** Up to `limit` records of the given patrons that match the filter, newest first, after the cursor. */
  protected abstract ofPatrons(
    ids: readonly string[],
    filter: AuditFilter,
    limit: number,
    after: AuditCursor | null,
  ): Found[] | Promise<Found[]>;

  /** Up to `limit` records of the batch rows that match the filter, newest first, after the cursor. */
  protected abstract scan(
    filter: AuditFilter,
    limit: number,
    after: AuditCursor | null,
  ): Found[] | Promise<Found[]>;

  /**
   * Records matching the filter, newest first; `after` is the cursor of the previous page's last
   * record. One record more than the page is read, to tell whether another page follows.
   */
  async query(filter: AuditFilter, first: number, after: AuditCursor | null): Promise<AuditPage> {
    const found = filter.patronId
      ? await this.ofPatrons([filter.patronId], filter, first + 1, after)
      : await this.scan(filter, first + 1, after);
    const page = found.slice(0, first);
    return {
      records: page.map((f) => f.record),
      cursors: page.map((f) => f.cursor),
      more: found.length > first,
    };
  }

  /**
   * Each patron's most recent records that `keep` accepts (for `Patron.disclosures`), newest first,
   * at most `limit` each. Reading stops once every patron has `limit`, so a patron with a long log
   * costs a page, not the whole log.
   */
  async forPatrons(
    ids: readonly string[],
    limit: number,
    keep: (record: StoredRecord) => boolean = () => true,
  ): Promise<StoredRecord[][]> {
    const byPatron = new Map<string, StoredRecord[]>(ids.map((id) => [id, []]));
    const pageSize = Math.max(limit * ids.length, 100);
    let full = 0;
    let after: AuditCursor | null = null;
    for (;;) {
      const page = await this.ofPatrons(ids, {}, pageSize, after);
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
}
