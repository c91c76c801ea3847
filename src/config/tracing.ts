import { z } from 'zod';

/** Where finished spans go: an OTLP/HTTP collector, the console (development), or nowhere. */
export const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;
/** One trace exporter. */
export type TraceExporterName = (typeof TRACE_EXPORTERS)[number];

/** The samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`. */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
/** One sampler. */
export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

/** The propagators supported for `OTEL_PROPAGATORS` (others need packages this project does not ship). */
export const PROPAGATORS = ['tracecontext', 'baggage', 'none'] as const;
/** One propagator. */
export type PropagatorName = (typeof PROPAGATORS)[number];

/** A comma-separated list of names from `allowed`, as the OTel specification writes lists. */
const list = <T extends string>(allowed: readonly T[]) =>
  z.string().transform((text, ctx): T[] => {
    const names = text
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter((n) => n !== '');
    const unknown = names.filter((n) => !(allowed as readonly string[]).includes(n));
    if (unknown.length) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a comma-separated list of ${allowed.join(', ')}; got ${unknown.join(', ')}`,
      });
      return z.NEVER;
    }
    return [...new Set(names)] as T[];
  });

/**
 * The standard OpenTelemetry variables this project reads, spread into the one environment schema
 * of `src/config/env.ts`. Unlike the specification's default (otlp), tracing is off unless
 * `OTEL_TRACES_EXPORTER` names an exporter: off, no tracer provider is registered at all.
 */
export const TRACING_ENV = {
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  OTEL_TRACES_EXPORTER: list(TRACE_EXPORTERS).default(['none']),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),
  OTEL_TRACES_SAMPLER: z.enum(TRACE_SAMPLERS).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_PROPAGATORS: list(PROPAGATORS).default(['tracecontext']),
};

/** Tracing as configured: which exporters (empty: tracing off), where, how spans are sampled and propagated. */
export interface TracingConfig {
  exporters: Exclude<TraceExporterName, 'none'>[];
  /** The OTLP/HTTP traces URL (`…/v1/traces`); null: the exporter's default (localhost:4318). */
  otlpTracesUrl: string | null;
  /** `OTEL_SERVICE_NAME`; null: `library-graph-<service>` per process. */
  serviceName: string | null;
  sampler: TraceSamplerName;
  /** The ratio of the `*traceidratio` samplers (default 1). */
  samplerRatio: number;
  propagators: Exclude<PropagatorName, 'none'>[];
}

/** The parsed tracing variables. */
export type TracingEnv = z.infer<z.ZodObject<typeof TRACING_ENV>>;

/** The OTLP traces URL: the signal's own endpoint as given, else the base endpoint with `/v1/traces`. */
function otlpTracesUrl(e: TracingEnv): string | null {
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return null;
}

/** Builds the typed tracing configuration from the parsed variables. */
export function tracingConfig(e: TracingEnv): TracingConfig {
  const disabled = e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER.includes('none');
  return {
    exporters: disabled
      ? []
      : e.OTEL_TRACES_EXPORTER.filter((x): x is Exclude<TraceExporterName, 'none'> => x !== 'none'),
    otlpTracesUrl: otlpTracesUrl(e),
    serviceName: e.OTEL_SERVICE_NAME ?? null,
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    propagators: e.OTEL_PROPAGATORS.includes('none')
      ? []
      : e.OTEL_PROPAGATORS.filter((p): p is Exclude<PropagatorName, 'none'> => p !== 'none'),
  };
}
