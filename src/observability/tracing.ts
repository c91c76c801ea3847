import type http from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type ProxyTracerProvider, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
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
import type { TracingConfig } from './tracingConfig.js';

/** The instrumentation scope of the spans this project makes itself. */
const SCOPE = 'library-graph';

/** The paths a server span may name; any other is `other`, so a caller's path never names a span. */
const ROUTES: ReadonlySet<string> = new Set(['/graphql', '/health', '/ready', '/metrics', '/internal/facts', '/']);

/** Tracing running in this process: its tracer, and how to flush and stop it. */
export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

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
  const all = config.propagators.map((name) => (name === 'baggage' ? new W3CBaggagePropagator() : new W3CTraceContextPropagator()));
  return new CompositePropagator({ propagators: all });
}

/**
 * Sets up this process's NodeTracerProvider from the `OTEL_*` configuration and registers it with
 * the OpenTelemetry API (so @apollo/gateway's own spans are recorded too); null, and nothing
 * registered, when no exporter is configured. Every exporter sits behind a SanitizingExporter.
 * `exporter` adds one (tests: an in-memory exporter) whatever the configuration says.
 */
export function startTracing(config: TracingConfig, options: { service: string; exporter?: SpanExporter }): Tracing | null {
  const exporters: { exporter: SpanExporter; batch: boolean }[] = config.exporters.map((name) =>
    name === 'otlp'
      ? { exporter: new OTLPTraceExporter(config.otlpTracesUrl ? { url: config.otlpTracesUrl } : {}), batch: true }
      : { exporter: new ConsoleSpanExporter(), batch: false },
  );
  if (options.exporter) exporters.push({ exporter: options.exporter, batch: false });
  if (exporters.length === 0) return null;
  const spanProcessors: SpanProcessor[] = exporters.map(({ exporter, batch }) => {
    const sanitized = new SanitizingExporter(exporter);
    return batch ? new BatchSpanProcessor(sanitized) : new SimpleSpanProcessor(sanitized);
  });
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': config.serviceName ?? `library-graph-${options.service}` })),
    sampler: samplerOf(config),
    spanProcessors,
  });
  provider.register({ propagator: propagatorOf(config) });
  // Registration is once per process: a second graph in the same process (tests) records into the first's.
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

/** The route a span may name for a request path. */
const routeOf = (url: string | undefined): string => {
  const path = new URL(url ?? '/', 'http://localhost').pathname;
  return ROUTES.has(path) ? path : 'other';
};

/**
 * Runs one HTTP request's handling inside a SERVER span, continuing the trace its `traceparent`
 * names. The span carries the method, the route (a fixed set), the status code and the service:
 * never the URL's query, a header or the body.
 */
export function withServerSpan(tracer: Tracer, service: string, req: http.IncomingMessage, res: http.ServerResponse, handle: () => Promise<void>): Promise<void> {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const route = routeOf(req.url);
  const method = req.method ?? 'GET';
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'library.service': service } },
    parent,
  );
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
  return context.with(trace.setSpan(parent, span), handle);
}

/**
 * Writes the active span's context into an outgoing request's headers (`traceparent`, and
 * `baggage` where configured). Without a registered provider the API is a no-op and nothing is written.
 */
export function injectTraceContext(headers: { set(name: string, value: string): void }): void {
  propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
}
