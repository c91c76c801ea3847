import { ERRORS, type ErrorCode } from './codes.js';

/** The marker the README's error table starts after. */
export const TABLE_START =
  '<!-- error codes: generated from src/errors/codes.ts by `npm run docs:errors`; edit the registry, not this table -->';
/** The marker the README's error table ends before. */
export const TABLE_END = '<!-- end of error codes -->';

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The registry as a Markdown table: code, HTTP status, meaning, in the registry's order. */
export function errorTable(): string {
  const rows = (Object.keys(ERRORS) as ErrorCode[]).map((code) => {
    const { status, description } = ERRORS[code];
    return `| \`${code}\` | ${status === 200 ? "200 (in the answer's `errors`)" : status} | ${cell(description)} |`;
  });
  return ['| code | HTTP status | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** `document` with the text between the markers replaced by the current table. */
export function withErrorTable(document: string): string {
  const start = document.indexOf(TABLE_START);
  const end = document.indexOf(TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`the error table's markers are missing: ${TABLE_START} ... ${TABLE_END}`);
  return `${document.slice(0, start + TABLE_START.length)}\n${errorTable()}\n${document.slice(end)}`;
}
