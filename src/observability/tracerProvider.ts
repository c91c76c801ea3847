import {
  context,
  propagation,
  trace,
  type ProxyTracerProvider,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SanitizingExporter } from './sanitizingExporter.js';
import type { TracingConfig } from '../config/tracing.js';

/** The instrumentation scope of the spans this project makes itself. */
const SCOPE = 'library-graph';

function samplerOf(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
  }
}

function propagatorOf(config: TracingConfig): TextMapPropagator {
  const all = config.propagators.map((name) =>
    name === 'baggage' ? new W3CBaggagePropagator() : new W3CTraceContextPropagator(),
  );
  return new CompositePropagator({ propagators: all });
}

/**
 * Sets up this process's NodeTracerProvider from the `OTEL_*` configuration and registers it with
 * the OpenTelemetry API (so @apollo/gateway's own spans are recorded too); null, and nothing
 * registered, when no exporter is configured. Every exporter sits behind a SanitizingExporter.
 * `exporter` adds one (tests: an in-memory exporter) whatever the configuration says. Loaded only
 * when tracing is on (see startTracing): the SDK takes most of a second to load.
 */
export function startTracerProvider(
  config: TracingConfig,
  options: { service: string; exporter?: SpanExporter },
): { tracer: Tracer; shutdown(): Promise<void> } | null {
  const exporters: { exporter: SpanExporter; batch: boolean }[] = config.exporters.map((name) =>
    name === 'otlp'
      ? {
          exporter: new OTLPTraceExporter(
            config.otlpTracesUrl ? { url: config.otlpTracesUrl } : {},
          ),
          batch: true,
        }
      : { exporter: new ConsoleSpanExporter(), batch: false },
  );
  if (options.exporter) exporters.push({ exporter: options.exporter, batch: false });
  if (exporters.length === 0) return null;
  const spanProcessors: SpanProcessor[] = exporters.map(({ exporter, batch }) => {
    const sanitized = new SanitizingExporter(exporter);
    return batch ? new BatchSpanProcessor(sanitized) : new SimpleSpanProcessor(sanitized);
  });
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': config.serviceName ?? `library-graph-${options.service}`,
      }),
    ),
    sampler: samplerOf(config),
    spanProcessors,
  });
  provider.register({ propagator: propagatorOf(config) });
  // One provider per process, as deployed. A second one in the same process (tests, benchmarks)
  // records its own spans, but @apollo/gateway keeps the tracer it got from the first.
  const registered = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() === provider;
  return {
    tracer: provider.getTracer(SCOPE),
    shutdown: async () => {
      await provider.shutdown();
      if (registered) {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}
