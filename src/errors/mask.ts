import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';
import { ERRORS, isKnownCode } from './codes.js';
import { DOMAIN_CODES, DomainError } from './domain.js';

/** What a client learns when SQLite could not get its lock in time: the change was rolled back. */
export const DATABASE_BUSY_MESSAGE =
  'The database is busy with another writer; nothing was changed. Try again shortly.';

/** SQLite's "another connection holds the lock" (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, ...). */
export const isDatabaseBusy = (error: unknown): boolean =>
  error instanceof Error &&
  /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown }).code));

/** Codes Apollo Server itself raises for requests it cannot run; their messages are the parser's. */
const REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo `formatError` that lets through only errors with a registered code, with message, path,
 * locations and code alone; anything else becomes a bare INTERNAL_SERVER_ERROR and is logged
 * (message only, never variables or values). A database that stays locked by another writer is
 * not a mystery to the client: it gets SERVICE_UNAVAILABLE, and may try again.
 */
export function maskErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    // A domain refusal (a store's, a register's) reaches the client as its registered code.
    const code =
      original instanceof DomainError ? DOMAIN_CODES[original.kind] : formatted.extensions?.code;
    const known =
      (isKnownCode(code) && code !== 'INTERNAL_SERVER_ERROR') ||
      (typeof code === 'string' && REQUEST_CODES.has(code));
    if (known) {
      return {
        message: formatted.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code },
      };
    }
    if (isDatabaseBusy(original)) {
      logger.warn({ path: formatted.path }, 'database busy: change refused');
      return ERRORS.SERVICE_UNAVAILABLE.formatted(DATABASE_BUSY_MESSAGE, formatted.path);
    }
    logger.error(
      {
        err: original instanceof Error ? original.message : formatted.message,
        path: formatted.path,
      },
      'internal error masked',
    );
    return ERRORS.INTERNAL_SERVER_ERROR.formatted('Internal server error', formatted.path);
  };
}
