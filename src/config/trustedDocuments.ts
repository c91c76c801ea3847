import path from 'node:path';
import { z } from 'zod';

/**
 * Which operations the gateway runs. `off`: any operation (and automatic persisted queries).
 * `allow`: the manifest's operations are served by id and pre-parsed, other operations still run
 * (a step towards `require`). `require`: only the manifest's operations; anything else is refused
 * with OPERATION_NOT_TRUSTED before it is parsed, and no hash can be registered.
 */
export const TRUSTED_DOCUMENTS_MODES = ['off', 'allow', 'require'] as const;
/** One of {@link TRUSTED_DOCUMENTS_MODES}. */
export type TrustedDocumentsMode = (typeof TRUSTED_DOCUMENTS_MODES)[number];

/**
 * The trusted-documents and persisted-query variables of the environment: spread into the one
 * environment schema of `src/config/env.ts`, so a bad value is reported with the others.
 */
export const TRUSTED_DOCUMENTS_ENV = {
  /** A persisted-query manifest (`npm run trusted-documents -- build`); read, parsed and checked at start. */
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  /** Default: `require` with a manifest, `off` without. */
  TRUSTED_DOCUMENTS_MODE: z.enum(TRUSTED_DOCUMENTS_MODES).optional(),
  PERSISTED_QUERIES: z.enum(['on', 'off']).default('on'),
  PERSISTED_QUERIES_MAX_ENTRIES: z.coerce.number().int().min(0).max(1_000_000).default(1000),
  PERSISTED_QUERIES_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1024 ** 3)
    .default(8 * 1024 * 1024),
};

/** What the gateway accepts besides a plain operation: registered documents and persisted queries. */
export interface TrustedDocumentsConfig {
  /** The manifest's absolute path (null: none). */
  manifest: string | null;
  mode: TrustedDocumentsMode;
  /** Automatic persisted queries: on or off, and the bounds of their cache (entries, UTF-8 bytes of hash and text). */
  persistedQueries: { enabled: boolean; maxEntries: number; maxBytes: number };
}

type TrustedDocumentsEnv = z.infer<z.ZodObject<typeof TRUSTED_DOCUMENTS_ENV>>;

/** The variables that do not fit together, one line each (empty: none). */
export function trustedDocumentsProblems(e: TrustedDocumentsEnv): string[] {
  if (e.TRUSTED_DOCUMENTS_MODE && e.TRUSTED_DOCUMENTS_MODE !== 'off' && !e.TRUSTED_DOCUMENTS) {
    return [
      `TRUSTED_DOCUMENTS: TRUSTED_DOCUMENTS_MODE=${e.TRUSTED_DOCUMENTS_MODE} needs a manifest file`,
    ];
  }
  return [];
}

/** Builds the typed configuration from the parsed variables. */
export function trustedDocumentsConfig(e: TrustedDocumentsEnv): TrustedDocumentsConfig {
  return {
    manifest: e.TRUSTED_DOCUMENTS ? path.resolve(e.TRUSTED_DOCUMENTS) : null,
    mode: e.TRUSTED_DOCUMENTS_MODE ?? (e.TRUSTED_DOCUMENTS ? 'require' : 'off'),
    persistedQueries: {
      enabled: e.PERSISTED_QUERIES === 'on',
      maxEntries: e.PERSISTED_QUERIES_MAX_ENTRIES,
      maxBytes: e.PERSISTED_QUERIES_MAX_BYTES,
    },
  };
}
