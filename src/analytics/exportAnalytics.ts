import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import type { CirculationTables } from '../../subgraphs/circulation/migrations.js';
import { sqliteOf, type Database } from '../db/open.js';
import { patronId } from '../privacy/context/ids.js';
import { pseudonym } from '../privacy/enforce/deidentify.js';
import { periodOf, type PseudonymPeriod } from '../privacy/enforce/pseudonymPeriod.js';
import { header, line, type ExportFormat, type ExportRow } from './exportFormat.js';
import {
  ANY,
  atLevel,
  GroupCounts,
  keyOf,
  planRecoding,
  TOP,
  type QuasiIdentifiers,
} from './kAnonymity.js';
import { datesAt, DATES_TOP, fullKey } from './exportLadder.js';
import {
  borrowers as readBorrowers,
  lastLoanId,
  loanPages,
  type LoanTuple,
  type LoanWindow,
} from './loanRecords.js';

/** What one export run needs. */
export interface ExportOptions {
  /** The circulation database (its Kysely handle writes the queries, its SQLite handle runs them). */
  database: Database<CirculationTables>;
  window: LoanWindow;
  format: ExportFormat;
  /** The file to write; it appears only once complete (written beside it, then renamed). */
  out: string;
  /** The fewest distinct people an exported group of quasi-identifiers may stand for. */
  k: number;
  pseudonym: { key: string; period: PseudonymPeriod };
  /** Write patron keys (off by default: a key's set of rows can single a patron out). */
  keys?: boolean;
  pageSize?: number;
  /** Called after each page: the phase, the last loan id read and the highest loan id. */
  onProgress?: (phase: 'count' | 'write', done: number, total: number) => void;
  /** Observes each written row with the id of its loan (tests check the file against the database with it). */
  onRow?: (loanId: number, row: ExportRow) => void;
}

/** What an export did, for the summary it prints. */
export interface ExportReport {
  k: number;
  /** Loans in the window. */
  read: number;
  written: number;
  /** Written with their quasi-identifiers as recorded. */
  kept: number;
  /** Of those, the rows still linked to a patron, written with the patron's key. */
  keyed: number;
  /** Written generalized, by rung of the ladder (1: wide age band, 2: and no home branch, 3: neither). */
  generalized: { total: number; byLevel: [number, number, number]; withoutAttributes: number };
  /** Written with their dates and branch generalized, by rung (1: weeks, 2: months, 3: no return date, 4: no branch). */
  dates: { byLevel: [number, number, number, number, number] };
  /** Not written: their group stood for fewer than k people even at the top of either ladder. */
  dropped: number;
  seconds: number;
  /** Rows written per second, both passes included. */
  rowsPerSecond: number;
}

/**
 * Exports one de-identified row per loan of the window, in streaming passes over the loans
 * table: the first counts people per group of quasi-identifiers (age band x home branch x
 * format) and recodes them (src/analytics/kAnonymity.ts); then one pass per rung of the dates
 * ladder (src/analytics/exportLadder.ts) settles each row's branch and dates, so that every
 * combination of all published columns stands for at least k people; the last writes the rows.
 * Patron keys (a pseudonym for the period of the checkout) are written only when asked for, and
 * only on rows published as recorded on both ladders.
 */
export async function exportAnalytics(options: ExportOptions): Promise<ExportReport> {
  const started = performance.now();
  // One read transaction over every pass: in WAL mode they all read the snapshot of its first
  // read, so a loan written while the export runs is in none of them (never written unchecked).
  // SQLite only: the export's snapshot is a transaction on the raw SQLite handle.
  const sqlite = sqliteOf(options.database);
  sqlite.exec('BEGIN');
  try {
    return await exportInSnapshot(options, started);
  } finally {
    if (sqlite.inTransaction) sqlite.exec('COMMIT');
  }
}

/**
 * The key of the export's patron keys: derived from the graph's pseudonym key under its own label,
 * so an export's keys never equal the `borrowerKey`s the graph gives analytics for the same patron
 * and period; otherwise joining the two would attach the export's age band and home branch to the
 * graph's item-level loans, around the export's k-anonymity.
 */
export function exportPseudonymKey(key: string): string {
  return createHmac('sha256', key)
    .update('library-graph/export-patron-keys/v1')
    .digest('base64url');
}

