import { z } from 'zod';
import path from 'node:path';
import { PSEUDONYM_PERIODS, type PseudonymPeriod } from './analytics.js';
import { RATE_LIMIT_ENV, rateLimitConfig, type RateLimitConfig } from '../ratelimit/config.js';
import { RETENTION_ENV, retentionConfig, type RetentionConfig } from './retention.js';
import type { MetricsAccess } from './metrics.js';
import { LIMITS_ENV, limitsConfig, type LimitsConfig } from '../limits/config.js';
import { useTallySecret } from './analytics.js';
import {
  TRUSTED_DOCUMENTS_ENV,
  trustedDocumentsConfig,
  trustedDocumentsProblems,
  type TrustedDocumentsConfig,
} from './trustedDocuments.js';
import { TRACING_ENV, tracingConfig, type TracingConfig } from './tracing.js';
import { replicaUrls } from './replicas.js';

/** The development token secret; production refuses to start with it (CONTRACT.md, "Callers"). */
export const DEV_JWT_SECRET = 'library-graph-development-secret-do-not-use-in-production';

const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url();
/** One URL, or the URLs of a subgraph's replicas separated by commas (src/config/replicas.ts). */
const urlList = z
  .string()
  .refine(
    (v) => replicaUrls(v).length > 0 && replicaUrls(v).every((u) => url.safeParse(u).success),
    { message: 'must be a URL, or URLs separated by commas' },
  )
  .transform((v) => replicaUrls(v).join(','));
