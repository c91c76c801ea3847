import { z } from 'zod';
import type { OperationLimits } from './operationLimits.js';

/**
 * Fields whose resolvers do much more than read a row: statistics aggregate months of activity,
 * the audit log reads another database, and counts scan. Each costs this many ordinary fields.
 */
export const DEFAULT_FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  'Query.circulationStats': 100,
  'Query.eventStats': 100,
  'Query.disclosures': 10,
  'Patron.disclosures': 10,
  'WorkConnection.totalCount': 10,
};

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const weights = z.string().transform((text, ctx): Record<string, number> => {
  const result: Record<string, number> = { ...DEFAULT_FIELD_WEIGHTS };
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z_]\w*\.[A-Za-z_]\w*)=(\d{1,6})$/.exec(entry);
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: `expected Type.field=N[,Type.field=N...], got "${entry}"`,
      });
      return z.NEVER;
    }
    result[match[1]!] = Number(match[2]);
  }
  return result;
});

/**
 * The limit variables of the environment, with defaults that admit every query of the README, the
 * playground and the tests, and refuse the hostile operations of issue 14: spread into the one
 * environment schema of `src/config/env.ts`, so a bad value is reported with the others.
 */
export const LIMITS_ENV = {
  LIMIT_DEPTH: count(1, 1000).default(12),
  LIMIT_ALIASES: count(0, 100_000).default(200),
  LIMIT_DIRECTIVES: count(0, 100_000).default(20),
  LIMIT_TOKENS: count(10, 1_000_000).default(5000),
  LIMIT_ROOT_FIELDS: count(1, 100_000).default(200),
  LIMIT_COST: count(1, 1_000_000_000).default(20_000),
  LIMIT_LIST_SIZE: count(1, 100_000).default(10),
  LIMIT_FIELD_WEIGHTS: weights.default(() => ({ ...DEFAULT_FIELD_WEIGHTS })),
  LIMIT_ENTITY_REPRESENTATIONS: count(1, 1_000_000).default(1000),
  LIMIT_BODY_BYTES: count(1024, 1024 ** 3).default(1024 * 1024),
  LIMIT_RESPONSE_BYTES: count(1024, 1024 ** 3).default(16 * 1024 * 1024),
  REQUEST_DEADLINE_MS: count(100, 3_600_000).default(10_000),
};

/** What one request may ask for, send and take. */
export interface LimitsConfig {
  /** Operation limits at the gateway; subgraphs apply `subgraphLimits` of them. */
  operation: OperationLimits;
  /** The largest request body; a larger one is answered 413 PAYLOAD_TOO_LARGE. */
  bodyBytes: number;
  /** The largest response body; a larger one is replaced by one OPERATION_TOO_COMPLEX error. */
  responseBytes: number;
  /** How long the gateway waits for query fetches before answering what it has, with TIMEOUT; mutation fetches run to their end. */
  deadlineMs: number;
}

/** The parsed limit variables, as `z.object(LIMITS_ENV)` yields them. */
export type LimitsEnv = z.infer<z.ZodObject<typeof LIMITS_ENV>>;

/** Builds the typed limits configuration from the parsed variables. */
export function limitsConfig(e: LimitsEnv): LimitsConfig {
  return {
    operation: {
      depth: e.LIMIT_DEPTH,
      aliases: e.LIMIT_ALIASES,
      directives: e.LIMIT_DIRECTIVES,
      tokens: e.LIMIT_TOKENS,
      rootFields: e.LIMIT_ROOT_FIELDS,
      cost: e.LIMIT_COST,
      listSize: e.LIMIT_LIST_SIZE,
      fieldWeights: e.LIMIT_FIELD_WEIGHTS,
      entityRepresentations: e.LIMIT_ENTITY_REPRESENTATIONS,
    },
    bodyBytes: e.LIMIT_BODY_BYTES,
    responseBytes: e.LIMIT_RESPONSE_BYTES,
    deadlineMs: e.REQUEST_DEADLINE_MS,
  };
}