/** The passes of exportAnalytics, inside its read transaction. */
async function exportInSnapshot(options: ExportOptions, started: number): Promise<ExportReport> {
  const { database, window, format, k, pageSize } = options;
  const exportKey = exportPseudonymKey(options.pseudonym.key);
  const total = await lastLoanId(database);
  const borrowers = await readBorrowers(database, window);
  const progress = options.onProgress ?? (() => {});

  const counts = new GroupCounts();
  /** A loan's group of quasi-identifiers as recorded (age band x home branch x format). */
  const groupOf = ([, , , , , ageBand, homeBranch, format]: LoanTuple): number =>
    counts.indexOf(ageBand, homeBranch, format);
  let read = 0;
  for (const page of loanPages(database, window, borrowers, pageSize, total)) {
    for (const loan of page) counts.add(groupOf(loan), loan[1]);
    read += page.length;
    progress('count', page[page.length - 1]![0], total);
  }
  progress('count', total, total);
  const { targets } = planRecoding(counts, k);

  /** The quasi-identifiers a row publishes on rung `level` of the dates ladder (the top one generalizes them too). */
  const quasiAt = (level: number, q: QuasiIdentifiers): QuasiIdentifiers =>
    level >= DATES_TOP ? atLevel(q, TOP) : q;
  /** A loan's group of every column it publishes on rung `level` of the dates ladder. */
  const groupAt = (level: number, q: QuasiIdentifiers, loan: LoanTuple): string => {
    const [, , branch, checkedOutAt, returnedAt] = loan;
    return fullKey(keyOf(quasiAt(level, q)), datesAt(level, branch, checkedOutAt, returnedAt));
  };
  // The dates ladder, one counting pass per rung over the rows still climbing: a row settles on
  // the first rung where its group of all published columns stands for at least k patrons.
  const settled = new Int8Array(total + 1).fill(-1);
  const patronNumber = new Map<string, number>();
  let previous: Map<string, Set<number>> | null = null;
  for (let level = 0; level <= DATES_TOP + 1; level++) {
    const people = new Map<string, Set<number>>();
    for (const page of loanPages(database, window, borrowers, pageSize, total)) {
      for (const loan of page) {
        const [id, patron] = loan;
        const target = targets[groupOf(loan)];
        if (!target || settled[id] !== -1) continue;
        if (previous && (previous.get(groupAt(level - 1, target.q, loan))?.size ?? 0) >= k) {
          settled[id] = level - 1;
          continue;
        }
        if (level > DATES_TOP) continue;
        const group = groupAt(level, target.q, loan);
        let members = people.get(group);
        if (!members) people.set(group, (members = new Set()));
        if (patron !== null) {
          let n = patronNumber.get(patron);
          if (n === undefined) patronNumber.set(patron, (n = patronNumber.size));
          members.add(n);
        }
      }
    }
    previous = people;
  }

  const report: ExportReport = {
    k,
    read,
    written: 0,
    kept: 0,
    keyed: 0,
    generalized: { total: 0, byLevel: [0, 0, 0], withoutAttributes: 0 },
    dates: { byLevel: [0, 0, 0, 0, 0] },
    dropped: 0,
    seconds: 0,
    rowsPerSecond: 0,
  };
  const partial = `${options.out}.partial`;
  const file = fs.createWriteStream(partial, { highWaterMark: 1 << 20 });
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  failed.catch(() => {});
  const write = async (chunk: string) => {
    if (!file.write(chunk)) await Promise.race([once(file, 'drain'), failed]);
  };
  try {
    await write(header(format));
    for (const page of loanPages(database, window, borrowers, pageSize, total)) {
      let chunk = '';
      for (const loan of page) {
        const [id, patron, branch, checkedOutAt, returnedAt, ageBand, homeBranch] = loan;
        const target = targets[groupOf(loan)];
        // Only a row a counting pass settled is written (an id past `total` was never counted).
        const level = settled[id];
        if (!target || level === undefined || level < 0) {
          report.dropped += 1;
          continue;
        }
        if (level > 0) report.dates.byLevel[level - 1]! += 1;
        // The attributes' rung: their own ladder's, or the top when the dates ladder took them there.
        const attributeLevel = level >= DATES_TOP ? TOP : target.level;
        const asRecorded = attributeLevel === 0;
        if (asRecorded) report.kept += 1;
        else {
          report.generalized.total += 1;
          report.generalized.byLevel[attributeLevel - 1]! += 1;
          if (ageBand === ANY && homeBranch === ANY) report.generalized.withoutAttributes += 1;
        }
        // A key strings a patron's rows of a period together, and a set of rows singles people
        // out far sooner than one row: only `keys` exports write it, on rows published as
        // recorded on both ladders.
        const keyed = options.keys === true && asRecorded && level === 0 && patron !== null;
        if (keyed) report.keyed += 1;
        const published = datesAt(level, branch, checkedOutAt, returnedAt);
        const q = quasiAt(level, target.q);
        const row: ExportRow = {
          patronKey: keyed
            ? pseudonym(
                patronId(patron),
                exportKey,
                periodOf(checkedOutAt, options.pseudonym.period),
              )
            : null,
          ageBand: q.ageBand,
          homeBranch: q.homeBranch,
          format: q.format,
          branch: published.branch,
          checkoutDay: published.checkoutDay,
          returnDay: published.returnDay,
        };
        options.onRow?.(id, row);
        chunk += line(format, row);
      }
      report.written = report.kept + report.generalized.total;
      await write(chunk);
      progress('write', page[page.length - 1]![0], total);
    }
    progress('write', total, total);
    file.end();
    await Promise.race([once(file, 'finish'), failed]);
    fs.renameSync(partial, options.out);
  } catch (error) {
    file.destroy();
    fs.rmSync(partial, { force: true });
    throw error;
  }
  report.seconds = (performance.now() - started) / 1000;
  report.rowsPerSecond = Math.round(report.written / Math.max(report.seconds, 1e-3));
  return report;
}