const onOff = z.enum(['on', 'off']);
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, {
    message: 'must be a postgres:// (or postgresql://) connection URL',
  })
  .optional();

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port.default(4000),
  CATALOG_PORT: port.default(4001),
  CIRCULATION_PORT: port.default(4002),
  EVENTS_PORT: port.default(4003),
  CATALOG_URL: urlList.optional(),
  CIRCULATION_URL: urlList.optional(),
  EVENTS_URL: urlList.optional(),
  DATA_DIR: z.string().min(1).default('data'),
  /** One PostgreSQL database for the three subgraph stores, a schema each; unset: SQLite files in DATA_DIR. */
  DATABASE_URL: postgresUrl,
  /** Per-subgraph PostgreSQL database (overrides DATABASE_URL for that subgraph). */
  CATALOG_DATABASE_URL: postgresUrl,
  CIRCULATION_DATABASE_URL: postgresUrl,
  EVENTS_DATABASE_URL: postgresUrl,
  SEED_ON_START: onOff.optional(),
  JWT_SECRET: z
    .string()
    .min(32, 'JWT_SECRET must be at least 32 characters')
    .default(DEV_JWT_SECRET),
  JWT_ISSUER: z.string().min(1).default('library-graph'),
  JWT_AUDIENCE: z.string().min(1).default('library-graph'),
  JWT_PUBLIC_KEY: z
    .string()
    .includes('BEGIN PUBLIC KEY', { message: 'JWT_PUBLIC_KEY must be a PEM (SPKI) public key' })
    .optional(),
  JWT_PRIVATE_KEY: z
    .string()
    .includes('BEGIN PRIVATE KEY', {
      message: 'JWT_PRIVATE_KEY must be a PEM (PKCS#8) private key',
    })
    .optional(),
  JWT_JWKS_URL: url.optional(),
  JWT_ALGORITHM: z.enum(['RS256', 'EdDSA']).default('RS256'),
  CONTEXT_SECRET: z.string().min(32, 'CONTEXT_SECRET must be at least 32 characters').optional(),
  // Key rotation (docs/deployment.md, "Key rotation"): a second key accepted, never used to sign.
  CONTEXT_SECRET_PREVIOUS: z
    .string()
    .min(32, 'CONTEXT_SECRET_PREVIOUS must be at least 32 characters')
    .optional(),
  JWT_PUBLIC_KEY_PREVIOUS: z
    .string()
    .includes('BEGIN PUBLIC KEY', {
      message: 'JWT_PUBLIC_KEY_PREVIOUS must be a PEM (SPKI) public key',
    })
    .optional(),
  /** The `kid` of tokens issued here (default: the RFC 7638 thumbprint of the signing key's public key). */
  JWT_KEY_ID: z.string().min(1).max(200).optional(),
  PSEUDONYM_KEY: z.string().min(32, 'PSEUDONYM_KEY must be at least 32 characters').optional(),
  /** Keys the statistics tally's person digests (never stored in a database); required in production. */
  TALLY_KEY: z.string().min(32, 'TALLY_KEY must be at least 32 characters').optional(),
  PSEUDONYM_PERIOD: z.enum(PSEUDONYM_PERIODS).default('month'),
  ANALYTICS_MIN_CELL: z.coerce.number().int().min(2).max(1000).default(10),
  /** Privacy loss per person and month of a differentially private statistics release (docs in README). */
  ANALYTICS_DP_EPSILON: z.coerce.number().positive().max(10).default(1),
  /** The most checkouts (registrations) one person counts for in a month of a DP release. */
  ANALYTICS_DP_CONTRIBUTION: z.coerce.number().int().min(1).max(100).default(8),
  /** The gateway's cache of anonymous answers over public data only (README, "Public response cache"). */
  RESPONSE_CACHE: onOff.default('on'),
  RESPONSE_CACHE_MAX_MB: z.coerce
    .number()
    .int()
    .min(1, 'RESPONSE_CACHE_MAX_MB must be at least 1')
    .max(65536)
    .default(32),
  /**
   * The gateway sends identical anonymous query fetches in flight to a subgraph once, and each
   * subgraph executes identical queries of one caller in flight once (each request still audited).
   */
  SUBGRAPH_DEDUP: onOff.default('on'),
  /** How catalog and events execute an operation: compiled (graphql-jit) or graphql-js (README). */
  SUBGRAPH_EXECUTOR: z.enum(['jit', 'graphql-js']).default('jit'),
  AUDIT_KEY: z.string().min(32, 'AUDIT_KEY must be at least 32 characters').optional(),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(730),
  /** The disclosure audit on PostgreSQL (schema `audit`), overriding DATABASE_URL for it; neither set: DATA_DIR/audit.db. */
  AUDIT_DATABASE_URL: postgresUrl,
  /** Connections per PostgreSQL pool; a subgraph process keeps one pool per store, the audit and the nonces. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Bearer token of the Prometheus scraper; without it (and without METRICS_PORT) /metrics is not served. */
  METRICS_TOKEN: z.string().min(1).optional(),
  /** Admin port bound to 127.0.0.1 serving /metrics of every service in this process, no token. */
  METRICS_PORT: port.optional(),
  /** The shared signature-nonce store's SQLite file (default: nonces.db in DATA_DIR; with DATABASE_URL: PostgreSQL unless this is set). */
  NONCE_STORE_FILE: z.string().min(1).optional(),
  /** Milliseconds from an anonymizing write to the WAL checkpoint that clears its old versions (at most a minute). */
  WAL_CHECKPOINT_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(30_000),
  /** Milliseconds catalog and events wait for circulation's facts endpoint before redacting what depends on it. */
  FACTS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** Refused on-behalf card lookups a principal may make per window before every lookup is refused. */
  ON_BEHALF_REFUSALS: z.coerce.number().int().min(1).max(10_000).default(20),
  ON_BEHALF_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Where signed chain heads are appended (a path, or `off`); default `<DATA_DIR>/audit-anchors.jsonl`. */
  AUDIT_ANCHOR_FILE: z.string().min(1, 'AUDIT_ANCHOR_FILE must be a file path or off').optional(),
  AUDIT_ANCHOR_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PLAYGROUND: z.enum(['graphiql', 'apollo-sandbox', 'off']).optional(),
  SUPERVISE: onOff.default('on'),
  SERVICE_HEAP_MB: z.coerce
    .number()
    .int()
    .min(64, 'SERVICE_HEAP_MB must be at least 64')
    .max(65536)
    .default(1024),
  SERVICE_SEMI_SPACE_MB: z.coerce
    .number()
    .int()
    .min(0, 'SERVICE_SEMI_SPACE_MB must be 0 (V8 decides) or a size in MB')
    .max(1024)
    .default(64),
  RESTART_DELAY_MS: z.coerce.number().int().min(10).max(600_000).default(500),
  RESTART_DELAY_MAX_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  RESTART_RESET_AFTER_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  // Retention: RETENTION_CLOSED_LOANS, _LOANS_WITH_FEES, _HOLDS, _REGISTRATIONS, PURGE_SCHEDULE, PURGE_TIMEZONE.
  ...RETENTION_ENV,
  // Limits: LIMIT_DEPTH, _ALIASES, _DIRECTIVES, _TOKENS, _ROOT_FIELDS, _COST, _LIST_SIZE, _FIELD_WEIGHTS,
  // _ENTITY_REPRESENTATIONS, _BODY_BYTES, _RESPONSE_BYTES, REQUEST_DEADLINE_MS.
  ...LIMITS_ENV,
  // Rate limits: RATE_LIMIT_{PRINCIPAL,ANONYMOUS}_{PER_MINUTE,BURST}, TRUSTED_PROXIES.
  ...RATE_LIMIT_ENV,
  // Trusted documents: TRUSTED_DOCUMENTS, TRUSTED_DOCUMENTS_MODE, PERSISTED_QUERIES{,_MAX_ENTRIES,_MAX_BYTES}.
  ...TRUSTED_DOCUMENTS_ENV,
  // Traces: OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, OTEL_SERVICE_NAME,
  // OTEL_TRACES_SAMPLER(_ARG), OTEL_PROPAGATORS, OTEL_SDK_DISABLED.
  ...TRACING_ENV,
});

