/**
 * Traces from the gateway and the subgraphs, exported through an in-memory exporter: one trace
 * per request from the gateway to each subgraph it calls (W3C traceparent), and no patron value
 * anywhere in a span, however hostile the request that made it.
 */
import type http from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { PERSONA_PATRONS } from '../../src/dev/personas.js';
import { createLogger } from '../../src/log/logger.js';
import { sanitizeSpan } from '../../src/observability/sanitizingExporter.js';
import { startTracing } from '../../src/observability/tracing.js';
import { encodeContext } from '../../src/privacy/context/disclosureContext.js';
import { MemoryNonceStore } from '../../src/privacy/verify/nonceStore.js';
import { audienceKey, signRequest } from '../../src/privacy/sign/signature.js';
import { SignatureGuard } from '../../src/privacy/verify/signatureGuard.js';
import { P } from '../privacy/fixtures.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

const { patron, minor } = PERSONA_PATRONS;
const exporter = new InMemorySpanExporter();
let t: TestGraph;
/** Every value the requests below disclose or send, which no span may carry. */
const secrets: string[] = [];

/** A span as a collector would receive it, as text: everything but its ids and times. */
const spanText = (span: ReadableSpan): string =>
  JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    status: span.status,
    links: span.links,
    resource: span.resource.attributes,
  });

const service = (span: ReadableSpan) => span.attributes['library.service'];

beforeAll(async () => {
  t = await startTestGraph({}, undefined, { spanExporter: exporter });
  exporter.reset();
  // Staff read a known patron's record and loans (the item barcodes link them), asked for by id in
  // a variable, under an operation name and a purpose that carry the patron's name and card.
  const opName = `Lookup_${patron.cardNumber}_${patron.name.replace(/\W/g, '_')}`;
  const read = await t.query(
    'circulation-staff',
    `query ${opName}($id: ID!) { patron(id: $id) { id name cardNumber email phone address loans { id item { id barcode } } } }`,
    { id: patron.id },
    { 'x-disclosure-purpose': `call ${patron.name} about ${patron.cardNumber}` },
  );
  expect(read.errors).toBeUndefined();
  const record = read.data!.patron as {
    name: string;
    cardNumber: string;
    email: string;
    loans: { item: { barcode: string } }[];
  };
  expect(record.name).toBe(patron.name);
  expect(record.loans.length).toBeGreaterThan(0);
  // A minor logs in with card and PIN, then reads their own record with the token.
  const login = await t.query(
    'anonymous',
    'mutation($c: String!, $p: String!) { authenticateWithCard(cardNumber: $c, pin: $p) { token } }',
    { c: minor.cardNumber, p: minor.pin },
  );
  const token = (login.data!.authenticateWithCard as { token: string }).token;
  const me = await fetch(t.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ me { id name email cardNumber } }' }),
  });
  expect(((await me.json()) as { data: { me: { name: string } } }).data.me.name).toBe(minor.name);
  // A variable of the wrong type: GraphQL's error message echoes the value it got.
  await t.query('circulation-staff', 'query($id: ID!) { patron(id: $id) { name } }', {
    id: { card: patron.cardNumber, pin: patron.pin },
  });
  secrets.push(
    ...[patron, minor].flatMap((p) => [
      p.id,
      p.name,
      p.cardNumber,
      p.email,
      p.phone,
      p.address,
      `"${p.pin}"`,
    ]),
    ...record.loans.map((l) => l.item.barcode),
    token,
    (await t.token('circulation-staff'))!,
  );
  // Server spans end once their response has gone; give the last ones a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
});
afterAll(async () => t?.stop());

describe('spans of a disclosing request', () => {
  it("record the gateway request, its query plan fetches and each subgraph's handling", () => {
    const spans = exporter.getFinishedSpans();
    const names = new Set(
      spans.map((s) => `${String(service(s) ?? s.instrumentationScope.name)}:${s.name}`),
    );
    for (const expected of [
      'gateway:POST /graphql',
      'circulation:POST /graphql',
      'catalog:POST /graphql',
    ])
      expect(names).toContain(expected);
    expect(spans.some((s) => s.name === 'gateway.request')).toBe(true);
    expect(
      spans.some((s) => s.name === 'gateway.fetch' && s.attributes.service === 'catalog'),
    ).toBe(true);
  });

  it('share one trace id from the gateway to the subgraphs: each subgraph span is the child of a gateway fetch', () => {
    const spans = exporter.getFinishedSpans();
    const fetches = new Map(
      spans.filter((s) => s.name === 'gateway.fetch').map((s) => [s.spanContext().spanId, s]),
    );
    const subgraphServers = spans.filter(
      (s) =>
        s.kind === SpanKind.SERVER &&
        service(s) !== 'gateway' &&
        s.attributes['http.route'] === '/graphql',
    );
    expect(subgraphServers.length).toBeGreaterThanOrEqual(3);
    for (const server of subgraphServers) {
      const parent = fetches.get(server.parentSpanContext?.spanId ?? '');
      expect(parent, `${String(service(server))} span has a gateway.fetch parent`).toBeDefined();
      expect(server.spanContext().traceId).toBe(parent!.spanContext().traceId);
    }
    const gatewayServer = spans.find(
      (s) =>
        s.kind === SpanKind.SERVER &&
        service(s) === 'gateway' &&
        s.spanContext().traceId === subgraphServers[0]!.spanContext().traceId,
    );
    expect(gatewayServer?.attributes['http.response.status_code']).toBe(200);
  });

  it("carry none of the patrons' values, the PIN or a token in any name, attribute, event or status", () => {
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(10);
    expect(secrets.length).toBeGreaterThan(15);
    for (const span of spans) {
      const text = spanText(span);
      for (const secret of secrets)
        expect(text.includes(secret), `span ${span.name} carries ${secret.slice(0, 6)}…`).toBe(
          false,
        );
      expect(span.events).toEqual([]);
      expect(span.status.message).toBeUndefined();
      expect(Object.keys(span.attributes)).not.toContain('graphql.operation.name');
      expect(Object.keys(span.attributes)).not.toContain('graphql.document');
    }
  });
});

