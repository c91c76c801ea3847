import type http from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/tracing.js';

/** The paths a server span may name; any other is `other`, so a caller's path never names a span. */
const ROUTES: ReadonlySet<string> = new Set([
  '/graphql',
  '/health',
  '/ready',
  '/metrics',
  '/internal/facts',
  '/',
]);

/** Tracing running in this process: its tracer, and how to flush and stop it. */
export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Starts tracing as `OTEL_*` configures it (see tracerProvider.ts): null when no exporter is
 * configured, and then the SDK is not even loaded, nothing is registered, and the OpenTelemetry
 * API stays a no-op. `exporter` adds one (tests: an in-memory exporter).
 */
export async function startTracing(
  config: TracingConfig,
  options: { service: string; exporter?: SpanExporter },
): Promise<Tracing | null> {
  if (config.exporters.length === 0 && !options.exporter) return null;
  const { startTracerProvider } = await import('./tracerProvider.js');
  return startTracerProvider(config, options);
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
export function withServerSpan(
  tracer: Tracer,
  service: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  handle: () => Promise<void>,
): Promise<void> {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const route = routeOf(req.url);
  const method = req.method ?? 'GET';
  const span = tracer.startSpan(
    `${method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'library.service': service,
      },
    },
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
  propagation.inject(context.active(), headers, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
}