/** Names of the three subgraphs, fixed by CONTRACT.md. */
export const SUBGRAPH_NAMES = ['catalog', 'circulation', 'events'] as const;
/** One subgraph's name. */
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/**
 * How tokens are verified (and, for card logins, issued). Development: one HS256 secret.
 * Production: an RS256/EdDSA public key or a JWKS URL; issuing needs the matching private key.
 */
export type JwtConfig = {
  issuer: string;
  audience: string;
  isDevelopmentSecret: boolean;
} & (
  | { mode: 'shared-secret'; secret: string }
  | {
      mode: 'public-key';
      algorithm: 'RS256' | 'EdDSA';
      publicKey: string;
      previousPublicKey: string | null;
      privateKey: string | null;
      keyId: string | null;
    }
  | {
      mode: 'jwks';
      algorithm: 'RS256' | 'EdDSA';
      jwksUrl: string;
      privateKey: string | null;
      keyId: string | null;
    }
);

/** Which executor runs a subgraph's operations once Apollo Server has parsed and validated them. */
export type SubgraphExecutor = 'jit' | 'graphql-js';

/** The validated configuration, read once at start and passed to whatever needs it. */
export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  gatewayPort: number;
  ports: Record<SubgraphName, number>;
  /** Subgraph URLs that override the supergraph's routing URLs (a subgraph's replicas: URLs joined by commas). */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  dataDir: string;
  /**
   * The subgraph stores on PostgreSQL: for each, the database URL and the schema its tables live
   * in (the subgraph's name); null keeps that store in its SQLite file under dataDir. The audit
   * stays a SQLite file under dataDir either way (the signature-nonce store: see nonceStore).
   */
  postgres: Record<SubgraphName, PostgresLocation | null>;
  seedOnStart: boolean;
  jwt: JwtConfig;
  /** Secret the gateway and subgraphs share to sign the disclosure context. */
  contextSecret: string;
  /** A second context secret signatures are also accepted under, never signed with (key rotation); null: none. */
  contextSecretPrevious: string | null;
  /**
   * Analytics: the HMAC key of patron pseudonyms and how long one lasts (a key never leaves the
   * service, and is not the context secret), and k, the fewest distinct people a published
   * statistic or exported group may stand for.
   */
  analytics: {
    pseudonymKey: string;
    pseudonymPeriod: PseudonymPeriod;
    minCellSize: number;
    dp: { epsilon: number; contribution: number };
  };
  /**
   * Subgraphs guard @confidential fields. True from `loadConfig` whatever the environment says;
   * only a benchmark's own entry point builds a configuration with it (or the next two) false.
   */
  privacyEnforcement: boolean;
  /** The gateway drops fields the caller can never receive before planning (true, as above). */
  gatewayPrefilter: boolean;
  /** Gateway -> subgraph contexts are signed and verified (true, as above). */
  contextSigning: boolean;
  /** The gateway's public response cache (anonymous callers, public fields only) and its memory budget. */
  responseCache: { enabled: boolean; maxBytes: number };
  /**
   * Identical subgraph query fetches in flight at once are sent once and their answer shared, for
   * callers no exception applies to (anonymous): see gateway/sharedFetches.ts.
   */
  subgraphDedup: boolean;
  /**
   * The executor of each subgraph's operations (src/subgraph/jitExecutor.ts). SUBGRAPH_EXECUTOR
   * sets catalog's and events' (public data); circulation, which holds every confidential field,
   * stays on graphql-js from `loadConfig` (a test's own configuration may compile it, to compare).
   */
  subgraphExecutors: Record<SubgraphName, SubgraphExecutor>;
  /**
   * The disclosure audit: on (only a benchmark's entry point builds it off, or its timers
   * stretched under valgrind), its checkpoint key, and how long records are kept.
   */
  audit: {
    enabled: boolean;
    key: string;
    retentionDays: number;
    timerScale: number;
    /** The append-only file the signed chain heads go to (null: anchoring off), and how often. */
    anchorFile: string | null;
    anchorIntervalMs: number;
    /** AUDIT_DATABASE_URL, else DATABASE_URL, in schema `audit`; null (neither set) keeps the audit in its SQLite file under dataDir. */
    postgres: PostgresLocation | null;
  };
  logLevel: string;
  /** What a browser gets at the gateway: our offline GraphiQL at `/`, Apollo Sandbox (online), or nothing. */
  playground: 'graphiql' | 'apollo-sandbox' | 'off';
  /** How long closed loans, holds and registrations keep their patron, and when the purge runs. */
  retention: RetentionConfig;
  /** Who may read /metrics: the scraper's bearer token and/or a loopback-only admin port (neither: no one). */
  metrics: MetricsAccess;
  /** OpenTelemetry traces from the standard `OTEL_*` variables (no exporter: tracing off). */
  tracing: TracingConfig;
  /** How soon after an anonymizing write the SQLite WAL is checkpointed (TRUNCATE), in ms. */
  walCheckpointDelayMs: number;
  /** The SQLite file every replica's signature nonces are claimed in (when nonceStore is not on PostgreSQL). */
  nonceStoreFile: string;
  /**
   * Where signature nonces are claimed: the `signing` schema of DATABASE_URL's database (else the
   * first subgraph database URL set), so replicas on every host share it; the SQLite file
   * nonceStoreFile when no PostgreSQL URL is set, or when NONCE_STORE_FILE names one explicitly.
   */
  nonceStore: string | PostgresLocation;
  /** How long a subgraph waits for circulation's facts endpoint, in ms. */
  factsTimeoutMs: number;
  /** On-behalf card lookups: a principal refused `refusals` times within `windowMs` is refused every lookup until the window passes. */
  onBehalf: { refusals: number; windowMs: number };
  /** What one request may ask for, send and take: operation limits, body and response sizes, its deadline. */
  limits: LimitsConfig;
  /** The gateway's rate limits per principal and per anonymous client address, and which proxies to believe. */
  rateLimit: RateLimitConfig;
  /** How `npm start` runs the whole graph: one process per service under a supervisor, or all in one. */
  supervisor: SupervisorConfig;
  /** Which operations the gateway runs (a manifest of trusted documents) and its automatic persisted queries. */
  trustedDocuments: TrustedDocumentsConfig;
}

