/**
 * The graph with parts of privacy switched off, for benchmarks only: the start command
 * (`src/cli/start.ts`) with the configuration adjusted in code. `npm start` and every production
 * path read no such switch; this entry point reads its variant from `BENCH_GRAPH_VARIANT` (JSON of
 * `PrivacySwitches`), refuses NODE_ENV=production, and under the supervisor starts each service
 * with itself, so every process runs the same variant.
 */
import { fileURLToPath } from 'node:url';
import type { Config } from '../src/config/env.js';
import { runStart } from '../src/cli/runStart.js';

/** The parts of privacy a benchmark may switch off, and the audit timers' stretch under valgrind. */
export interface PrivacySwitches {
  /** Subgraphs guard @confidential fields. */
  enforcement: boolean;
  /** The gateway drops fields the caller can never receive before planning. */
  prefilter: boolean;
  /** Gateway -> subgraph contexts are signed and verified. */
  signing: boolean;
  /** Disclosures are written to the audit. */
  audit: boolean;
  /** Stretches the audit writer's timers (filing, merging), for a graph run many times slower. */
  auditTimerScale: number;
}

/** The variable this entry point reads its switches from. */
export const VARIANT_VARIABLE = 'BENCH_GRAPH_VARIANT';

/** This file, which the benchmarks start and the supervisor starts each service with. */
export const GRAPH_VARIANT_SCRIPT = fileURLToPath(import.meta.url);

/** `config` with the switches applied (those not given keep the configuration's value, all on). */
export function withSwitches(config: Config, switches: Partial<PrivacySwitches>): Config {
  return {
    ...config,
    privacyEnforcement: switches.enforcement ?? config.privacyEnforcement,
    gatewayPrefilter: switches.prefilter ?? config.gatewayPrefilter,
    contextSigning: switches.signing ?? config.contextSigning,
    audit: {
      ...config.audit,
      enabled: switches.audit ?? config.audit.enabled,
      timerScale: switches.auditTimerScale ?? config.audit.timerScale,
    },
  };
}

/** The parts `--without` may name (fuzz), each the switch it turns off. */
const PARTS = ['enforcement', 'prefilter', 'signing', 'audit'] as const;

/** Parses `--without enforcement,prefilter` into switches; throws naming an unknown part. */
export function parseWithout(list: string): Partial<PrivacySwitches> {
  const switches: Partial<PrivacySwitches> = {};
  for (const name of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const part = PARTS.find((p) => p === name);
    if (!part)
      throw new Error(
        `unknown part of privacy ${JSON.stringify(name)}; known: ${PARTS.join(', ')}`,
      );
    switches[part] = false;
  }
  return switches;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.env.NODE_ENV === 'production') {
    console.error(
      'bench/graphVariant.ts: a benchmark entry point; it does not run with NODE_ENV=production',
    );
    process.exit(2);
  }
  const switches = JSON.parse(process.env[VARIANT_VARIABLE] ?? '{}') as Partial<PrivacySwitches>;
  await runStart({
    configure: (config) => withSwitches(config, switches),
    script: GRAPH_VARIANT_SCRIPT,
  });
}
