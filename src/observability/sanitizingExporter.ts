import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * The span attributes that may leave the process: each holds a value from a bounded set the code
 * fixes (a method, a route, a status code, an operation type, a service name). Everything else is
 * dropped: `graphql.operation.name` and `graphql.document` (a caller's text, which may hold a
 * name or a card number), any attribute a library adds later.
 */
export const ALLOWED_SPAN_ATTRIBUTES: ReadonlySet<string> = new Set([
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'graphql.operation.type',
  'library.service',
  'library.subgraph',
  // @apollo/gateway's fetch span names the subgraph it calls so.
  'service',
]);

const allowedAttributes = (attributes: Attributes): Attributes =>
  Object.fromEntries(
    Object.entries(attributes).filter(([key]) => ALLOWED_SPAN_ATTRIBUTES.has(key)),
  );

/**
 * A copy of a span that carries only what may leave the process: allowed attributes, no events
 * (exception events carry error messages, and a GraphQL error message can echo a variable's
 * value), no links, and a status without its message.
 */
export function sanitizeSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanContext ? { parentSpanContext: span.parentSpanContext } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: allowedAttributes(span.attributes),
    links: [],
    events: [],
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount + span.events.length,
    droppedLinksCount: span.droppedLinksCount + span.links.length,
  };
}

/**
 * Wraps an exporter so that every span it receives has been through `sanitizeSpan`: whatever an
 * instrumentation records, no attribute, event or status message outside the allow-list reaches
 * a collector.
 */
export class SanitizingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  /** Exports sanitized copies of `spans`. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(sanitizeSpan), resultCallback);
  }

  /** Shuts the wrapped exporter down. */
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  /** Flushes the wrapped exporter, where it can. */
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
