/** The file formats of the analytics export. */
export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
/** One of them. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One exported row: a de-identified loan. Nulls are written as empty CSV fields or JSON null. */
export interface ExportRow {
  /** Keyed pseudonym of the borrower for the checkout's period; null when unlinked or generalized. */
  patronKey: string | null;
  ageBand: string;
  homeBranch: string;
  format: string;
  branch: string;
  checkoutDay: string;
  returnDay: string | null;
}

/** The CSV header, in column order. */
export const CSV_COLUMNS = [
  'patron_key',
  'age_band',
  'home_branch',
  'format',
  'branch',
  'checkout_day',
  'return_day',
] as const;

/** Quotes a CSV field when it needs it (RFC 4180); our values never do, but a bad one must not break a row. */
const csvField = (value: string | null): string =>
  value === null ? '' : /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

/** What goes before the first row. */
export function header(format: ExportFormat): string {
  return format === 'csv' ? `${CSV_COLUMNS.join(',')}\n` : '';
}

/** One row as a line of the file, newline included. */
export function line(format: ExportFormat, row: ExportRow): string {
  if (format === 'ndjson') return `${JSON.stringify(row)}\n`;
  return `${[row.patronKey, row.ageBand, row.homeBranch, row.format, row.branch, row.checkoutDay, row.returnDay].map(csvField).join(',')}\n`;
}