/**
 * The supervisor of `npm start`: each service in its own process with a heap cap, so one that runs
 * out of memory takes only itself down, restarted after `initialDelayMs`, doubling up to
 * `maxDelayMs`, back to the first delay once a process has stayed up `resetAfterMs`.
 */
export interface SupervisorConfig {
  enabled: boolean;
  heapMb: number;
  /**
   * The largest semi-space of each service's young generation, in MB (0: V8's own default). A
   * gateway or subgraph allocates a request's whole result tree and drops it within the request;
   * room for several requests' worth in the young generation lets that garbage die in scavenges
   * instead of being copied again and again or promoted.
   */
  semiSpaceMb: number;
  initialDelayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

/** Where one subgraph's store lives on PostgreSQL. */
export interface PostgresLocation {
  url: string;
  schema: string;
  /** The most connections its pool opens (DATABASE_POOL_SIZE). */
  poolSize: number;
}

/** Raised when the environment is invalid; its message lists every problem by variable name. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const postgresLocation = (
  e: z.infer<typeof EnvSchema>,
  url: string | undefined,
  schema: string,
): PostgresLocation | null => (url ? { url, schema, poolSize: e.DATABASE_POOL_SIZE } : null);

function jwtConfig(e: z.infer<typeof EnvSchema>, isDevelopmentSecret: boolean): JwtConfig {
  const common = { issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, isDevelopmentSecret };
  const privateKey = e.JWT_PRIVATE_KEY ?? null;
  const keyId = e.JWT_KEY_ID ?? null;
  if (e.JWT_PUBLIC_KEY) {
    return {
      ...common,
      mode: 'public-key',
      algorithm: e.JWT_ALGORITHM,
      publicKey: e.JWT_PUBLIC_KEY,
      previousPublicKey: e.JWT_PUBLIC_KEY_PREVIOUS ?? null,
      privateKey,
      keyId,
    };
  }
  if (e.JWT_JWKS_URL)
    return {
      ...common,
      mode: 'jwks',
      algorithm: e.JWT_ALGORITHM,
      jwksUrl: e.JWT_JWKS_URL,
      privateKey,
      keyId,
    };
  return { ...common, mode: 'shared-secret', secret: e.JWT_SECRET };
}

/**
 * Variables that once switched parts of privacy off for benchmarks. They are refused by name, so
 * an environment that still sets one learns that it has no effect: the benchmarks build their
 * variants in code (bench/graphVariant.ts), and no environment can.
 */
const RETIRED_SWITCHES = [
  'PRIVACY_ENFORCEMENT',
  'GATEWAY_PREFILTER',
  'CONTEXT_SIGNING',
  'AUDIT',
  'AUDIT_TIMER_SCALE',
] as const;

/** The schema of the signature-nonce store on PostgreSQL. */
export const NONCE_SCHEMA = 'signing';

const nonceStoreFile = (e: z.infer<typeof EnvSchema>): string =>
  e.NONCE_STORE_FILE
    ? path.resolve(e.NONCE_STORE_FILE)
    : e.DATA_DIR === ':memory:'
      ? ':memory:'
      : path.resolve(e.DATA_DIR, 'nonces.db');

/** PostgreSQL when a subgraph store is there (every replica of every host then shares it), unless NONCE_STORE_FILE names a file. */
function nonceStoreLocation(e: z.infer<typeof EnvSchema>): string | PostgresLocation {
  const url =
    e.DATABASE_URL ?? e.CIRCULATION_DATABASE_URL ?? e.CATALOG_DATABASE_URL ?? e.EVENTS_DATABASE_URL;
  const location = e.NONCE_STORE_FILE ? null : postgresLocation(e, url, NONCE_SCHEMA);
  return location ?? nonceStoreFile(e);
}

/** Reads and validates the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const retired = RETIRED_SWITCHES.filter((name) => env[name] !== undefined);
  if (retired.length) {
    throw new ConfigError(
      `Invalid configuration:\n${retired.map((name) => `  ${name}: not a setting; privacy cannot be turned off (benchmarks build their variants in code): remove it`).join('\n')}`,
    );
  }
  const mismatched = trustedDocumentsProblems(e);
  if (mismatched.length)
    throw new ConfigError(`Invalid configuration:\n${mismatched.map((p) => `  ${p}`).join('\n')}`);
  const asymmetric = Boolean(e.JWT_PUBLIC_KEY ?? e.JWT_JWKS_URL);
  const isDevelopmentSecret = !asymmetric && e.JWT_SECRET === DEV_JWT_SECRET;
  if (e.NODE_ENV === 'production') {
    const problems = [
      env.JWT_SECRET === DEV_JWT_SECRET && 'JWT_SECRET: production refuses the development secret',
      !asymmetric &&
        'JWT_PUBLIC_KEY or JWT_JWKS_URL: production needs a public key to verify tokens',
      e.AUDIT_ANCHOR_FILE === 'off' &&
        'AUDIT_ANCHOR_FILE: production cannot turn audit anchoring off',
      !e.AUDIT_KEY && 'AUDIT_KEY: required in production (signs the audit retention checkpoints)',
      !e.CONTEXT_SECRET &&
        'CONTEXT_SECRET: required in production (shared by the gateway and the subgraphs)',
      !e.PSEUDONYM_KEY &&
        'PSEUDONYM_KEY: required in production (keys the analytics pseudonyms of patrons)',
      !e.TALLY_KEY &&
        'TALLY_KEY: required in production (keys the statistics tally of people per month)',
      e.METRICS_TOKEN !== undefined &&
        e.METRICS_TOKEN.length < 32 &&
        'METRICS_TOKEN: production needs at least 32 characters',
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length)
      throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  // The tally keys from configuration only (src/config/analytics.ts).
  useTallySecret(e.TALLY_KEY ?? `${e.PSEUDONYM_KEY ?? e.JWT_SECRET}:analytics-tally`);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    gatewayPort: e.GATEWAY_PORT,
    ports: { catalog: e.CATALOG_PORT, circulation: e.CIRCULATION_PORT, events: e.EVENTS_PORT },
    subgraphUrls: {
      ...(e.CATALOG_URL ? { catalog: e.CATALOG_URL } : {}),
      ...(e.CIRCULATION_URL ? { circulation: e.CIRCULATION_URL } : {}),
      ...(e.EVENTS_URL ? { events: e.EVENTS_URL } : {}),
    },
    // `:memory:` stays itself (every store in memory), not a directory of that name in the cwd.
    dataDir: e.DATA_DIR === ':memory:' ? ':memory:' : path.resolve(e.DATA_DIR),
    postgres: {
      catalog: postgresLocation(e, e.CATALOG_DATABASE_URL ?? e.DATABASE_URL, 'catalog'),
      circulation: postgresLocation(e, e.CIRCULATION_DATABASE_URL ?? e.DATABASE_URL, 'circulation'),
      events: postgresLocation(e, e.EVENTS_DATABASE_URL ?? e.DATABASE_URL, 'events'),
    },
    // Demo data is seeded on first start in development only, unless asked for.
    seedOnStart: (e.SEED_ON_START ?? (e.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
    jwt: jwtConfig(e, isDevelopmentSecret),
    contextSecret: e.CONTEXT_SECRET ?? `${e.JWT_SECRET}:disclosure-context`,
    contextSecretPrevious: e.CONTEXT_SECRET_PREVIOUS ?? null,
    analytics: {
      pseudonymKey: e.PSEUDONYM_KEY ?? `${e.JWT_SECRET}:analytics-pseudonyms`,
      pseudonymPeriod: e.PSEUDONYM_PERIOD,
      minCellSize: e.ANALYTICS_MIN_CELL,
      dp: { epsilon: e.ANALYTICS_DP_EPSILON, contribution: e.ANALYTICS_DP_CONTRIBUTION },
    },
    privacyEnforcement: true,
    gatewayPrefilter: true,
    contextSigning: true,
    responseCache: {
      enabled: e.RESPONSE_CACHE === 'on',
      maxBytes: e.RESPONSE_CACHE_MAX_MB * 1024 * 1024,
    },
    subgraphDedup: e.SUBGRAPH_DEDUP === 'on',
    subgraphExecutors: {
      catalog: e.SUBGRAPH_EXECUTOR,
      circulation: 'graphql-js',
      events: e.SUBGRAPH_EXECUTOR,
    },
    audit: {
      enabled: true,
      key: e.AUDIT_KEY ?? `${e.JWT_SECRET}:audit-checkpoints`,
      retentionDays: e.AUDIT_RETENTION_DAYS,
      timerScale: 1,
      anchorFile:
        e.AUDIT_ANCHOR_FILE === 'off'
          ? null
          : path.resolve(e.AUDIT_ANCHOR_FILE ?? path.join(e.DATA_DIR, 'audit-anchors.jsonl')),
      anchorIntervalMs: e.AUDIT_ANCHOR_INTERVAL_SECONDS * 1000,
      postgres: postgresLocation(e, e.AUDIT_DATABASE_URL ?? e.DATABASE_URL, 'audit'),
    },
    logLevel: e.LOG_LEVEL,
    // A browser playground in development; tests and production ask for one explicitly.
    playground: e.PLAYGROUND ?? (e.NODE_ENV === 'development' ? 'graphiql' : 'off'),
    retention: retentionConfig(e),
    metrics: { token: e.METRICS_TOKEN ?? null, port: e.METRICS_PORT ?? null },
    tracing: tracingConfig(e),
    walCheckpointDelayMs: e.WAL_CHECKPOINT_DELAY_MS,
    nonceStoreFile: nonceStoreFile(e),
    nonceStore: nonceStoreLocation(e),
    factsTimeoutMs: e.FACTS_TIMEOUT_MS,
    onBehalf: { refusals: e.ON_BEHALF_REFUSALS, windowMs: e.ON_BEHALF_WINDOW_SECONDS * 1000 },
    limits: limitsConfig(e),
    rateLimit: rateLimitConfig(e),
    supervisor: {
      enabled: e.SUPERVISE === 'on',
      heapMb: e.SERVICE_HEAP_MB,
      semiSpaceMb: e.SERVICE_SEMI_SPACE_MB,
      initialDelayMs: e.RESTART_DELAY_MS,
      maxDelayMs: Math.max(e.RESTART_DELAY_MAX_MS, e.RESTART_DELAY_MS),
      resetAfterMs: e.RESTART_RESET_AFTER_MS,
    },
    trustedDocuments: trustedDocumentsConfig(e),
  };
}
