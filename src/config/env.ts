import { z } from 'zod';
import path from 'node:path';

/** The development token secret; production refuses to start with it (CONTRACT.md, "Callers"). */
export const DEV_JWT_SECRET = 'library-graph-development-secret-do-not-use-in-production';

const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url();
const onOff = z.enum(['on', 'off']);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port.default(4000),
  CATALOG_PORT: port.default(4001),
  CIRCULATION_PORT: port.default(4002),
  EVENTS_PORT: port.default(4003),
  CATALOG_URL: url.optional(),
  CIRCULATION_URL: url.optional(),
  EVENTS_URL: url.optional(),
  DATA_DIR: z.string().min(1).default('data'),
  SEED_ON_START: onOff.default('on'),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').default(DEV_JWT_SECRET),
  JWT_ISSUER: z.string().min(1).default('library-graph'),
  JWT_AUDIENCE: z.string().min(1).default('library-graph'),
  CONTEXT_SECRET: z.string().min(32, 'CONTEXT_SECRET must be at least 32 characters').optional(),
  PRIVACY_ENFORCEMENT: onOff.default('on'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Names of the three subgraphs, fixed by CONTRACT.md. */
export const SUBGRAPH_NAMES = ['catalog', 'circulation', 'events'] as const;
/** One subgraph's name. */
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** The validated configuration, read once at start and passed to whatever needs it. */
export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  gatewayPort: number;
  ports: Record<SubgraphName, number>;
  /** Subgraph URLs that override the supergraph's routing URLs. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  dataDir: string;
  seedOnStart: boolean;
  jwt: { secret: string; issuer: string; audience: string; isDevelopmentSecret: boolean };
  /** Secret the gateway and subgraphs share to sign the disclosure context. */
  contextSecret: string;
  privacyEnforcement: boolean;
  logLevel: string;
}

/** Raised when the environment is invalid; its message lists every problem by variable name. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const isDevelopmentSecret = e.JWT_SECRET === DEV_JWT_SECRET;
  if (e.NODE_ENV === 'production') {
    if (isDevelopmentSecret) {
      throw new ConfigError('Invalid configuration:\n  JWT_SECRET: production refuses the development secret');
    }
    if (e.PRIVACY_ENFORCEMENT === 'off') {
      throw new ConfigError('Invalid configuration:\n  PRIVACY_ENFORCEMENT: production cannot turn enforcement off');
    }
    if (!e.CONTEXT_SECRET) {
      throw new ConfigError('Invalid configuration:\n  CONTEXT_SECRET: required in production');
    }
  }
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
    dataDir: path.resolve(e.DATA_DIR),
    seedOnStart: e.SEED_ON_START === 'on',
    jwt: { secret: e.JWT_SECRET, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, isDevelopmentSecret },
    contextSecret: e.CONTEXT_SECRET ?? `${e.JWT_SECRET}:disclosure-context`,
    privacyEnforcement: e.PRIVACY_ENFORCEMENT === 'on',
    logLevel: e.LOG_LEVEL,
  };
}
