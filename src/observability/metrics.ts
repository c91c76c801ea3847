import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Every label value below comes from a bounded set the code or the schema fixes: a service or
 * subgraph name, an operation type, a schema coordinate, a statutory exception, a redaction
 * reason, an outcome. Nothing a caller types (operation names, ids, arguments) becomes a label:
 * each new value would be a new series (a memory leak a hostile caller controls), and a label
 * holding an id would tell whoever reads the counters whose record was touched.
 */

/** The operation types a request duration is labelled with; anything unparsed is `unknown`. */
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/** How a measured call ended, as far as a label may say. */
export type Outcome = 'ok' | 'error';

/** Buckets for request and fetch durations, in seconds: from a cached lookup to a deadline. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Buckets for one audit append (group commit on a thread): milliseconds, up to its timeout. */
const AUDIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/**
 * The one Prometheus registry of a process and every metric the graph records in it. A process
 * running several services (the all-in-one `npm start`, tests) records them all here, each series
 * labelled with its `service`; `render(service)` gives one service's view for its own port.
 */
export class ProcessMetrics {
  readonly registry = new Registry();

  /** Gateway: one client request, by operation type and outcome. */
  readonly gatewayRequests = new Histogram({
    name: 'library_gateway_request_duration_seconds',
    help: 'Duration of GraphQL requests at the gateway, by operation type (query, mutation) and outcome (error: the response carries errors).',
    labelNames: ['service', 'operation_type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** Gateway: one fetch of the query plan to a subgraph. */
  readonly subgraphFetches = new Histogram({
    name: 'library_gateway_subgraph_fetch_duration_seconds',
    help: "Duration of the gateway's fetches to each subgraph (one per query plan fetch node), by subgraph, operation type and outcome.",
    labelNames: ['service', 'subgraph', 'operation_type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** Subgraph: one signed request served, by operation type. */
  readonly subgraphRequests = new Histogram({
    name: 'library_subgraph_request_duration_seconds',
    help: 'Duration of GraphQL requests served by a subgraph (signed calls from the gateway), by operation type and outcome.',
    labelNames: ['service', 'operation_type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** Subgraph: a request answered with an identical request's execution (same caller, in flight at once). */
  readonly sharedResponses = new Counter({
    name: 'library_subgraph_shared_responses_total',
    help: "Requests a subgraph answered with an identical request's execution in flight (same caller context but request id, same query); each was verified and audited on its own.",
    labelNames: ['service'] as const,
    registers: [this.registry],
  });

  /** Fields disclosed, per field and statutory exception: never per patron. */
  readonly disclosures = new Counter({
    name: 'library_privacy_disclosures_total',
    help: 'Confidential field values disclosed, by field (schema coordinate) and statutory exception.',
    labelNames: ['service', 'field', 'exception'] as const,
    registers: [this.registry],
  });

  /** Fields redacted, per field and reason: never per patron. */
  readonly redactions = new Counter({
    name: 'library_privacy_redactions_total',
    help: 'Confidential field values redacted, by field (schema coordinate) and reason.',
    labelNames: ['service', 'field', 'reason'] as const,
    registers: [this.registry],
  });

  /** Fields de-identified for analytics, per field and strategy. */
  readonly deidentified = new Counter({
    name: 'library_privacy_deidentified_total',
    help: 'Confidential field values returned de-identified (analytics), by field (schema coordinate) and strategy.',
    labelNames: ['service', 'field', 'strategy'] as const,
    registers: [this.registry],
  });

  /** Audit writes that failed, whose disclosures were therefore redacted (fail closed). */
  readonly auditFailures = new Counter({
    name: 'library_privacy_audit_failures_total',
    help: 'Disclosure audit writes that failed; the values they would have recorded were redacted.',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });

  /** One append of a request's disclosure records, until committed (or failed). */
  readonly auditWrites = new Histogram({
    name: 'library_audit_write_duration_seconds',
    help: "Latency of one request's disclosure audit append, from hand-over to commit, by outcome.",
    labelNames: ['service', 'outcome'] as const,
    buckets: AUDIT_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    // CPU, memory, heap, event loop lag, handles, GC: prom-client's standard process metrics.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Creates the service's always-present series, so a scraper sees them at zero before any event. */
  addService(service: string): void {
    this.auditFailures.inc({ service }, 0);
  }

  /** The Prometheus text format's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The process's metrics in Prometheus' text format. With `service`, only that service's series
   * and the process-wide ones (no `service` label): what its own port shows.
   */
  async render(service?: string): Promise<string> {
    const text = await this.registry.metrics();
    return service === undefined ? text : onlyService(text, service);
  }
}

/** Keeps the samples of `service` and those without a service label, and the HELP/TYPE of families left with a sample. */
export function onlyService(text: string, service: string): string {
  const own = `service="${service}"`;
  const out: string[] = [];
  let header: string[] = [];
  let kept = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      header = [line];
      kept = false;
      continue;
    }
    if (line.startsWith('#')) {
      header.push(line);
      continue;
    }
    if (line === '') continue;
    const labels = /^[^{\s]*\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const labelled = /(^|,)service="/.test(labels);
    if (labelled && !new RegExp(`(^|,)${own}(,|$)`).test(labels)) continue;
    if (!kept) {
      out.push(...header);
      kept = true;
    }
    out.push(line);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