describe('the span allow-list', () => {
  it('drops attributes outside it, every event and the status message', () => {
    const span = {
      name: 'gateway.request',
      kind: SpanKind.INTERNAL,
      spanContext: () => ({
        traceId: '0'.repeat(31) + '1',
        spanId: '0'.repeat(15) + '1',
        traceFlags: 1,
      }),
      startTime: [0, 0],
      endTime: [0, 1],
      status: {
        code: SpanStatusCode.ERROR,
        message: `Variable "$id" got invalid value "${patron.cardNumber}"`,
      },
      attributes: {
        'graphql.operation.type': 'query',
        'graphql.operation.name': patron.name,
        'graphql.document': `{ patron(id: "${patron.id}") { name } }`,
        service: 'circulation',
      },
      links: [],
      events: [
        { name: 'exception', time: [0, 0], attributes: { 'exception.message': patron.email } },
      ],
      duration: [0, 1],
      ended: true,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    } as unknown as ReadableSpan;
    const clean = sanitizeSpan(span);
    expect(clean.attributes).toEqual({ 'graphql.operation.type': 'query', service: 'circulation' });
    expect(clean.events).toEqual([]);
    expect(clean.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(clean.droppedEventsCount).toBe(1);
    expect(clean.spanContext().spanId).toBe('0'.repeat(15) + '1');
  });
});

describe('OTEL_* configuration', () => {
  it('is off by default: no provider, so no spans and no traceparent', async () => {
    expect(loadConfig({}).tracing.exporters).toEqual([]);
    expect(await startTracing(loadConfig({}).tracing, { service: 'gateway' })).toBeNull();
    expect(
      await startTracing(
        loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).tracing,
        { service: 'gateway' },
      ),
    ).toBeNull();
  });

  it('reads the standard variables', () => {
    const config = loadConfig({
      OTEL_TRACES_EXPORTER: 'otlp,console',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_SERVICE_NAME: 'jcpl-gateway',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_PROPAGATORS: 'tracecontext,baggage',
    }).tracing;
    expect(config).toEqual({
      exporters: ['otlp', 'console'],
      otlpTracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'jcpl-gateway',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      propagators: ['tracecontext', 'baggage'],
    });
    expect(
      loadConfig({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/traces',
      }).tracing.otlpTracesUrl,
    ).toBe('http://c:4318/traces');
  });

  it.each([
    ['OTEL_TRACES_EXPORTER', 'jaeger'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '2'],
    ['OTEL_PROPAGATORS', 'b3'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('traceparent and the request signature', () => {
  const SECRET = 'context-secret-for-tests-0123456789';
  const key = audienceKey(SECRET, 'circulation');
  const context = encodeContext(P.patron);
  const body = JSON.stringify({ query: '{ me { name } }' });
  const guard = () =>
    new SignatureGuard({
      key,
      audience: 'circulation',
      path: '/graphql',
      nonces: new MemoryNonceStore(),
      logger: createLogger('test', 'silent'),
    });
  const request = (headers: Record<string, string>) => ({
    req: { method: 'POST', url: '/graphql', headers } as unknown as http.IncomingMessage,
    body: Buffer.from(body),
  });
  const signed = () => ({
    'content-type': 'application/json',
    'x-disclosure-context': context,
    'x-disclosure-signature': signRequest({
      key,
      audience: 'circulation',
      method: 'POST',
      target: '/graphql',
      contentType: 'application/json',
      context,
      body,
    }),
  });

  it('is not signed: a call verifies with it, without it, or with it changed in transit, and carries the signed context unchanged', async () => {
    for (const traceparent of [
      undefined,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-00',
    ]) {
      const headers = { ...signed(), ...(traceparent ? { traceparent } : {}) };
      expect(await guard().check(request(headers))).toBe(context);
    }
  });

  it('cannot make a captured call run twice: the nonce is spent whatever traceparent the replay carries', async () => {
    const once = guard();
    const headers = signed();
    await once.check(
      request({
        ...headers,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      }),
    );
    await expect(
      once.check(
        request({
          ...headers,
          traceparent: '00-0af7651916cd43dd8448eb211c80319d-b7ad6b7169203331-01',
        }),
      ),
    ).rejects.toThrow(/signature/);
  });
});
