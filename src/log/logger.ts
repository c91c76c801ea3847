import { pino, type Logger } from 'pino';

/**
 * Paths pino censors in every log line: personal data and secrets must never reach a log
 * (policy #2). Logs carry request ids, codes and counts, never names, contacts or patron ids.
 */
export const REDACTED_LOG_PATHS = [
  '*.name',
  '*.email',
  '*.phone',
  '*.address',
  '*.cardNumber',
  '*.card_number',
  '*.birthDate',
  '*.birth_date',
  '*.pin',
  '*.pinHash',
  '*.pin_hash',
  '*.patronId',
  '*.patron_id',
  '*.token',
  'req.headers.authorization',
  'headers.authorization',
  '*.authorization',
  'variables',
  '*.variables',
];

/** Creates the service logger; `destination` lets tests capture every line. */
export function createLogger(
  service: string,
  level: string,
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    name: service,
    level,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

export type { Logger };
